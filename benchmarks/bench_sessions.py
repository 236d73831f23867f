"""anemo.sessions against a hand-written Redis session of the kind the Tornado tutorial teaches.

One case is one request's session work: check the signed cookie, load the session, read a key,
and save, with or without a change. Ours keeps a session as one Redis hash under a keyed hash of
its id, one JSON value per key: ``HGETALL`` on every request, a decode of each key the request
reads, and a write only when something changed, of the changed keys alone (one Lua script,
``EVALSHA``). A signed-in visitor whose cookie is due a refresh costs one more script, which
slides the expiry and refreshes the user's index entry together. The peer
keeps the session as one JSON blob under the signed id: ``GET`` and ``json.loads`` on every
request, then ``json.dumps`` and ``SET EX`` on every request (a sliding expiry, and the whole blob
even when nothing changed). The "encrypted at rest" cases run ours with ``encrypt=True``: every
value is sealed with AES-GCM under a key derived from the session id, so a load opens each of
the ten values and a write seals the changed one; the peer is the same plain blob. Both use
redis.asyncio with the same client options, on one redis-server started for the run, and
Tornado's signed value for the peer's cookie. Times are CPU time of this process; the server's
own work is not counted, but every round trip costs the client a command to encode and a reply
to parse. The "concurrent" cases run 16 such requests at once, as a loaded server does: ours
pipelines the commands that meet in one pass of the event loop on one connection; the peer's
client sends each on a connection of its own.

The lone cases have a third contender, the floor: our store's own round trips for that request
(``store.load``, then ``store.save`` or ``store.touch_indexed``) and nothing else, no cookie and no
session code. The peer's time over the floor's is the highest ratio that any session code making
those round trips with this client could reach.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import redis.asyncio
import tornado.web
from harness import Suite, Thunk
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from anemo.sessions import IndexEntry, MemoryStore, RedisStore, SessionManager
from anemo_testing import RedisServer

SECRET = "a long random secret for the benchmark, 48 chars"
DATA: dict[str, Any] = {f"key{i}": {"n": i, "tags": ["a", "b"], "name": f"value {i}"} for i in range(10)}
LOOP = asyncio.new_event_loop()
#: Requests in flight at once in the concurrent cases, as in the load benchmark (wrk -c16).
CONCURRENT = 16
AGENT = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"
#: The contender that sends our store's commands alone (:func:`_floor`).
FLOOR = "floor: our round trips alone"


def _server() -> RedisServer:
    server = RedisServer(Path(tempfile.mkdtemp(prefix="bench-sessions-")))
    server.start()
    atexit.register(server.stop)
    return server


def _client(server: RedisServer) -> Any:
    return redis.asyncio.Redis(
        host=server.host,
        port=server.port,
        socket_timeout=0.5,
        socket_connect_timeout=0.5,
        retry=Retry(NoBackoff(), 0),
    )


def _stored_session(manager: SessionManager, user: str | None) -> tuple[str, str]:
    """A new session holding DATA (signed in as ``user``, if given), saved: its cookie and record key."""

    async def setup() -> tuple[str, str]:
        session = await manager.load(manager.open(None))
        if user is not None:
            session.set_user(user, user_agent=AGENT)
        session.update(DATA)
        update = await manager.save(session)
        assert update is not None
        assert update.value is not None
        assert session.state.key is not None
        return update.value, session.state.key

    return LOOP.run_until_complete(setup())


def _ours(manager: SessionManager, write: bool, user: str | None = None, concurrent: int = 1) -> Thunk:
    cookies = [_stored_session(manager, user)[0] for _ in range(concurrent)]
    counter = iter(range(1 << 62))

    async def one_request(cookie: str) -> None:
        session = await manager.load(manager.open(cookie))
        assert session["key3"]["n"] == 3
        if write:
            session["key0"] = {"n": next(counter)}
        await manager.save(session)

    return _requests(one_request, cookies)


def _floor(manager: SessionManager, write: bool, user: str | None = None) -> Thunk:
    """Our store's round trips for the same request, and nothing else: no cookie, no session code.

    The peer's time over this is the highest ratio any session code making these round trips
    could show: what is left for ours (the cookie's MAC, the record key, decoding, the plan) is the
    difference between this and ours.
    """
    store = manager.store
    _, key = _stored_session(manager, user)
    info = {"created": 1.7e9, "seen": 1.7e9, "agent": AGENT, "ip": "127.0.0.0/24"}
    entry = IndexEntry(manager.user_key(user or ""), info, ttl=manager.policy.lifetime)

    async def one_request() -> None:
        assert await store.load(key)
        if write:
            await store.save(key, {"d:key0": '{"n": 1}'}, (), ttl=1800)
        elif user is not None:
            await store.touch_indexed(key, entry, ttl=1800)

    return lambda: LOOP.run_until_complete(one_request())


def _tutorial(client: Any, write: bool, concurrent: int = 1) -> Thunk:
    session_ids = [f"{n:04d}456789abcdef0123456789abcdef0123456789a" for n in range(concurrent)]
    cookies = [tornado.web.create_signed_value(SECRET, "session_id", sid) for sid in session_ids]
    for sid in session_ids:
        LOOP.run_until_complete(client.set(f"session:{sid}", json.dumps(DATA), ex=1800))
    counter = iter(range(1 << 62))

    async def one_request(cookie: bytes) -> None:
        sid = tornado.web.decode_signed_value(SECRET, "session_id", cookie, max_age_days=1)
        assert sid is not None
        key = f"session:{sid.decode()}"
        data = json.loads(await client.get(key))
        assert data["key3"]["n"] == 3
        if write:
            data["key0"] = {"n": next(counter)}
        await client.set(key, json.dumps(data), ex=1800)

    return _requests(one_request, cookies)


def _requests(one_request: Callable[[Any], Awaitable[None]], cookies: Sequence[Any]) -> Thunk:
    """One request with the first cookie, or, given several, one request per cookie, all at once."""
    if len(cookies) == 1:
        return lambda: LOOP.run_until_complete(one_request(cookies[0]))

    async def together() -> None:
        await asyncio.gather(*(one_request(cookie) for cookie in cookies))

    return lambda: LOOP.run_until_complete(together())


def suite() -> Suite:
    """Read-only and one-key-writing requests on Redis, plain and encrypted, and MemoryStore for scale."""
    server = _server()
    client = _client(server)
    ours = SessionManager(RedisStore(_client(server)), SECRET)
    sealed = SessionManager(RedisStore(_client(server)), SECRET, encrypt=True)
    # Every request re-issues the cookie: the sliding expiry's worst case for a signed-in visitor.
    refreshing = SessionManager(RedisStore(_client(server)), SECRET, refresh_interval=0)
    bench = Suite("anemo.sessions: one request's session work, 10-key session (Redis on loopback)")
    bench.case(
        "read-only request",
        _ours(ours, write=False),
        {"tutorial GET+SET blob": _tutorial(client, write=False), FLOOR: _floor(ours, write=False)},
        note="round trips: 1 (HGETALL) vs 2 (GET, SET)",
    )
    bench.case(
        "request that changes one key",
        _ours(ours, write=True),
        {"tutorial GET+SET blob": _tutorial(client, write=True), FLOOR: _floor(ours, write=True)},
        note="round trips: 2 (HGETALL, EVALSHA) vs 2 (GET, SET)",
    )
    bench.case(
        "signed-in read-only request, cookie due a refresh",
        _ours(refreshing, write=False, user="ada"),
        {
            "tutorial GET+SET blob": _tutorial(client, write=False),
            FLOOR: _floor(refreshing, write=False, user="grace"),
        },
        note="round trips: 2 (HGETALL, EVALSHA: touch + user index) vs 2 (GET, SET); ours signs a cookie",
    )
    bench.case(
        "read-only request, encrypted at rest",
        _ours(sealed, write=False),
        {"tutorial GET+SET blob": _tutorial(client, write=False)},
        note="round trips: 1 (HGETALL) vs 2 (GET, SET); ours opens 10 AES-GCM values, the peer none",
    )
    bench.case(
        "request that changes one key, encrypted at rest",
        _ours(sealed, write=True),
        {"tutorial GET+SET blob": _tutorial(client, write=True)},
        note="round trips: 2 (HGETALL, EVALSHA) vs 2 (GET, SET); ours opens 10 values, seals 1",
    )
    bench.case(
        f"{CONCURRENT} concurrent read-only requests",
        _ours(ours, write=False, concurrent=CONCURRENT),
        {"tutorial GET+SET blob": _tutorial(client, write=False, concurrent=CONCURRENT)},
        note=f"time for all {CONCURRENT}; ours sends its {CONCURRENT} HGETALLs as one pipelined write, "
        "the peer's client one command at a time on a connection each",
    )
    bench.case(
        f"{CONCURRENT} concurrent requests that change one key",
        _ours(ours, write=True, concurrent=CONCURRENT),
        {"tutorial GET+SET blob": _tutorial(client, write=True, concurrent=CONCURRENT)},
        note=f"time for all {CONCURRENT}: two pipelined writes (HGETALLs, then EVALSHAs) "
        f"vs 2 x {CONCURRENT} commands",
    )
    memory = SessionManager(MemoryStore(), SECRET)
    bench.case("read-only request, MemoryStore", _ours(memory, write=False), {})
    return bench
