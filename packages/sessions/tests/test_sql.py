"""The SQL stores beyond the behaviour suite: several processes on one SQLite file, the bounded
sweep, servers that die or stall, and errors that name their cause."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from anemo.sessions import (
    InvalidOption,
    PostgresStore,
    SessionManager,
    SQLiteStore,
    SQLStore,
    StoreError,
    StoreUnavailable,
    _sql,
)
from anemo_testing import PostgresServer, Servers

Run = Callable[[Coroutine[Any, Any, Any]], Any]
SQLRows = Callable[[SQLStore, str], Awaitable[list[tuple[Any, ...]]]]
SECRET = "sql secret"

#: A second process that writes its own fields into the same records as the test, then says done.
_WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from anemo.sessions import SQLiteStore

    async def main(path, keys, rounds):
        async with SQLiteStore(path, timeout=5) as store:
            for n in range(rounds):
                for key in keys:
                    await store.save(key, {f"child{n}": str(n)}, (), ttl=60)

    asyncio.run(main(sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])))
    """
)


def test_two_processes_share_one_sqlite_file_and_lose_no_field(tmp_path: Path, run: Run) -> None:
    """Two processes writing different fields of the same records at once: every field survives."""
    path = tmp_path / "shared.db"
    keys = [f"record{n}" for n in range(4)]
    rounds = 150

    async def main() -> None:
        async with SQLiteStore(path, timeout=5) as store:
            await store.save("ready", {"x": "1"}, (), ttl=60)  # the file and its tables exist
            child = subprocess.Popen([sys.executable, "-c", _WRITER, str(path), ",".join(keys), str(rounds)])
            try:
                for n in range(rounds):
                    for key in keys:
                        await store.save(key, {f"parent{n}": str(n)}, (), ttl=60)
            finally:
                assert await asyncio.to_thread(child.wait, 60) == 0
            for key in keys:
                fields = await store.load(key)
                assert fields is not None
                expected = {f"{who}{n}": str(n) for who in ("parent", "child") for n in range(rounds)}
                assert fields == expected

    run(main())


def test_sqlite_sessions_survive_a_restart(tmp_path: Path, run: Run) -> None:
    """A store closed and a new one opened on the file (a restarted process) sees the same sessions."""
    path = tmp_path / "sessions.db"

    async def main() -> str:
        manager = SessionManager(SQLiteStore(path), SECRET)
        session = await manager.load(manager.open(None))
        session.set_user("ada")
        session["cart"] = [1, 2]
        update = await manager.save(session)
        await manager.store.aclose()
        assert update is not None
        assert update.value is not None
        return update.value

    cookie = run(main())

    async def after_restart() -> None:
        manager = SessionManager(SQLiteStore(path), SECRET)
        try:
            session = await manager.load(manager.open(cookie))
            assert (session.user_id, dict(session)) == ("ada", {"cart": [1, 2]})
            assert len(await manager.sessions_of("ada")) == 1
        finally:
            await manager.store.aclose()

    run(after_restart())


def test_a_locked_sqlite_file_fails_within_the_timeout(tmp_path: Path, run: Run) -> None:
    """Another process holding the write lock: StoreUnavailable after the timeout, not a hang."""
    path = tmp_path / "locked.db"

    async def main() -> None:
        async with SQLiteStore(path, timeout=0.3) as store:
            await store.save("k", {"a": "1"}, (), ttl=60)
            holder = sqlite3.connect(path, isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")
            try:
                started = time.monotonic()
                with pytest.raises(StoreUnavailable, match="locked"):
                    await store.save("k", {"a": "2"}, (), ttl=60)
                assert 0.25 < time.monotonic() - started < 1.0
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            await store.save("k", {"a": "3"}, (), ttl=60)
            assert await store.load("k") == {"a": "3"}

    run(main())


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path, run: Run) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not SQLite" * 100)

    async def main() -> None:
        async with SQLiteStore(path) as store:
            with pytest.raises(StoreError, match="not a database") as caught:
                await store.load("k")
            assert not isinstance(caught.value, StoreUnavailable)

    run(main())


@pytest.fixture
def sql_store(request: pytest.FixtureRequest, tmp_path: Path, table: str) -> Iterator[SQLStore]:
    """An SQL store of each kind, with a table of its own."""
    if request.param == "sqlite":
        yield SQLiteStore(tmp_path / "sweep.db", table=table)
    else:
        server: PostgresServer = request.getfixturevalue("shared_postgres")
        yield PostgresStore(server.url, table=table)


SQL_KINDS = pytest.mark.parametrize("sql_store", ["sqlite", "postgres"], indirect=True)


async def count(sql_rows: SQLRows, store: SQLStore, table: str) -> int:
    [(rows,)] = await sql_rows(store, f"SELECT count(*) FROM {table}")
    return int(rows)


@SQL_KINDS
def test_sweep_deletes_expired_rows_and_no_more_than_asked(
    sql_store: SQLStore, run: Run, sql_rows: SQLRows, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sweep a store makes on its own every 32 saves would take rows that expire while the 51
    # saves below are still running on a slow machine: only the explicit sweeps are counted here.
    monkeypatch.setattr(_sql, "_SWEEP_EVERY", 1000)

    async def main() -> None:
        async with sql_store as store:
            for n in range(50):
                await store.save(f"gone{n}", {"a": "1"}, (), ttl=0.05)
                await store.index_add("user", f"gone{n}", {"n": n}, ttl=0.05)
            await store.save("kept", {"a": "1"}, (), ttl=60)
            await store.index_add("user", "kept", {"n": -1}, ttl=60)
            await asyncio.sleep(0.1)
            assert await store.sweep(limit=20) == 40  # 20 records and 20 index entries
            assert await count(sql_rows, store, "{t}") == 31
            assert await store.sweep() == 60
            assert await store.sweep() == 0
            assert await count(sql_rows, store, "{t}") == await count(sql_rows, store, "{u}") == 1
            assert await store.load("kept") == {"a": "1"}
            with pytest.raises(InvalidOption, match="limit"):
                await store.sweep(limit=0)

    run(main())


@SQL_KINDS
def test_a_flood_of_short_lived_records_stays_bounded(
    sql_store: SQLStore, run: Run, sql_rows: SQLRows
) -> None:
    """Saves sweep as they go: records that expire as fast as they come never pile up."""

    async def main() -> None:
        async with sql_store as store:
            for n in range(640):
                await store.save(f"flood{n}", {"a": "1"}, (), ttl=0.001)
            assert await count(sql_rows, store, "{t}") <= 64

    run(main())


@SQL_KINDS
def test_the_schema_lets_migrations_create_the_tables(sql_store: SQLStore, run: Run, tmp_path: Path) -> None:
    """With create_tables off the store uses tables made from its schema, and says when they are missing."""

    async def main() -> None:
        if isinstance(sql_store, SQLiteStore):
            store: SQLStore = SQLiteStore(sql_store.path, table=sql_store.table, create_tables=False)
        else:
            store = PostgresStore(sql_store._dsn or "", table=sql_store.table, create_tables=False)
        async with store:
            with pytest.raises(StoreError, match=f"{store.table}") as caught:
                await store.load("k")
            assert not isinstance(caught.value, StoreUnavailable)
            async with sql_store:
                await sql_store.load("k")  # the default store creates them
            await store.save("k", {"a": "1"}, (), ttl=60)
            assert await store.load("k") == {"a": "1"}

    run(main())


@pytest.mark.parametrize("table", ["", "1table", "sessions; DROP TABLE users", "a-b", "x" * 52, None])
def test_a_table_name_that_is_not_a_plain_identifier_is_refused(table: object, tmp_path: Path) -> None:
    with pytest.raises(InvalidOption, match="table"):
        SQLiteStore(tmp_path / "x.db", table=table)  # type: ignore[arg-type]
    with pytest.raises(InvalidOption, match="table"):
        PostgresStore("postgresql://127.0.0.1/x", table=table)  # type: ignore[arg-type]


def test_an_error_postgres_answers_is_a_store_error(
    shared_postgres: PostgresServer, run: Run, table: str
) -> None:
    """A field name PostgreSQL's jsonb cannot hold (a NUL) is refused by the server, clearly."""

    async def main() -> None:
        async with PostgresStore(shared_postgres.url, table=table) as store:
            with pytest.raises(StoreError, match="postgres") as caught:
                await store.save("k", {"a\0b": "1"}, (), ttl=60)
            assert not isinstance(caught.value, StoreUnavailable)
            await store.save("k", {"a": "1"}, (), ttl=60)  # the store goes on working
            assert await store.load("k") == {"a": "1"}

    run(main())


def test_postgres_dead_or_stalled_fails_fast_and_recovers(servers: Servers, run: Run) -> None:
    """Stalled: StoreUnavailable within the timeout, every time. Killed: the same. Back: it works."""
    server = servers.postgres()

    async def main() -> None:
        async with PostgresStore(server.url, timeout=0.3) as store:
            manager = SessionManager(store, SECRET)
            session = await manager.load(manager.open(None))
            session["n"] = 1
            update = await manager.save(session)
            assert update is not None
            cookie = update.value

            server.pause()
            try:
                for _ in range(3):
                    started = time.monotonic()
                    with pytest.raises(StoreUnavailable, match="no answer within"):
                        await manager.load(manager.open(cookie))
                    assert time.monotonic() - started < 0.6
            finally:
                server.resume()
            assert dict(await manager.load(manager.open(cookie))) == {"n": 1}

            server.kill()
            started = time.monotonic()
            with pytest.raises(StoreUnavailable):
                await manager.load(manager.open(cookie))
            assert time.monotonic() - started < 0.6
            server.restart()
            assert dict(await manager.load(manager.open(cookie))) == {"n": 1}

    run(main())


def test_stores_starting_at_once_create_the_tables_once(
    shared_postgres: PostgresServer, run: Run, sql_rows: SQLRows, table: str
) -> None:
    """Stores starting at once on an empty database all get working tables (no CREATE TABLE race)."""

    async def main() -> None:
        stores = [PostgresStore(shared_postgres.url, table=table, timeout=5) for _ in range(8)]
        try:
            await asyncio.gather(
                *(store.save(f"k{n}", {"a": "1"}, (), ttl=60) for n, store in enumerate(stores))
            )
            assert await count(sql_rows, stores[0], "{t}") == 8
        finally:
            await asyncio.gather(*(store.aclose() for store in stores))

    run(main())
