"""MemoryStore on a settable clock: expiry at the ttl, sliding touch, the size bound, anonymous-first LRU.

Every operation is driven by :func:`done`, which runs a coroutine one step: MemoryStore promises that
nothing in it awaits (that is what makes each operation atomic), and ``done`` fails if one does.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from anemo.sessions import MemoryStore
from anemo.sessions._memory import _SWEEP
from anemo.sessions._store import USER_FIELD
from anemo_testing import Clock

T = TypeVar("T")

SIGNED_IN = {USER_FIELD: '"alice"'}
ANONYMOUS = {"cart": "[]"}
TTL = 100.0


def done(coro: Coroutine[Any, Any, T]) -> T:
    """The coroutine's result after a single step; an operation that awaits is a failure."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    coro.close()
    raise AssertionError("a MemoryStore operation awaited: it is no longer atomic")


def save(
    store: MemoryStore,
    key: str,
    changed: Mapping[str, str] = ANONYMOUS,
    removed: Collection[str] = (),
    *,
    ttl: float = TTL,
) -> None:
    done(store.save(key, changed, removed, ttl=ttl))


def load(store: MemoryStore, key: str) -> dict[str, str] | None:
    return done(store.load(key))


def present(store: MemoryStore, *keys: str) -> set[str]:
    """Which of ``keys`` load (loading counts as use: call it last, or mind the LRU order)."""
    return {key for key in keys if load(store, key) is not None}


# -- expiry -------------------------------------------------------------------------------------------


@given(ttl=st.floats(min_value=1e-3, max_value=1e7, allow_nan=False, allow_infinity=False))
def test_a_record_lives_until_exactly_its_ttl(ttl: float) -> None:
    """Alive one float step before ``now + ttl``, gone at it and after it."""
    clock = Clock()
    store = MemoryStore(clock=clock)
    expires_at = clock.now + ttl
    save(store, "k", {"a": "1"}, ttl=ttl)
    clock.now = math.nextafter(expires_at, -math.inf)
    assert load(store, "k") == {"a": "1"}
    clock.now = expires_at
    assert load(store, "k") is None
    clock.now = expires_at + ttl
    assert load(store, "k") is None


def test_touch_slides_expiry(clock: Clock) -> None:
    """A touch lets the record live ``ttl`` seconds from the touch, not from the save."""
    store = MemoryStore(clock=clock)
    save(store, "k", {"a": "1"}, ttl=10)
    clock.advance(8)
    done(store.touch("k", ttl=10))
    clock.advance(8)  # 16 s after the save: past the saved ttl, inside the touched one
    assert load(store, "k") == {"a": "1"}
    clock.advance(2)  # exactly 10 s after the touch (the load above does not slide expiry)
    assert load(store, "k") is None


def test_touch_never_resurrects_an_absent_or_expired_record(clock: Clock) -> None:
    """Touching a key that was never saved, was deleted or has expired leaves nothing behind."""
    store = MemoryStore(clock=clock)
    done(store.touch("never", ttl=TTL))
    save(store, "deleted")
    done(store.delete("deleted"))
    done(store.touch("deleted", ttl=TTL))
    save(store, "expired", ttl=1)
    clock.advance(1)
    done(store.touch("expired", ttl=TTL))
    assert present(store, "never", "deleted", "expired") == set()
    assert len(store) == 0


def test_a_save_into_an_expired_record_starts_empty(clock: Clock) -> None:
    """Fields of an expired record never come back through a later save under the same key."""
    store = MemoryStore(clock=clock)
    save(store, "k", {"old": "1", **SIGNED_IN}, ttl=5)
    clock.advance(5)
    save(store, "k", {"new": "2"})
    assert load(store, "k") == {"new": "2"}


def test_save_writes_changed_and_drops_removed_fields(clock: Clock) -> None:
    """A save merges into the live record: changed fields written, removed ones gone, others kept."""
    store = MemoryStore(clock=clock)
    save(store, "k", {"a": "1", "b": "2", "c": "3"})
    save(store, "k", {"a": "10"}, ["b", "absent"])
    assert load(store, "k") == {"a": "10", "c": "3"}


def test_len_counts_records_and_delete_removes_them(clock: Clock) -> None:
    """``len`` counts anonymous and signed-in records; delete removes either and ignores absent keys."""
    store = MemoryStore(clock=clock)
    save(store, "anonymous")
    save(store, "signed in", SIGNED_IN)
    assert len(store) == 2
    done(store.delete("signed in"))
    done(store.delete("absent"))
    assert len(store) == 1
    assert present(store, "anonymous", "signed in") == {"anonymous"}


# -- what a record holds ------------------------------------------------------------------------------

#: Names and texts as a third-party caller may pass them: any code point, NULs and lone surrogates too.
ANY_TEXT = st.text(st.characters(codec=None), max_size=12) | st.sampled_from(["", "\0", "a\0b", "\ud800"])
ANY_FIELDS = st.dictionaries(ANY_TEXT, ANY_TEXT, max_size=5)


@given(first=ANY_FIELDS, then=ANY_FIELDS)
def test_fields_come_back_exactly_as_saved(first: dict[str, str], then: dict[str, str]) -> None:
    """Every name and text round-trips unchanged (NULs, surrogates, empty strings), across a merge too."""
    store = MemoryStore(clock=Clock())
    save(store, "k", first)
    assert load(store, "k") == first
    removed = [name for name in list(first)[:2] if name not in then]  # which wins is not in the protocol
    save(store, "k", then, removed)
    expected = {name: text for name, text in first.items() if name not in removed} | then
    assert load(store, "k") == expected


@pytest.mark.parametrize(
    "fields",
    [{"a": "1"}, {"a\0": "1"}, {"a": '["\0"]'}],
    ids=["plain", "NUL in a name", "NUL in a text"],
)
def test_a_merge_keeps_other_fields_whichever_way_the_record_is_kept(fields: dict[str, str]) -> None:
    """A record with a NUL (kept as JSON) merges like any other, and becomes plain again once it is gone."""
    store = MemoryStore(clock=Clock())
    save(store, "k", {**fields, "b": "2"})
    save(store, "k", {"c": '"3"'}, ["b"])
    assert load(store, "k") == {**fields, "c": '"3"'}
    save(store, "k", {"d": "4"}, list(fields))
    assert load(store, "k") == {"c": '"3"', "d": "4"}


def test_a_record_whose_fields_are_all_removed_stays_empty(clock: Clock) -> None:
    """Removing every field leaves an empty record (not an absent one) that a later save fills again."""
    store = MemoryStore(clock=clock)
    save(store, "k", {"a": "1"})
    save(store, "k", {}, ["a"])
    assert load(store, "k") == {}
    assert len(store) == 1
    save(store, "k", {"b": "2"})
    assert load(store, "k") == {"b": "2"}


def test_a_load_hands_out_a_copy(clock: Clock) -> None:
    """Changing the dict a load returned changes nothing in the store."""
    store = MemoryStore(clock=clock)
    save(store, "k", {"a": "1"})
    loaded = load(store, "k")
    assert loaded is not None
    loaded["a"] = "2"
    loaded["b"] = "3"
    assert load(store, "k") == {"a": "1"}


# -- the size bound and eviction order --------------------------------------------------------------


@given(
    max_sessions=st.integers(1, 6),
    writes=st.lists(
        st.tuples(st.integers(0, 15), st.booleans(), st.integers(1, 5), st.integers(0, 3)), max_size=60
    ),
)
def test_never_more_than_max_sessions_records(
    max_sessions: int, writes: list[tuple[int, bool, int, int]]
) -> None:
    """After any sequence of saves the store holds at most ``max_sessions`` records, the last one included."""
    clock = Clock()
    store = MemoryStore(max_sessions=max_sessions, clock=clock)
    for key, signed_in, ttl, later in writes:
        save(store, str(key), SIGNED_IN if signed_in else ANONYMOUS, ttl=ttl)
        assert len(store) <= max_sessions
        assert load(store, str(key)) is not None
        clock.advance(later)


@pytest.mark.parametrize("use", ["load", "touch", "save"])
def test_the_least_recently_used_record_goes_first(clock: Clock, use: str) -> None:
    """A record used since it was saved survives; the oldest unused one is evicted."""
    store = MemoryStore(max_sessions=3, clock=clock)
    for key in ("a", "b", "c"):
        save(store, key)
    if use == "load":
        load(store, "a")
    elif use == "touch":
        done(store.touch("a", ttl=TTL))
    else:
        save(store, "a", {"more": "1"})
    save(store, "d")
    assert present(store, "a", "b", "c", "d") == {"a", "c", "d"}


@given(max_sessions=st.integers(2, 40))
def test_an_anonymous_flood_never_signs_anybody_out(max_sessions: int) -> None:
    """One signed-in record, then three times ``max_sessions`` new anonymous visitors: the user stays."""
    store = MemoryStore(max_sessions=max_sessions, clock=Clock())
    save(store, "user", SIGNED_IN)
    for visitor in range(max_sessions * 3):
        save(store, f"visitor {visitor}")
        assert len(store) <= max_sessions
    assert load(store, "user") == SIGNED_IN
    assert load(store, f"visitor {max_sessions * 3 - 1}") == ANONYMOUS


def test_the_reported_attack_leaves_the_user_signed_in(clock: Clock) -> None:
    """The issue's numbers: 1,100 anonymous requests against ``max_sessions=1000`` keep the user's record."""
    store = MemoryStore(max_sessions=1000, clock=clock)
    save(store, "user", SIGNED_IN)
    for request in range(1100):
        save(store, f"anonymous {request}")
    assert load(store, "user") == SIGNED_IN
    assert len(store) == 1000


def test_a_signed_in_record_goes_only_when_every_record_is_signed_in(clock: Clock) -> None:
    """New records, anonymous or not, evict anonymous ones while any is left, then the LRU signed-in one."""
    store = MemoryStore(max_sessions=3, clock=clock)
    save(store, "user 1", SIGNED_IN)
    save(store, "user 2", SIGNED_IN)
    save(store, "visitor 1")
    save(store, "user 3", SIGNED_IN)  # full: the only anonymous record goes, though it is the newest
    assert present(store, "user 1", "user 2", "visitor 1") == {"user 1", "user 2"}
    load(store, "user 3")  # user 1 is now the least recently used of three signed-in records
    save(store, "visitor 2")
    assert present(store, "user 1", "user 2", "user 3", "visitor 2") == {"user 2", "user 3", "visitor 2"}


def test_a_record_that_signs_in_is_kept_before_anonymous_ones(clock: Clock) -> None:
    """Gaining the user field moves a record to the signed-in class, even when it is the least recent."""
    store = MemoryStore(max_sessions=2, clock=clock)
    save(store, "a")
    save(store, "b")
    save(store, "a", SIGNED_IN)
    load(store, "b")  # "a" is now least recently used overall, but signed in
    save(store, "c")
    assert present(store, "a", "b", "c") == {"a", "c"}


def test_a_record_that_signs_out_is_evicted_as_anonymous(clock: Clock) -> None:
    """Losing the user field moves a record to the anonymous class, even when it is the most recent."""
    store = MemoryStore(max_sessions=2, clock=clock)
    save(store, "a", SIGNED_IN)
    save(store, "b", SIGNED_IN)
    save(store, "a", {}, [USER_FIELD])  # "a" signs out and is the most recently used
    save(store, "c")
    assert present(store, "a", "b", "c") == {"b", "c"}


def test_expired_records_are_swept_before_a_live_one_is_evicted(clock: Clock) -> None:
    """A full store whose oldest signed-in record has expired drops it and keeps every live anonymous one."""
    store = MemoryStore(max_sessions=3, clock=clock)
    save(store, "expired user", SIGNED_IN, ttl=1)
    save(store, "visitor 1")
    save(store, "visitor 2")
    clock.advance(1)
    save(store, "visitor 3")
    assert len(store) == 3
    assert present(store, "visitor 1", "visitor 2", "visitor 3") == {"visitor 1", "visitor 2", "visitor 3"}


@given(order=st.permutations(range(5)))
def test_evictions_follow_the_order_of_last_use(order: list[int]) -> None:
    """Records used in some order are evicted in exactly that order, one per new record."""
    store = MemoryStore(max_sessions=5, clock=Clock())
    for key in range(5):
        save(store, str(key))
    for key in order:
        done(store.touch(str(key), ttl=TTL))
    for evicted, key in enumerate(order):
        save(store, f"new {evicted}")
        assert load_quietly(store, str(key)) is False
        assert all(load_quietly(store, str(later)) for later in order[evicted + 1 :])


def load_quietly(store: MemoryStore, key: str) -> bool:
    """Whether ``key`` is held and live, without marking it as used."""
    table = store._signed_in if key in store._signed_in else store._anonymous
    return key in table and table[key].expires_at > store._clock()


def test_one_write_sweeps_a_bounded_number_of_expired_records(clock: Clock) -> None:
    """A new record drops at most a few expired ones (never a scan of the whole store); later writes go on."""
    store = MemoryStore(clock=clock)
    for key in range(3 * _SWEEP):
        save(store, f"old {key}", ttl=1)
    clock.advance(1)
    save(store, "new 1")
    assert len(store) == 3 * _SWEEP - _SWEEP + 1
    save(store, "new 2")
    assert len(store) == 3 * _SWEEP - 2 * _SWEEP + 2


@pytest.mark.xfail(
    strict=True,
    reason="_make_room sweeps only the expired records at the least recently used end of each table; "
    "one behind a live record keeps its slot while a live record is evicted",
)
def test_an_expired_record_behind_a_live_one_is_swept_before_a_user_is_signed_out(clock: Clock) -> None:
    """An expired record used after a live one (a shorter ttl) goes before any live record is evicted."""
    store = MemoryStore(max_sessions=2, clock=clock)
    save(store, "long-lived user", SIGNED_IN, ttl=TTL)
    save(store, "user near the absolute timeout", SIGNED_IN, ttl=1)
    clock.advance(1)
    save(store, "visitor")
    assert present(store, "long-lived user", "visitor") == {"long-lived user", "visitor"}


# -- the per-user index -------------------------------------------------------------------------------


def index_list(store: MemoryStore, user: str) -> dict[str, dict[str, Any]]:
    return done(store.index_list(user))


def test_the_index_lists_each_users_entries(clock: Clock) -> None:
    """Entries come back as added, per user; adding a record key again replaces its entry."""
    store = MemoryStore(clock=clock)
    done(store.index_add("alice", "r1", {"agent": "firefox", "created": 1.5}, ttl=TTL))
    done(store.index_add("alice", "r2", {"agent": "curl"}, ttl=TTL))
    done(store.index_add("alice", "r2", {"agent": "curl 8"}, ttl=TTL))
    done(store.index_add("bob", "r3", {}, ttl=TTL))
    assert index_list(store, "alice") == {
        "r1": {"agent": "firefox", "created": 1.5},
        "r2": {"agent": "curl 8"},
    }
    assert index_list(store, "bob") == {"r3": {}}
    assert index_list(store, "carol") == {}


def test_the_index_expires_at_its_ttl(clock: Clock) -> None:
    """A user's index is listed until just before ``now + ttl`` and is empty from then on."""
    store = MemoryStore(clock=clock)
    expires_at = clock.now + 30
    done(store.index_add("alice", "r1", {}, ttl=30))
    clock.now = math.nextafter(expires_at, -math.inf)
    assert index_list(store, "alice") == {"r1": {}}
    clock.now = expires_at
    assert index_list(store, "alice") == {}


def test_index_add_extends_but_never_shortens_the_index_life(clock: Clock) -> None:
    """A later entry with a short ttl does not cut short the life an earlier one gave the index."""
    store = MemoryStore(clock=clock)
    done(store.index_add("alice", "r1", {}, ttl=100))
    clock.advance(50)
    done(store.index_add("alice", "r2", {}, ttl=1))
    clock.advance(49)
    assert set(index_list(store, "alice")) == {"r1", "r2"}
    done(store.index_add("alice", "r3", {}, ttl=100))
    clock.advance(99)  # 198 s in: past the first ttl, inside the third
    assert set(index_list(store, "alice")) == {"r1", "r2", "r3"}


def test_an_expired_index_starts_empty(clock: Clock) -> None:
    """Entries of an expired index do not come back when the user is indexed again."""
    store = MemoryStore(clock=clock)
    done(store.index_add("alice", "old", {}, ttl=5))
    clock.advance(5)
    done(store.index_add("alice", "new", {}, ttl=5))
    assert index_list(store, "alice") == {"new": {}}


def test_index_remove_keeps_other_entries_and_ignores_absent_ones(clock: Clock) -> None:
    """Removing some entries keeps the rest; unknown users and record keys are no-ops."""
    store = MemoryStore(clock=clock)
    done(store.index_add("alice", "r1", {}, ttl=TTL))
    done(store.index_add("alice", "r2", {}, ttl=TTL))
    done(store.index_remove("alice", ["r1", "absent"]))
    done(store.index_remove("nobody", ["r1"]))
    assert index_list(store, "alice") == {"r2": {}}


def test_removing_the_last_entry_forgets_the_user(clock: Clock) -> None:
    """Once a user's last entry is removed, the old index's life is gone too: a new one lives its own ttl."""
    store = MemoryStore(clock=clock)
    done(store.index_add("alice", "r1", {}, ttl=1000))
    done(store.index_remove("alice", ["r1"]))
    assert index_list(store, "alice") == {}
    done(store.index_add("alice", "r2", {}, ttl=1))
    clock.advance(1)
    assert index_list(store, "alice") == {}


# -- the store against a model ------------------------------------------------------------------------


@dataclass
class Entry:
    fields: dict[str, str]
    expires_at: float
    used: int

    @property
    def signed_in(self) -> bool:
        return USER_FIELD in self.fields


class Model:
    """What MemoryStore promises, written plainly: expiry times, a use counter, anonymous-first eviction."""

    def __init__(self, max_sessions: int) -> None:
        self.max_sessions = max_sessions
        self.entries: dict[str, Entry] = {}
        self.uses = 0

    def _use(self, entry: Entry) -> None:
        self.uses += 1
        entry.used = self.uses

    def live(self, key: str, now: float) -> Entry | None:
        entry = self.entries.get(key)
        if entry is not None and entry.expires_at <= now:
            del self.entries[key]
            return None
        return entry

    def live_count(self, now: float) -> int:
        return sum(entry.expires_at > now for entry in self.entries.values())

    def load(self, key: str, now: float) -> dict[str, str] | None:
        entry = self.live(key, now)
        if entry is None:
            return None
        self._use(entry)
        return dict(entry.fields)

    def touch(self, key: str, ttl: float, now: float) -> None:
        entry = self.live(key, now)
        if entry is not None:
            self._use(entry)
            entry.expires_at = now + ttl

    def save(
        self, key: str, changed: Mapping[str, str], removed: Collection[str], ttl: float, now: float
    ) -> None:
        entry = self.live(key, now)
        if entry is None:
            self._make_room(now)
            entry = self.entries[key] = Entry({}, 0.0, 0)
        entry.fields.update(changed)
        for name in removed:
            entry.fields.pop(name, None)
        entry.expires_at = now + ttl
        self._use(entry)

    def _make_room(self, now: float) -> None:
        """All expired records, then the LRU anonymous one; a signed-in one only when no anonymous is left."""
        self.entries = {key: entry for key, entry in self.entries.items() if entry.expires_at > now}
        while len(self.entries) >= self.max_sessions:
            victim = min(self.entries, key=lambda key: (self.entries[key].signed_in, self.entries[key].used))
            del self.entries[victim]

    def expired_behind_live(self, now: float, but: str) -> list[str]:
        """Expired records used after a live record of their class: what the store's sweep misses."""
        oldest_live = {
            signed_in: min(
                (e.used for e in self.entries.values() if e.expires_at > now and e.signed_in == signed_in),
                default=math.inf,
            )
            for signed_in in (False, True)
        }
        return [
            key
            for key, e in self.entries.items()
            if key != but and e.expires_at <= now and e.used > oldest_live[e.signed_in]
        ]


KEY_NAMES = list("abcde")
KEYS = st.sampled_from(KEY_NAMES)
FIELDS = st.sampled_from(["x", "y", "z\0", USER_FIELD])  # a NUL makes the store keep the record as JSON
TEXTS = st.sampled_from(["1", '"v"', "null", '{"k": []}', "\0"])
TTLS = st.integers(1, 8)


class MemoryMachine(RuleBasedStateMachine):
    """Random saves, loads, touches, deletes and clock moves; every load must agree with the model."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.store = MemoryStore(clock=self.clock)
        self.model = Model(self.store.max_sessions)

    @initialize(max_sessions=st.integers(1, 4))
    def create(self, max_sessions: int) -> None:
        self.store = MemoryStore(max_sessions=max_sessions, clock=self.clock)
        self.model = Model(max_sessions)

    @rule(
        key=KEYS, changed=st.dictionaries(FIELDS, TEXTS, max_size=3), removed=st.frozensets(FIELDS), ttl=TTLS
    )
    def save(self, key: str, changed: dict[str, str], removed: frozenset[str], ttl: int) -> None:
        removed -= changed.keys()  # which of the two wins for one field is not part of the protocol
        now = self.clock()
        if self.model.live(key, now) is None:
            # The known gap pinned by the xfail test above: delete expired records the store's sweep
            # would miss, so that the model can say "every expired record goes first" and stay exact.
            for hidden in self.model.expired_behind_live(now, but=key):
                done(self.store.delete(hidden))
                del self.model.entries[hidden]
        save(self.store, key, changed, removed, ttl=ttl)
        self.model.save(key, changed, removed, ttl, now)

    @rule(key=KEYS)
    def load(self, key: str) -> None:
        assert load(self.store, key) == self.model.load(key, self.clock())

    @rule(order=st.permutations(KEY_NAMES))
    def load_every_key(self, order: list[str]) -> None:
        for key in order:
            self.load(key)

    @rule(key=KEYS, ttl=TTLS)
    def touch(self, key: str, ttl: int) -> None:
        done(self.store.touch(key, ttl=ttl))
        self.model.touch(key, ttl, self.clock())

    @rule(key=KEYS)
    def delete(self, key: str) -> None:
        done(self.store.delete(key))
        self.model.entries.pop(key, None)

    @rule(seconds=st.integers(0, 3))
    def advance(self, seconds: int) -> None:
        self.clock.advance(seconds)

    @rule(key=KEYS)
    def reach_expiry(self, key: str) -> None:
        """Move the clock exactly to a record's expiry time, where it must be gone."""
        entry = self.model.entries.get(key)
        if entry is not None and entry.expires_at > self.clock.now:
            self.clock.now = entry.expires_at

    @invariant()
    def bounded(self) -> None:
        assert self.model.live_count(self.clock()) <= len(self.store) <= self.store.max_sessions


def test_memory_store_agrees_with_the_model() -> None:
    """Over random operation sequences the store loads what the model holds and stays within its bound."""
    run_state_machine_as_test(MemoryMachine, settings=settings(max_examples=150, stateful_step_count=50))
