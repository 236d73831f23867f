"""Commands of one event-loop pass pipelined on one connection: fewer connections, the same replies.

Concurrent requests are ``asyncio.gather``-ed here, so their commands reach the store in one
pass, as the requests of a loaded server do. Each test checks what each caller got back, since
a reply handed to the wrong caller is the failure that matters most.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anemo.sessions import RedisStore, SessionManager, StoreError, StoreUnavailable
from anemo_testing import RedisServer, Servers

SECRET = "batching secret"
LIBRARIES = pytest.mark.parametrize("library", ["redis", "valkey"])


def server_for(servers: Servers, library: str) -> tuple[RedisServer, str]:
    server = servers.valkey() if library == "valkey" else servers.redis()
    return server, server.valkey_url if library == "valkey" else server.redis_url


async def new_sessions(manager: SessionManager, count: int) -> list[str]:
    """``count`` sessions, made one after another, each holding ``n``: its index."""
    cookies = []
    for n in range(count):
        session = await manager.load(manager.open(None))
        session["n"] = n
        update = await manager.save(session)
        assert update is not None
        assert update.value is not None
        cookies.append(update.value)
    return cookies


@asynccontextmanager
async def stored_sessions(
    url: str, count: int, **options: Any
) -> AsyncIterator[tuple[RedisStore, SessionManager, list[str]]]:
    """A store at ``url``, its manager, and the cookies of ``count`` sessions made with it."""
    async with RedisStore.from_url(url, **options) as store:
        manager = SessionManager(store, SECRET)
        yield store, manager, await new_sessions(manager, count)


async def connections_made(store: RedisStore) -> int:
    stats: dict[str, Any] = await store.client.info("stats")
    return int(stats["total_connections_received"])


async def load_n(manager: SessionManager, cookie: str) -> object:
    return (await manager.load(manager.open(cookie)))["n"]


@LIBRARIES
def test_concurrent_requests_share_a_connection(servers: Servers, run, library: str) -> None:
    """40 loads, then 40 saves, in one pass each: no new connection, and each caller its own reply."""
    _, url = server_for(servers, library)

    async def main() -> None:
        async with stored_sessions(url, 40, library=library) as (store, manager, cookies):
            before = await connections_made(store)
            sessions = await asyncio.gather(*(manager.load(manager.open(c)) for c in cookies))
            assert [s["n"] for s in sessions] == list(range(40))
            for session in sessions:
                session["n"] += 100
            await asyncio.gather(*(manager.save(s) for s in sessions))
            assert await connections_made(store) == before  # 40 more without batching
            assert await asyncio.gather(*(load_n(manager, c) for c in cookies)) == list(range(100, 140))

    run(main())


def test_an_error_reply_belongs_to_its_command_alone(shared_redis: RedisServer, run) -> None:
    """A record planted with the wrong type fails its own load; the rest of the batch is served."""

    async def main() -> None:
        async with RedisStore.from_url(shared_redis.url, prefix="batch-error:") as store:
            manager = SessionManager(store, SECRET)
            cookies = await new_sessions(manager, 2)
            before = set(await store.client.keys("batch-error:*"))
            cookies += await new_sessions(manager, 1)
            (planted,) = set(await store.client.keys("batch-error:*")) - before
            await store.client.set(planted, "not a hash")
            cookies += await new_sessions(manager, 3)
            results = await asyncio.gather(*(load_n(manager, c) for c in cookies), return_exceptions=True)
            failed = results.pop(2)
            assert isinstance(failed, StoreError)
            assert not isinstance(failed, StoreUnavailable)
            assert "WRONGTYPE" in str(failed)
            assert results == [0, 1, 0, 1, 2]

    run(main())


def test_scripts_the_server_forgot_are_sent_again_in_a_batch(shared_redis: RedisServer, run) -> None:
    """After SCRIPT FLUSH every save of a batch gets NOSCRIPT, and each is resent as EVAL."""

    async def main() -> None:
        async with stored_sessions(shared_redis.url, 8, prefix="batch-noscript:") as (
            store,
            manager,
            cookies,
        ):
            sessions = await asyncio.gather(*(manager.load(manager.open(c)) for c in cookies))
            await store.client.script_flush()
            for session in sessions:
                session["n"] = -session["n"]
            await asyncio.gather(*(manager.save(s) for s in sessions))
            assert await asyncio.gather(*(load_n(manager, c) for c in cookies)) == [-n for n in range(8)]

    run(main())


@LIBRARIES
def test_a_stalled_server_fails_a_whole_batch_within_the_timeout(servers: Servers, run, library: str) -> None:
    server, url = server_for(servers, library)

    async def main() -> None:
        async with stored_sessions(url, 20, timeout=0.3, library=library) as (_, manager, cookies):
            server.execute("CLIENT", "PAUSE", "2000", "ALL")
            started = time.monotonic()
            results = await asyncio.gather(*(load_n(manager, c) for c in cookies), return_exceptions=True)
            assert 0.25 < time.monotonic() - started < 1.0
            assert all(isinstance(r, StoreUnavailable) for r in results), results

    run(main())


@LIBRARIES
def test_a_killed_server_fails_the_batch_and_the_store_recovers(servers: Servers, run, library: str) -> None:
    server, url = server_for(servers, library)

    async def main() -> None:
        async with stored_sessions(url, 20, library=library) as (_, manager, cookies):
            server.kill()
            started = time.monotonic()
            results = await asyncio.gather(*(load_n(manager, c) for c in cookies), return_exceptions=True)
            assert time.monotonic() - started < 1.0
            assert all(isinstance(r, StoreUnavailable) for r in results), results
            server.start()
            fresh = await new_sessions(manager, 5)
            assert await asyncio.gather(*(load_n(manager, c) for c in fresh)) == list(range(5))

    run(main())


def test_a_caller_that_stops_waiting_leaves_the_others_their_replies(shared_redis: RedisServer, run) -> None:
    """A request cancelled mid-batch (its client went away) takes nothing from the others."""

    async def main() -> None:
        async with stored_sessions(shared_redis.url, 10, prefix="batch-cancel:") as (_, manager, cookies):
            tasks = [asyncio.create_task(load_n(manager, c)) for c in cookies]
            await asyncio.sleep(0)  # every load has queued its command
            tasks[4].cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert isinstance(results.pop(4), asyncio.CancelledError)
            assert results == [n for n in range(10) if n != 4]
            assert await asyncio.gather(*(load_n(manager, c) for c in cookies)) == list(range(10))

    run(main())


_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(st.dictionaries(st.text(min_size=1, max_size=12), _values, max_size=6), max_size=12))
def test_each_concurrent_request_gets_its_own_session(shared_redis: RedisServer, run, data) -> None:
    """Sessions written and read back concurrently each come back as written, whatever they hold."""

    async def main() -> None:
        async with RedisStore.from_url(shared_redis.url, prefix="batch-property:") as store:
            manager = SessionManager(store, SECRET)
            sessions = await asyncio.gather(*(manager.load(manager.open(None)) for _ in data))
            for session, values in zip(sessions, data, strict=True):
                session.update(values)
                session["marker"] = True  # every session is saved, even an empty one
            updates = await asyncio.gather(*(manager.save(s) for s in sessions))
            cookies = [u.value for u in updates if u is not None]
            assert len(cookies) == len(data)
            loaded = await asyncio.gather(*(manager.load(manager.open(c)) for c in cookies))
            for session, values in zip(loaded, data, strict=True):
                assert {key: session[key] for key in values} == values
                assert session["marker"] is True

    run(main())
