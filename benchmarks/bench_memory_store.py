"""MemoryStore against the in-memory session a tutorial teaches: a dict of session id -> JSON blob.

The peer keeps each session as ``json.dumps(data)`` under its id (256 random bits, URL-safe) in
a plain dict, reads it back with ``json.loads`` and writes the whole blob on every request, with
Tornado's signed value as its cookie. It has no expiry, no bound, no eviction order, no per-user
index and no creation time. Ours runs through ``SessionManager``: a record under a keyed hash of
the id, field-level writes, no write on a read-only request. Both run as coroutines on one event
loop, as in a Tornado handler (``run_until_complete`` costs each call about 15 us).

Timed (``run.py memory_store``): one request's session work, CPU time, as in bench_sessions.py.
Memory: bytes per session with one small key (``session["n"] = 1``), written as a new visitor's
first request writes it, 20,000 times; tracemalloc's traced memory after minus before (after a
collection), divided by the count. Only what each store keeps counts: the manager's transient
allocations are freed by then. The figures appear in the report's notes, and
``python benchmarks/bench_memory_store.py [SESSIONS]`` prints them alone.
"""

from __future__ import annotations

import asyncio
import gc
import json
import secrets
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any

import tornado.web
from harness import Suite, Thunk

from anemo.sessions import MemoryStore, SessionManager

SECRET = "a long random secret for the benchmark, 48 chars"
TEN_KEYS: dict[str, Any] = {f"key{i}": {"n": i, "tags": ["a", "b"], "name": f"value {i}"} for i in range(10)}
ONE_KEY: dict[str, Any] = {"n": 1}
SESSIONS = 20_000
LOOP = asyncio.new_event_loop()


class Tutorial:
    """The peer: a dict of session id -> JSON blob, the id in a Tornado signed cookie."""

    def __init__(self) -> None:
        self.sessions: dict[str, str] = {}

    async def new_visitor(self, data: dict[str, Any]) -> bytes:
        """A first request that stores ``data``: a new id, its blob, the signed cookie."""
        session_id = secrets.token_urlsafe(32)
        self.sessions[session_id] = json.dumps(data)
        return tornado.web.create_signed_value(SECRET, "session_id", session_id)

    async def request(self, cookie: bytes, write: bool, counter: int) -> None:
        """Check the cookie, read the blob, maybe change one key, write the blob back."""
        sid = tornado.web.decode_signed_value(SECRET, "session_id", cookie, max_age_days=1)
        assert sid is not None
        session_id = sid.decode()
        data = json.loads(self.sessions[session_id])
        assert data
        if write:
            data["n"] = counter
        self.sessions[session_id] = json.dumps(data)


async def _new_visitor(manager: SessionManager, data: dict[str, Any]) -> str:
    session = await manager.load(manager.open(None))
    session.update(data)
    update = await manager.save(session)
    assert update is not None
    assert update.value is not None
    return update.value


def _ours(data: dict[str, Any], write: bool) -> Thunk:
    manager = SessionManager(MemoryStore(), SECRET)
    cookie = LOOP.run_until_complete(_new_visitor(manager, data))
    counter = iter(range(1 << 62))

    async def one_request() -> None:
        session = await manager.load(manager.open(cookie))
        assert session
        if write:
            session["n"] = next(counter)
        await manager.save(session)

    return lambda: LOOP.run_until_complete(one_request())


def _tutorial(data: dict[str, Any], write: bool) -> Thunk:
    peer = Tutorial()
    cookie = LOOP.run_until_complete(peer.new_visitor(data))
    counter = iter(range(1 << 62))
    return lambda: LOOP.run_until_complete(peer.request(cookie, write, next(counter)))


def bytes_per_session(new_session: Callable[[], object], sessions: int = SESSIONS) -> float:
    """Traced memory kept per call of ``new_session``, over ``sessions`` calls."""
    new_session()  # first-use allocations (caches, interned names) are not per session
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(sessions):
            new_session()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return (after - before) / sessions


def memory(sessions: int = SESSIONS) -> dict[str, float]:
    """Bytes per one-key session: ours through SessionManager(MemoryStore()), and the tutorial's dict."""
    manager = SessionManager(MemoryStore(), SECRET)
    peer = Tutorial()
    return {
        "MemoryStore": bytes_per_session(
            lambda: LOOP.run_until_complete(_new_visitor(manager, ONE_KEY)), sessions
        ),
        "tutorial dict of JSON blobs": bytes_per_session(
            lambda: LOOP.run_until_complete(peer.new_visitor(ONE_KEY)), sessions
        ),
    }


def render_memory(figures: dict[str, float], sessions: int = SESSIONS) -> str:
    ours = figures["MemoryStore"]
    lines = [
        f"### Memory per session, one small key, {sessions:,} sessions (tracemalloc)",
        "",
        "| store | bytes per session | ours/peer |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| {name} | {size:.0f} | {'1 (ours)' if name == 'MemoryStore' else f'{ours / size:.2f}x'} |"
        for name, size in figures.items()
    ]
    return "\n".join(lines)


def suite() -> Suite:
    """One request's session work on MemoryStore and on the tutorial's dict; memory in the notes."""
    figures = memory()
    manager, peer = SessionManager(MemoryStore(), SECRET), Tutorial()
    bench = Suite("anemo.sessions MemoryStore: one request's session work, in process memory")
    bench.case(
        "new visitor's first write, 1 key",
        lambda: LOOP.run_until_complete(_new_visitor(manager, ONE_KEY)),
        {"tutorial dict": lambda: LOOP.run_until_complete(peer.new_visitor(ONE_KEY))},
        note=", ".join(f"{name} {size:.0f} bytes per session" for name, size in figures.items())
        + f" (tracemalloc, {SESSIONS:,} one-key sessions)",
    )
    bench.case(
        "read-only request, 1 key", _ours(ONE_KEY, False), {"tutorial dict": _tutorial(ONE_KEY, False)}
    )
    bench.case(
        "request that changes one key, 1 key",
        _ours(ONE_KEY, True),
        {"tutorial dict": _tutorial(ONE_KEY, True)},
    )
    bench.case(
        "request that changes one key of 10",
        _ours(TEN_KEYS, True),
        {"tutorial dict": _tutorial(TEN_KEYS, True)},
        note="ours splits the record's text, merges and joins it; the peer parses and dumps the whole blob",
    )
    return bench


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else SESSIONS
    print(render_memory(memory(count), count))
