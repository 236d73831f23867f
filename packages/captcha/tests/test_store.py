"""The store protocol: MemoryStore, and the same contract held by a Redis store."""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING

import pytest

from anemo.captcha import ChallengeStore, MemoryStore, StoreFull

if TYPE_CHECKING:
    from conftest import Race

    from anemo_testing import Clock


@pytest.fixture(params=["memory", "redis", "redis-async", "redis-cluster"])
def store(request: pytest.FixtureRequest) -> ChallengeStore:
    """Each store implementation, real (Redis, and a 3-master Redis Cluster, on real servers)."""
    if request.param == "memory":
        return MemoryStore()
    fixture = {"redis": "redis_store", "redis-async": "async_redis_store", "redis-cluster": "cluster_store"}
    redis_store: ChallengeStore = request.getfixturevalue(fixture[request.param])
    return redis_store


def test_implementations_satisfy_the_protocol(store: ChallengeStore) -> None:
    """Both stores are ChallengeStores at run time."""
    assert isinstance(store, ChallengeStore)


def test_put_get_take(store: ChallengeStore) -> None:
    """get reads without removing; take reads once and removes; put replaces."""
    store.put("k", b"one", 60)
    store.put("k", b"two", 60)
    assert store.get("k") == b"two"
    assert store.get("k") == b"two"
    assert store.take("k") == b"two"
    assert store.take("k") is None
    assert store.get("k") is None
    assert store.take("never") is None


def test_add_writes_only_once(store: ChallengeStore) -> None:
    """add succeeds for an absent key only."""
    assert store.add("used", b"1", 60) is True
    assert store.add("used", b"2", 60) is False
    assert store.get("used") == b"1"


@pytest.mark.parametrize("kind", ["redis_store", "async_redis_store", "cluster_store"])
def test_entries_expire_on_redis(kind: str, request: pytest.FixtureRequest) -> None:
    """Redis drops an entry after its TTL, kept in milliseconds (not rounded down to zero)."""
    redis_store = request.getfixturevalue(kind)
    redis_store.put("short", b"v", 0.5)
    assert redis_store.add("short-used", b"1", 0.5)
    assert 0 < redis_store.client.pttl(redis_store.prefix + "short") <= 500
    assert 0 < redis_store.client.pttl(redis_store.prefix + "short-used") <= 500
    time.sleep(0.7)
    assert redis_store.take("short") is None
    assert redis_store.add("short-used", b"1", 60)


def test_memory_entries_expire(clock: Clock) -> None:
    """MemoryStore entries vanish for get, take and add once their TTL is over."""
    store = MemoryStore(clock=clock)
    store.put("a", b"1", 10)
    store.add("b", b"1", 10)
    clock.advance(9.9)
    assert store.get("a") == b"1"
    clock.advance(0.2)
    assert store.get("a") is None
    assert store.take("a") is None
    assert store.add("b", b"2", 10) is True


def test_memory_store_sweeps_expired_entries_as_it_writes(clock: Clock) -> None:
    """Expired entries do not pile up: writes drop them from the oldest end."""
    store = MemoryStore(clock=clock)
    for index in range(100):
        store.put(f"old-{index}", b"x", 5)
    clock.advance(6)
    for index in range(20):
        store.put(f"new-{index}", b"x", 5)
    assert len(store) == 20


def test_full_memory_store_evicts_oldest_challenge_but_never_a_used_id() -> None:
    """At capacity put forgets the oldest entry; add refuses (forgetting would allow a replay)."""
    store = MemoryStore(max_entries=3)
    for key in ("a", "b", "c"):
        store.put(key, b"x", 60)
    store.put("d", b"x", 60)
    assert store.get("a") is None
    assert [store.get(key) for key in "bcd"] == [b"x"] * 3
    with pytest.raises(StoreFull) as caught:
        store.add("used", b"1", 60)
    assert caught.value.capacity == 3


def test_put_never_evicts_a_used_id() -> None:
    """A flood of put() pushes out old challenges only; a used id stays, and a store of used ids is full."""
    store = MemoryStore(max_entries=3)
    assert store.add("used", b"1", 60)
    for key in "abcdef":
        store.put(key, b"x", 60)
    assert store.get("used") == b"1"
    assert store.add("used", b"1", 60) is False
    assert [store.get(key) for key in "abcdef"] == [None, None, None, None, b"x", b"x"]
    assert store.take("e") == b"x"
    assert store.take("f") == b"x"
    assert store.add("used-2", b"1", 60)
    assert store.add("used-3", b"1", 60)
    with pytest.raises(StoreFull):
        store.put("g", b"x", 60)
    assert [store.get(key) for key in ("used", "used-2", "used-3")] == [b"1"] * 3


def test_full_memory_store_makes_room_once_entries_expire(clock: Clock) -> None:
    """A full store accepts a used id again as soon as old entries have expired."""
    store = MemoryStore(max_entries=2, clock=clock)
    store.add("a", b"1", 5)
    store.add("b", b"1", 5)
    clock.advance(6)
    assert store.add("c", b"1", 5) is True


def test_expired_challenges_behind_a_used_id_make_room(clock: Clock) -> None:
    """Challenges that expired behind a longer-lived used id are swept, so a new used id fits."""
    store = MemoryStore(max_entries=3, clock=clock)
    store.add("used", b"1", 600)
    store.put("a", b"x", 300)
    store.put("b", b"x", 300)
    clock.advance(301)
    assert store.add("used-2", b"1", 600) is True
    assert store.get("used") == b"1"
    assert len(store) == 2


@pytest.mark.parametrize("max_entries", [0, -5])
def test_memory_store_needs_room(max_entries: int) -> None:
    """A store that could hold nothing is refused."""
    with pytest.raises(ValueError, match="max_entries"):
        MemoryStore(max_entries=max_entries)


def test_take_and_add_are_atomic_under_concurrency(store: ChallengeStore, race: Race) -> None:
    """Of many simultaneous takes (and adds) of one key, exactly one wins."""
    for key in ("k0", "k1", "k2", "k3", "k4"):
        store.put(key, b"v", 60)
        assert race(12, functools.partial(store.take, key)).count(b"v") == 1
        assert race(12, functools.partial(store.add, f"used-{key}", b"1", 60)).count(True) == 1
