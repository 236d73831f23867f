"""One behaviour suite, run unchanged against every store on its real server."""

from __future__ import annotations

import asyncio
import datetime
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from anemo.sessions import (
    MemcachedStore,
    MemoryStore,
    NotSupported,
    RedisStore,
    Session,
    SessionManager,
    SessionStore,
    ShardedStore,
    SQLiteStore,
    SQLStore,
    StoreError,
    UserIndex,
)

Make = Callable[[str], SessionStore]
SQLRows = Callable[[SQLStore, str], Awaitable[list[tuple[Any, ...]]]]
SECRET = "behaviour secret"


async def request(
    manager: SessionManager, cookie: str | None, change: Callable[[Session], object]
) -> str | None:
    """One request: open the cookie, load, change, save; the cookie the browser holds afterwards."""
    session = await manager.load(manager.open(cookie))
    change(session)
    update = await manager.save(session)
    if update is None:
        return cookie
    return update.value


def set_key(key: str, value: object) -> Callable[[Session], None]:
    def change(session: Session) -> None:
        session[key] = value

    return change


async def read(manager: SessionManager, cookie: str | None) -> dict[str, object]:
    session = await manager.load(manager.open(cookie))
    return dict(session)


def test_protocol_round_trip(kind: str, make_store: Make, run) -> None:
    """save writes changed fields' texts, removes removed ones; load sees exactly that; delete forgets."""

    async def main() -> None:
        store = make_store(kind)
        try:
            assert isinstance(store, SessionStore)
            sid = store.new_id()
            assert await store.load(sid) is None
            await store.save(sid, {"a": "1", "b": '[1,"two",null]', "c": '{"x":1.5}'}, (), ttl=60)
            assert await store.load(sid) == {"a": "1", "b": '[1,"two",null]', "c": '{"x":1.5}'}
            await store.save(sid, {"a": '"é"'}, ["b", "missing"], ttl=60)
            assert await store.load(sid) == {"a": '"é"', "c": '{"x":1.5}'}
            await store.touch(sid, ttl=60)
            assert await store.load(sid) == {"a": '"é"', "c": '{"x":1.5}'}
            await store.delete(sid)
            assert await store.load(sid) is None
            await store.delete(sid)  # absent: a no-op
            await store.touch(sid, ttl=60)  # absent: nothing comes back
            assert await store.load(sid) is None
        finally:
            await store.aclose()

    run(main())


def test_records_expire_after_their_ttl(kind: str, make_store: Make, run) -> None:
    """A record the idle timeout has passed is gone; touch slides it."""

    async def main() -> None:
        store = make_store(kind)
        ttl = 1.0 if kind == "memcached" else 0.3  # memcached counts whole seconds
        try:
            kept, dropped = store.new_id(), store.new_id()
            for sid in (kept, dropped):
                await store.save(sid, {"k": "1"}, (), ttl=ttl)
            await store.touch(kept, ttl=30)
            await asyncio.sleep(ttl * 2 + (1 if kind == "memcached" else 0))
            assert await store.load(dropped) is None
            assert await store.load(kept) == {"k": "1"}
        finally:
            await store.aclose()

    if kind == "memory":
        pytest.skip("MemoryStore's clock is tested with a settable clock in test_memory.py")
    run(main())


def test_session_round_trip_through_the_manager(kind: str, make_store: Make, run) -> None:
    """A saved session is what the next request loads, with the cookie the first one set."""

    async def main() -> None:
        manager = SessionManager(make_store(kind), SECRET)
        try:
            cookie = await request(manager, None, set_key("cart", [1, 2]))
            assert cookie is not None
            assert await read(manager, cookie) == {"cart": [1, 2]}
            cookie = await request(manager, cookie, lambda s: s.pop("cart"))
            assert await read(manager, cookie) == {}
        finally:
            await manager.store.aclose()

    run(main())


def test_concurrent_writes_to_different_keys_all_survive(kind: str, make_store: Make, run) -> None:
    """50 concurrent requests, each setting its own key of one session: all 50 keys are there after."""

    async def main() -> None:
        manager = SessionManager(make_store(kind), SECRET)
        try:
            cookie = await request(manager, None, set_key("start", True))
            sessions = [await manager.load(manager.open(cookie)) for _ in range(50)]  # all loaded first
            for number, session in enumerate(sessions):
                session[f"k{number}"] = number
            await asyncio.gather(*(manager.save(session) for session in sessions))
            data = await read(manager, cookie)
            assert data == {"start": True, **{f"k{n}": n for n in range(50)}}
        finally:
            await manager.store.aclose()

    run(main())


def test_flash_messages_from_two_tabs_at_once_are_all_shown_once(kind: str, make_store: Make, run) -> None:
    """Two requests flash at once (two tabs, then a redirect each): the next page shows both, once."""

    async def main() -> None:
        manager = SessionManager(make_store(kind), SECRET)
        try:
            cookie = await request(manager, None, lambda session: session.flash("welcome"))
            tabs = [await manager.load(manager.open(cookie)) for _ in range(2)]
            tabs[0].flash("saved the draft", "success")
            tabs[1].flash({"text": "upload failed", "file": "a.png"}, "error")
            await asyncio.gather(*(manager.save(tab) for tab in tabs))
            page = await manager.load(manager.open(cookie))
            assert page.flashes("error") == [("error", {"text": "upload failed", "file": "a.png"})]
            assert page.flashes() == [("message", "welcome"), ("success", "saved the draft")]
            await manager.save(page)
            assert (await manager.load(manager.open(cookie))).flashes() == []
        finally:
            await manager.store.aclose()

    run(main())


def test_concurrent_writes_to_one_key_last_writer_wins(kind: str, make_store: Make, run) -> None:
    """Two requests setting the same key: the later save's value is kept, whole, never a mix."""

    async def main() -> None:
        manager = SessionManager(make_store(kind), SECRET)
        try:
            cookie = await request(manager, None, set_key("color", "none"))
            first, second = [await manager.load(manager.open(cookie)) for _ in range(2)]
            first["color"] = {"name": "red", "hex": "#f00"}
            second["color"] = {"name": "blue", "hex": "#00f"}
            await manager.save(first)
            await manager.save(second)
            assert (await read(manager, cookie))["color"] == {"name": "blue", "hex": "#00f"}
        finally:
            await manager.store.aclose()

    run(main())


def test_regenerate_moves_data_and_kills_the_old_id(kind: str, make_store: Make, run) -> None:
    """After a login the old cookie names no session; the new one carries the data it keeps."""

    async def main() -> None:
        manager = SessionManager(make_store(kind), SECRET)
        try:
            planted = await request(manager, None, set_key("cart", 3))
            planted = await request(manager, planted, set_key("draft", "planted by an attacker"))
            session = await manager.load(manager.open(planted))
            session.set_user("alice", user_agent="Firefox", keep=["cart"])
            update = await manager.save(session)
            assert update is not None
            assert update.value is not None
            assert update.value != planted
            assert await read(manager, planted) == {}
            fresh = await manager.load(manager.open(update.value))
            assert dict(fresh) == {"cart": 3}
            assert fresh.user_id == "alice"
        finally:
            await manager.store.aclose()

    run(main())


def test_invalidate_deletes_server_side(kind: str, make_store: Make, run) -> None:
    """Logout deletes the record: replaying the old cookie gives an empty session."""

    async def main() -> None:
        manager = SessionManager(make_store(kind), SECRET)
        try:
            cookie = await request(manager, None, set_key("user", "bob"))
            session = await manager.load(manager.open(cookie))
            session.invalidate()
            update = await manager.save(session)
            assert update is not None
            assert update.value is None  # clear the cookie
            replayed = await manager.load(manager.open(cookie))
            assert replayed.is_new
            assert dict(replayed) == {}
        finally:
            await manager.store.aclose()

    run(main())


#: What health() reports per kind: the shards, the cluster's masters, the master and three sentinels.
NODES = {
    "memory": 1,
    "redis": 1,
    "valkey": 1,
    "memcached": 1,
    "sharded": 3,
    "cluster": 3,
    "sentinel": 4,
    "sqlite": 1,
    "postgres": 1,
}


def test_health_reports_every_node(kind: str, make_store: Make, run) -> None:
    """health() names each node, says it is reachable and gives a round-trip time."""

    async def main() -> None:
        store = make_store(kind)
        try:
            report = await store.health()  # type: ignore[attr-defined]
            assert len(report) == NODES[kind]
            assert all(node.reachable and node.latency is not None for node in report)
            assert all(node.latency < 0.5 for node in report)
        finally:
            await store.aclose()

    run(main())


def test_user_index_lists_and_ends_a_users_sessions(indexed_kind: str, make_store: Make, run) -> None:
    """sessions_of lists live sessions by hash; invalidate_user ends all but the current one."""

    async def main() -> None:
        manager = SessionManager(make_store(indexed_kind), SECRET)
        try:
            cookies = []
            for agent in ("phone", "laptop", "tablet"):
                session = await manager.load(manager.open(None))
                session.set_user("carol", user_agent=agent)
                update = await manager.save(session)
                assert update is not None
                assert update.value is not None
                cookies.append(update.value)
            listed = await manager.sessions_of("carol")
            assert sorted(info.user_agent or "" for info in listed) == ["laptop", "phone", "tablet"]
            current = await manager.load(manager.open(cookies[0]))
            assert current.id is not None
            assert current.id_hash in {info.id_hash for info in listed}
            assert all(current.id not in info.id_hash for info in listed)
            assert await manager.sessions_of("dave") == []

            assert await manager.invalidate_user("carol", except_id=current.id) == 2
            assert [s.user_agent for s in await manager.sessions_of("carol")] == ["phone"]
            assert (await manager.load(manager.open(cookies[1]))).is_new
            assert (await manager.load(manager.open(cookies[0]))).user_id == "carol"
        finally:
            await manager.store.aclose()

    run(main())


def test_user_index_drops_entries_of_ended_sessions(indexed_kind: str, make_store: Make, run) -> None:
    """A session deleted behind the index's back is not listed, and its entry is cleaned away."""

    async def main() -> None:
        manager = SessionManager(make_store(indexed_kind), SECRET)
        index = manager.store.user_index
        assert isinstance(index, UserIndex)
        try:
            session = await manager.load(manager.open(None))
            session.set_user("erin")
            await manager.save(session)
            key = session.state.key
            assert key is not None
            await manager.store.delete(key)  # not through the manager: the entry stays
            assert key in await index.index_list(manager.user_key("erin"))
            assert await manager.sessions_of("erin") == []
            assert await index.index_list(manager.user_key("erin")) == {}
        finally:
            await manager.store.aclose()

    run(main())


def test_memcached_has_no_user_index(make_store: Make, run) -> None:
    """On memcached, listing a user's sessions is refused with the reason, not silently empty."""

    async def main() -> None:
        manager = SessionManager(make_store("memcached"), SECRET)
        try:
            with pytest.raises(NotSupported, match="memcached"):
                await manager.sessions_of("frank")
            with pytest.raises(NotSupported):
                await manager.invalidate_user("frank")
            session = await manager.load(manager.open(None))
            session.set_user("frank")  # logging in still works
            assert await manager.save(session) is not None
        finally:
            await manager.store.aclose()

    run(main())


def test_one_round_trip_for_a_read_only_request(make_store: Make, run, shared_redis) -> None:
    """A read-only request inside the refresh interval costs the store exactly one command."""

    async def main() -> None:
        manager = SessionManager(make_store("redis"), SECRET)
        try:
            cookie = await request(manager, None, set_key("n", 1))
            await manager.store.client.config_resetstat()  # type: ignore[attr-defined]
            for _ in range(5):
                session = await manager.load(manager.open(cookie))
                assert session["n"] == 1
                assert await manager.save(session) is None
            stats = await manager.store.client.info("commandstats")  # type: ignore[attr-defined]
            commands = {
                name: value["calls"]
                for name, value in stats.items()
                if not name.startswith(("cmdstat_config", "cmdstat_info"))
            }
            assert commands == {"cmdstat_hgetall": 5}
        finally:
            await manager.store.aclose()

    run(main())


def test_dead_session_cookie_is_cleared_not_adopted(kind: str, make_store: Make, run) -> None:
    """A genuine cookie whose record is gone gets a clear-cookie, and writing makes a new id."""

    async def main() -> None:
        manager = SessionManager(make_store(kind), SECRET)
        try:
            cookie = await request(manager, None, set_key("a", 1))
            session = await manager.load(manager.open(cookie))
            old_key = session.state.key
            assert old_key is not None
            await manager.store.delete(old_key)
            untouched = await manager.load(manager.open(cookie))
            assert untouched.is_new
            update = await manager.save(untouched)
            assert update is not None
            assert update.value is None
            written = await manager.load(manager.open(cookie))
            written["b"] = 2
            await manager.save(written)
            assert written.state.key not in (None, old_key)
            started = time.monotonic()
            assert await manager.store.load(old_key) is None
            assert time.monotonic() - started < 0.5
        finally:
            await manager.store.aclose()

    run(main())


def test_a_huge_save_still_writes_every_field(kind: str, make_store: Make, run) -> None:
    """3000 changed fields (past what one Lua call unpacks on Redis) are all written and removed."""

    async def main() -> None:
        store = make_store(kind)
        try:
            sid = store.new_id()
            fields = {f"f{n}": str(n) for n in range(3000)}
            await store.save(sid, fields, (), ttl=60)
            assert await store.load(sid) == fields
            await store.save(sid, {"f0": '"changed"'}, [f"f{n}" for n in range(1, 3000)], ttl=60)
            assert await store.load(sid) == {"f0": '"changed"'}
        finally:
            await store.aclose()

    run(main())


async def dump(store: SessionStore, sql_rows: SQLRows) -> list[str]:
    """Every key, field and value the store holds, as text: what a backup or MONITOR would show."""
    if isinstance(store, ShardedStore):
        return [text for node in store.nodes.values() for text in await dump(node, sql_rows)]
    if isinstance(store, MemoryStore):
        tables = (store._anonymous, store._signed_in, store._users)
        records = [(key, record.fields) for table in tables for key, record in table.items()]
        return [text for key, fields in records for text in (key, *fields, *fields.values())]
    if isinstance(store, MemcachedStore):  # memcached cannot list its keys: read the records we know
        return []
    if isinstance(store, SQLStore):
        rows = await sql_rows(store, "SELECT key, fields FROM {t}") + await sql_rows(
            store, "SELECT user_key, record_key, info FROM {u}"
        )
        texts = [text for row in rows for text in row]
        objects = [json.loads(text) for text in texts if text.startswith("{")]
        return texts + [str(text) for fields in objects for item in fields.items() for text in item]
    assert isinstance(store, RedisStore)
    texts: list[str] = []
    async for name in store.client.scan_iter(match=store.prefix + "*"):
        texts.append(name.decode())
        if await store.client.type(name) == b"hash":
            for field, value in (await store.client.hgetall(name)).items():
                texts += (field.decode(), value.decode())
    return texts


def test_a_store_dump_holds_no_usable_id(kind: str, make_store: Make, run, sql_rows: SQLRows) -> None:
    """No key, field or value names a session id, and no dumped text signs anyone in (CVE-2019-16782)."""

    async def main() -> None:
        manager = SessionManager(make_store(kind), SECRET)
        try:
            cookies = [await request(manager, None, set_key("n", n)) for n in range(5)]
            for n in range(3):
                session = await manager.load(manager.open(None))
                session.set_user(f"user{n}", user_agent="Firefox")
                update = await manager.save(session)
                assert update is not None
                cookies.append(update.value)
            ids = [manager.open(cookie).claim.id for cookie in cookies]
            assert all(ids)
            texts = await dump(manager.store, sql_rows)
            if kind == "memcached":  # not listable: the records under their keys, and the ids as keys
                keys = [(await manager.load(manager.open(c))).state.key for c in cookies]
                texts = [str(await manager.store.load(key)) for key in keys if key is not None]
                for session_id in ids:
                    assert session_id is not None
                    assert await manager.store.load(session_id) is None
            assert texts
            joined = "\n".join(texts)
            assert not any(session_id and session_id in joined for session_id in ids)
            signer = manager._signer
            for text in set(texts):  # whoever holds the dump (and even the cookie secret) gets nothing
                for candidate in {text, text.removeprefix(getattr(manager.store, "prefix", ""))}:
                    forged = manager.open(signer.sign(candidate.strip("{}")).decode())
                    assert (await manager.load(forged)).is_new
        finally:
            await manager.store.aclose()

    run(main())


def test_encrypted_sessions_round_trip_and_the_store_holds_no_data(
    kind: str, make_store: Make, run, sql_rows: SQLRows
) -> None:
    """With encrypt=True the data, its key names and the user are sealed; the cookie still opens them."""
    secrets = {"card": "VISA-CARD-SECRET", "address": {"street": "Hidden Lane"}}

    async def main() -> None:
        manager = SessionManager(make_store(kind), SECRET, encrypt=True)
        try:
            session = await manager.load(manager.open(None))
            session.set_user("alice@example.org", user_agent="Firefox")
            session.update(secrets)
            update = await manager.save(session)
            assert update is not None
            assert update.value is not None
            loaded = await manager.load(manager.open(update.value))
            assert dict(loaded) == secrets
            assert loaded.user_id == "alice@example.org"
            loaded["card"] = "changed"
            del loaded["address"]
            await manager.save(loaded)
            assert dict(await manager.load(manager.open(update.value))) == {"card": "changed"}

            key = loaded.state.key
            assert key is not None
            record = await manager.store.load(key)
            assert record is not None
            texts = (*record, *record.values(), *await dump(manager.store, sql_rows))
            for plain in ("VISA", "Hidden", "changed", "card", "address", "alice"):
                assert not any(plain in text for text in texts), plain

            unsealed = SessionManager(manager.store, SECRET)  # a manager without encrypt reads it too
            assert dict(await unsealed.load(unsealed.open(update.value))) == {"card": "changed"}
        finally:
            await manager.store.aclose()

    run(main())


def test_a_sealed_value_moved_to_another_record_does_not_open(make_store: Make, run) -> None:
    """Someone who can write to the store cannot move sealed values between sessions or fields."""

    async def main() -> None:
        manager = SessionManager(make_store("redis"), SECRET, encrypt=True)
        try:
            first = await request(manager, None, set_key("role", "admin"))
            second = await request(manager, None, set_key("role", "guest"))
            a = await manager.load(manager.open(first))
            b = await manager.load(manager.open(second))
            assert a.state.key is not None
            assert b.state.key is not None
            fields_a = await manager.store.load(a.state.key)
            assert fields_a is not None
            moved = {name: text for name, text in fields_a.items() if name.startswith("e:")}
            await manager.store.save(b.state.key, moved, (), ttl=60)
            with pytest.raises(StoreError, match="does not open"):
                await manager.load(manager.open(second))

            third = await request(manager, None, lambda s: s.update(role="guest", name="eve"))
            c = await manager.load(manager.open(third))
            assert c.state.key is not None
            fields_c = await manager.store.load(c.state.key)
            assert fields_c is not None
            one, other = (name for name in fields_c if name.startswith("e:"))
            swapped = {one: fields_c[other], other: fields_c[one]}
            await manager.store.save(c.state.key, swapped, (), ttl=60)
            with pytest.raises(StoreError, match="moved from another field"):
                await manager.load(manager.open(third))
        finally:
            await manager.store.aclose()

    run(main())


def test_anonymous_sessions_expire_sooner_in_the_store(
    kind: str, make_store: Make, run, sql_rows: SQLRows
) -> None:
    """An anonymous record lives anonymous_idle_timeout; a signed-in one the full idle_timeout."""

    async def main() -> None:
        manager = SessionManager(make_store(kind), SECRET, idle_timeout=3600, anonymous_idle_timeout=120)
        try:
            anonymous = await manager.load(manager.open(await request(manager, None, set_key("a", 1))))
            session = await manager.load(manager.open(None))
            session.set_user("heidi")
            update = await manager.save(session)
            assert update is not None
            signed_in = await manager.load(manager.open(update.value))
            for loaded, expected in ((anonymous, 120), (signed_in, 3600)):
                key = loaded.state.key
                assert key is not None
                assert await ttl_of(manager.store, key, sql_rows) == pytest.approx(expected, abs=2)
        finally:
            await manager.store.aclose()

    if kind == "memcached":
        pytest.skip("memcached does not tell a key's TTL; the planner's TTL is tested in test_plan.py")
    run(main())


async def ttl_of(store: SessionStore, key: str, sql_rows: SQLRows) -> float:
    """Seconds the record at ``key`` has left, as the server sees it."""
    if isinstance(store, ShardedStore):
        node = store.node_of(key)
        assert node is not None
        return await ttl_of(store.nodes[node], key, sql_rows)
    if isinstance(store, MemoryStore):
        found = store._find(key)
        assert found is not None
        return found[1].expires_at - time.monotonic()
    if isinstance(store, SQLStore):
        [(expires_at,)] = await sql_rows(store, f"SELECT expires_at FROM {{t}} WHERE key = '{key}'")
        if isinstance(store, SQLiteStore):
            return float(expires_at) - time.time()
        return (expires_at - datetime.datetime.now(datetime.UTC)).total_seconds()
    assert isinstance(store, RedisStore)
    return float(await store.client.pttl(store.redis_key(key))) / 1000
