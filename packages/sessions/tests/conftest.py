"""Real servers shared by this package's tests, one store factory per kind, a clock and a loop runner.

The servers start once per test session; each test gets its own key prefix, so tests never see
each other's records. Tests that kill a server start their own through the ``servers`` fixture.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import pathlib
import sqlite3
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import asyncpg
import pytest

from anemo.sessions import (
    MemcachedStore,
    MemoryStore,
    PostgresStore,
    RedisClusterStore,
    RedisStore,
    SessionStore,
    ShardedStore,
    SQLiteStore,
    SQLStore,
    store_from_url,
)
from anemo_testing import (
    MemcachedServer,
    PostgresServer,
    RedisCluster,
    RedisSentinel,
    RedisServer,
    Servers,
    ValkeyServer,
    redis_client_options,
)

_prefixes = itertools.count()


Run = Callable[[Coroutine[Any, Any, Any]], Any]


@pytest.fixture
def run() -> Run:
    """``run(coro)``: the coroutine on a fresh event loop, with a bound so a hang fails the test."""

    def run(coro: Coroutine[Any, Any, Any]) -> Any:
        async def bounded() -> Any:
            return await asyncio.wait_for(coro, 60)

        try:
            return asyncio.run(bounded())
        finally:
            gc.collect()  # a connection left open warns here, in the test that leaked it

    return run


@pytest.fixture(scope="session")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    factory = Servers(tmp_path_factory.mktemp("shared-servers"))
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture(scope="session")
def shared_redis(shared: Servers) -> RedisServer:
    return shared.redis()


@pytest.fixture(scope="session")
def shared_valkey(shared: Servers) -> ValkeyServer:
    return shared.valkey()


@pytest.fixture(scope="session")
def shared_memcached(shared: Servers) -> MemcachedServer:
    return shared.memcached()


@pytest.fixture(scope="session")
def shared_shards(shared: Servers) -> list[RedisServer]:
    return [shared.redis() for _ in range(3)]


@pytest.fixture(scope="session")
def shared_cluster(shared: Servers) -> RedisCluster:
    return shared.redis_cluster()


@pytest.fixture(scope="session")
def shared_postgres(shared: Servers) -> PostgresServer:
    return shared.postgres()


@pytest.fixture(scope="session")
def shared_sentinel(shared: Servers) -> RedisSentinel:
    return shared.redis_sentinel()


def fresh_prefix() -> str:
    return f"test{next(_prefixes)}:"


def fresh_table() -> str:
    """A table of its own for a SQL store: the SQL stores' prefix."""
    return f"sessions_{next(_prefixes)}"


def redis_store(server: RedisServer, prefix: str | None = None) -> RedisStore:
    return RedisStore.from_url(server.url, prefix=prefix or fresh_prefix())


#: "valkey" is a RedisStore on a valkey-py client, talking to a real valkey-server; "sentinel" a
#: RedisSentinelStore on a master, a replica and three sentinels; "sqlite" a file in the test's
#: temporary directory; "postgres" a table of its own on a real PostgreSQL server.
STORE_KINDS = [
    "memory",
    "redis",
    "valkey",
    "memcached",
    "sharded",
    "cluster",
    "sentinel",
    "sqlite",
    "postgres",
]
INDEXED_KINDS = ["memory", "redis", "valkey", "sharded", "cluster", "sentinel", "sqlite", "postgres"]


@pytest.fixture
def make_store(request: pytest.FixtureRequest) -> Callable[[str], SessionStore]:
    """``make_store(kind)``: a new store of that kind on the shared servers, with its own prefix."""

    def make(kind: str) -> SessionStore:
        prefix = fresh_prefix()
        if kind == "memory":
            return MemoryStore()
        if kind == "redis":
            return redis_store(request.getfixturevalue("shared_redis"), prefix)
        if kind == "valkey":
            valkey: ValkeyServer = request.getfixturevalue("shared_valkey")
            return RedisStore.from_url(valkey.valkey_url, prefix=prefix, library="valkey")
        if kind == "memcached":
            server: MemcachedServer = request.getfixturevalue("shared_memcached")
            return MemcachedStore(server.host, server.port, prefix=prefix)
        if kind == "sharded":
            shards: list[RedisServer] = request.getfixturevalue("shared_shards")
            nodes = {f"node{i}": redis_store(shard, prefix) for i, shard in enumerate(shards)}
            return ShardedStore(nodes, weights={"node0": 2})
        if kind == "cluster":
            cluster: RedisCluster = request.getfixturevalue("shared_cluster")
            return RedisClusterStore.from_nodes(
                cluster.startup_nodes, prefix=prefix, **redis_client_options()
            )
        if kind == "sentinel":
            group: RedisSentinel = request.getfixturevalue("shared_sentinel")
            return store_from_url(group.url, prefix=prefix)
        if kind == "sqlite":
            directory: pathlib.Path = request.getfixturevalue("tmp_path")
            return SQLiteStore(directory / "sessions.db", table=fresh_table())
        if kind == "postgres":
            postgres: PostgresServer = request.getfixturevalue("shared_postgres")
            return PostgresStore(postgres.url, table=fresh_table())
        raise AssertionError(kind)

    return make


async def _sql_rows(store: SQLStore, template: str) -> list[tuple[Any, ...]]:
    """The rows a query of the store's tables (``{t}``, ``{u}``) gives, read beside the store."""
    if isinstance(store, SQLiteStore):
        with contextlib.closing(sqlite3.connect(store.path)) as db:
            return db.execute(store.sql(template)).fetchall()
    assert isinstance(store, PostgresStore)
    assert store._dsn is not None
    connection = await asyncpg.connect(store._dsn)
    try:
        return [tuple(row) for row in await connection.fetch(store.sql(template))]
    finally:
        await connection.close()


@pytest.fixture
def sql_rows() -> Callable[[SQLStore, str], Coroutine[Any, Any, list[tuple[Any, ...]]]]:
    """``await sql_rows(store, "SELECT ... FROM {t}")``: what a backup of a SQL store's tables holds."""
    return _sql_rows


@pytest.fixture
def table() -> str:
    """A table of its own for a SQL store (the SQL stores' prefix)."""
    return fresh_table()


@pytest.fixture(params=STORE_KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """Each kind of store, on its real server."""
    return str(request.param)


@pytest.fixture(params=INDEXED_KINDS)
def indexed_kind(request: pytest.FixtureRequest) -> str:
    """Each kind of store that keeps a user index."""
    return str(request.param)
