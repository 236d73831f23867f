"""The save planner, without a store: every rule of a session's life as a pure function."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anemo.sessions import SessionTooLarge
from anemo.sessions._plan import Delete, Plan, Policy, Touch, Write, plan_save
from anemo.sessions._session import Changes, Intent, Loaded

NOW = 1_800_000_000.0
POLICY = Policy(
    idle_timeout=1800,
    anonymous_idle_timeout=600,
    lifetime=86400,
    refresh_interval=60,
    max_size=1000,
    browser_lifetime=3600,
)
KEY = "k" * 64


def changes(
    intent: Intent | None = None,
    written: dict[str, str] | None = None,
    removed: frozenset[str] = frozenset(),
    texts: dict[str, str] | None = None,
    user: str | None = None,
) -> Changes:
    texts = dict(written or {}) if texts is None else texts
    size = sum(len(key) + len(text) for key, text in texts.items())
    return Changes(intent, dict(written or {}), removed, texts, size, user, None)


def record(created: float = NOW - 100, user: str | None = None, signed: float | None = NOW - 30) -> Loaded:
    return Loaded("id", KEY, created, user, None, signed)


NEW = Loaded(None, None, NOW)


def test_a_new_untouched_session_does_nothing() -> None:
    """No data, no record, no cookie: an anonymous visitor who stores nothing costs nothing."""
    assert plan_save(NEW, changes(), NOW, POLICY) == Plan((), False, "keep", NOW, 600)


def test_a_stale_cookie_is_cleared() -> None:
    assert plan_save(Loaded(None, None, NOW, stale_cookie=True), changes(), NOW, POLICY).cookie == "clear"


def test_the_first_write_creates_a_record_with_the_anonymous_timeout() -> None:
    plan = plan_save(NEW, changes(written={"a": "1"}), NOW, POLICY)
    assert plan == Plan((Write(None, {"a": "1"}, frozenset(), 600),), False, "set", NOW, 600)


def test_a_read_inside_the_refresh_interval_does_nothing() -> None:
    assert plan_save(record(), changes(texts={"a": "1"}), NOW, POLICY).steps == ()


def test_a_read_past_the_refresh_interval_touches_and_reissues() -> None:
    """The sliding expiry: one touch, a fresh cookie, and the user's index entry refreshed by the touch."""
    plan = plan_save(record(user="u", signed=NOW - 61), changes(texts={"a": "1"}, user="u"), NOW, POLICY)
    assert plan == Plan((Touch(KEY, 1800, indexed=True),), False, "set", NOW - 100, 1800)


def test_an_anonymous_read_past_the_refresh_interval_touches_without_an_index() -> None:
    plan = plan_save(record(signed=NOW - 61), changes(texts={"a": "1"}), NOW, POLICY)
    assert plan == Plan((Touch(KEY, 600, indexed=False),), False, "set", NOW - 100, 600)


def test_a_change_writes_only_what_changed() -> None:
    plan = plan_save(
        record(),
        changes(written={"b": "2"}, removed=frozenset({"c"}), texts={"a": "1", "b": "2"}),
        NOW,
        POLICY,
    )
    assert plan.steps == (Write(KEY, {"b": "2"}, frozenset({"c"}), 600),)
    assert plan.cookie == "keep"  # the cookie is not due: no Set-Cookie on every write


def test_regenerate_writes_the_new_record_before_deleting_the_old() -> None:
    """A failure between the two steps leaves the old session whole; created is kept."""
    plan = plan_save(record(user="u"), changes(Intent.REGENERATE, texts={"a": "1"}, user="u"), NOW, POLICY)
    assert plan.steps == (Write(None, {"a": "1"}, frozenset(), 1800), Delete(KEY, "u"))
    assert (plan.created, plan.cookie, plan.add_to_index) == (NOW - 100, "set", True)


def test_login_restarts_the_lifetime() -> None:
    plan = plan_save(record(created=NOW - 86000), changes(Intent.LOG_IN, user="alice"), NOW, POLICY)
    assert plan.steps == (Write(None, {}, frozenset(), 1800), Delete(KEY, None))
    assert plan.created == NOW


def test_logout_deletes_and_clears() -> None:
    plan = plan_save(record(user="u"), changes(Intent.END), NOW, POLICY)
    assert plan == Plan((Delete(KEY, "u"),), False, "clear", NOW, 600)


def test_data_set_after_logout_starts_a_new_session() -> None:
    plan = plan_save(record(user="u"), changes(Intent.END, written={"a": "1"}), NOW, POLICY)
    assert plan.steps == (Delete(KEY, "u"), Write(None, {"a": "1"}, frozenset(), 600))
    assert plan.cookie == "set"


def test_the_ttl_never_passes_the_lifetime() -> None:
    plan = plan_save(record(created=NOW - 86000), changes(written={"a": "1"}, user="u"), NOW, POLICY)
    assert plan.ttl == 400


def test_too_large_is_refused_before_any_step() -> None:
    with pytest.raises(SessionTooLarge) as caught:
        plan_save(record(), changes(written={"a": '"' + "x" * 1000 + '"'}), NOW, POLICY)
    assert (caught.value.size, caught.value.limit) == (1 + 1002, 1000)


loaded_states = st.builds(
    Loaded,
    id=st.sampled_from([None, "id"]),
    key=st.just(KEY),
    created_at=st.floats(NOW - 90000, NOW),
    user_id=st.sampled_from([None, "u"]),
    user_agent=st.none(),
    cookie_signed_at=st.one_of(st.none(), st.floats(NOW - 2000, NOW)),
    stale_cookie=st.booleans(),
).map(lambda s: s if s.id is not None else Loaded(None, None, NOW, stale_cookie=s.stale_cookie))
texts = st.dictionaries(st.sampled_from("abcd"), st.sampled_from(["1", '"x"', "[]"]), max_size=4)


@given(
    loaded_states,
    st.sampled_from([None, *Intent]),
    texts,
    st.frozensets(st.sampled_from("efg"), max_size=2),
    st.sampled_from([None, "u", "v"]),
)
def test_every_plan_keeps_the_invariants(
    loaded: Loaded, intent: Intent | None, data: dict[str, str], removed: frozenset[str], user: str | None
) -> None:
    """Whatever the state and intent: the old record goes exactly when replaced, and only ours is touched."""
    written = {key: text for key, text in data.items() if key != "d"}
    plan = plan_save(loaded, changes(intent, written, removed, data, user), NOW, POLICY)
    deletes = [step for step in plan.steps if isinstance(step, Delete)]
    creates = [step for step in plan.steps if isinstance(step, Write) and step.key is None]
    has_record = loaded.key is not None
    assert all(step.key in (None, loaded.key) for step in plan.steps)
    assert len(deletes) == (1 if has_record and intent is not None else 0)
    assert len(creates) <= 1
    if creates:
        assert creates[0].written == data  # a new record holds everything, not just the changes
        assert plan.cookie == "set"
    if deletes and creates and intent is not Intent.END:
        assert plan.steps.index(creates[0]) < plan.steps.index(deletes[0])
    if plan.cookie == "clear":
        assert not creates
    assert 1 <= plan.ttl <= (1800 if user else 600)
    assert plan.ttl <= max(1, plan.created + POLICY.lifetime - NOW)
    touches = [step for step in plan.steps if isinstance(step, Touch)]
    indexed = plan.add_to_index or any(touch.indexed for touch in touches)
    assert indexed == (plan.cookie == "set" and user is not None)  # by the touch, or after the writes
    assert not (plan.add_to_index and touches)
