"""What a request costs Redis, counted by the server itself (``INFO commandstats``).

The budget: one round trip for a read, one for a write's save, and two for a signed-in
visitor's read whose cookie is due a refresh (the load, then the touch and the index entry in
one script). Commands run inside a script are counted by Redis too, so each test compares the
whole tally: a command sent on its own would change it.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio

from anemo.sessions import IndexEntry, RedisStore, SessionManager
from anemo_testing import RedisServer

SECRET = "round-trip secret"
#: The commands that are a round trip each here; every other command in these tallies ran inside
#: a script (an extra one sent on its own would show as one more call in the tally).
TOP_LEVEL = ("cmdstat_hgetall", "cmdstat_evalsha", "cmdstat_eval", "cmdstat_multi")


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def tally(store: RedisStore) -> dict[str, int]:
    """Calls per command since the last reset, the test's own CONFIG and INFO left out."""
    stats: dict[str, Any] = await store.client.info("commandstats")
    return {
        name: value["calls"]
        for name, value in stats.items()
        if not name.startswith(("cmdstat_config", "cmdstat_info"))
    }


def round_trips(calls: dict[str, int]) -> int:
    return sum(calls.get(name, 0) for name in TOP_LEVEL)


async def one_request(manager: SessionManager, cookie: str, **changes: object) -> str:
    session = await manager.load(manager.open(cookie))
    assert session["n"] >= 0
    session.update(changes)
    update = await manager.save(session)
    return cookie if update is None or update.value is None else update.value


def test_a_read_is_one_round_trip_and_a_write_one_more(shared_redis: RedisServer, run) -> None:
    async def main() -> None:
        manager = SessionManager(RedisStore.from_url(shared_redis.url, prefix="rt-plain:"), SECRET)
        store = manager.store
        assert isinstance(store, RedisStore)
        try:
            session = await manager.load(manager.open(None))
            session["n"] = 0
            update = await manager.save(session)  # the save script reaches the server's cache here
            assert update is not None
            assert update.value is not None
            cookie = update.value
            await store.client.config_resetstat()
            await one_request(manager, cookie)
            assert await tally(store) == {"cmdstat_hgetall": 1}
            await store.client.config_resetstat()
            await one_request(manager, cookie, n=1)
            calls = await tally(store)
            assert calls == {
                "cmdstat_hgetall": 1,
                "cmdstat_evalsha": 1,
                "cmdstat_hset": 1,
                "cmdstat_pexpire": 1,
            }
            assert round_trips(calls) == 2
        finally:
            await store.aclose()

    run(main())


def test_a_signed_in_refresh_is_two_round_trips(shared_redis: RedisServer, run) -> None:
    """Load, then one script that slides the record's expiry and refreshes the user's index entry."""

    async def main() -> None:
        clock = Clock()
        manager = SessionManager(
            RedisStore.from_url(shared_redis.url, prefix="rt-refresh:"), SECRET, clock=clock
        )
        store = manager.store
        assert isinstance(store, RedisStore)
        try:
            session = await manager.load(manager.open(None))
            session.set_user("ada", user_agent="Firefox")
            session["n"] = 0
            update = await manager.save(session)
            assert update is not None
            assert update.value is not None
            clock.now += manager.policy.refresh_interval  # the cookie is due
            index = f"rt-refresh:user:{{{manager.user_key('ada')}}}"
            await store.client.pexpire(index, 1000)  # so the refresh has an index life to extend
            await store.client.config_resetstat()
            cookie = await one_request(manager, update.value)
            calls = await tally(store)
            assert round_trips(calls) == 2
            assert calls == {
                "cmdstat_hgetall": 1,
                "cmdstat_evalsha": 1,
                "cmdstat_pexpire": 2,  # in the script: the record, and the index's longer life
                "cmdstat_hset": 1,
                "cmdstat_pttl": 1,
            }
            assert cookie != update.value  # re-issued
            assert await store.client.pttl(index) > 1000 * manager.policy.lifetime - 60_000
            [info] = await manager.sessions_of("ada")
            assert info.last_seen == clock.now
        finally:
            await store.aclose()

    run(main())


def test_a_refresh_of_an_ended_session_adds_no_index_entry(shared_redis: RedisServer, run) -> None:
    async def main() -> None:
        store = RedisStore.from_url(shared_redis.url, prefix="rt-gone:")
        try:
            entry = IndexEntry("user-key", {"created": 1.0, "seen": 2.0, "agent": None}, 60)
            await store.touch_indexed("no-such-record", entry, ttl=60)
            assert await store.index_list("user-key") == {}
            await store.save("live", {"m:created": "1"}, (), ttl=60)
            await store.touch_indexed("live", entry, ttl=120)
            assert await store.index_list("user-key") == {
                "live": {"created": 1.0, "seen": 2.0, "agent": None}
            }
            assert 60_000 < await store.client.pttl(store.redis_key("live")) <= 120_000
        finally:
            await store.aclose()

    run(main())


def test_scripts_survive_a_script_flush(shared_redis: RedisServer, run) -> None:
    """A restarted or flushed server has no cached scripts: the store sends the text and carries on."""

    async def main() -> None:
        store = RedisStore.from_url(shared_redis.url, prefix="rt-flush:")
        try:
            await store.client.script_flush()
            await store.save("k", {"m:created": "1", "d:a": "1"}, (), ttl=60)
            assert await store.load("k") == {"m:created": "1", "d:a": "1"}
            await store.client.script_flush()
            entry = IndexEntry("u", {"seen": 1}, 60)
            await store.touch_indexed("k", entry, ttl=60)
            assert await store.index_list("u") == {"k": {"seen": 1}}
        finally:
            await store.aclose()

    run(main())


def test_a_single_connection_client_and_a_pooled_one_keep_the_same_records(
    shared_redis: RedisServer, run
) -> None:
    """A client pinned to one connection runs the commands itself; both see one store."""

    async def main() -> None:
        pinned = redis.asyncio.Redis.from_url(shared_redis.url, single_connection_client=True)
        pooled = RedisStore.from_url(shared_redis.url, prefix="rt-pinned:")
        one = RedisStore(pinned, prefix="rt-pinned:")
        try:
            await one.save("k", {"m:created": "1", "d:a": "[1]"}, (), ttl=60)
            assert await pooled.load("k") == {"m:created": "1", "d:a": "[1]"}
            await pooled.save("k", {"d:b": "2"}, ("d:a",), ttl=60)
            assert await one.load("k") == {"m:created": "1", "d:b": "2"}
            assert pinned.connection is not None  # the pinned connection did the work
        finally:
            await one.aclose()
            await pooled.aclose()

    run(main())
