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
from ._servers import MemcachedServer, NotRedisServer, RedisCluster, RedisServer

try:
    from hypothesis import settings
except ImportError:  # pragma: no cover - a package whose tests need no hypothesis
    pass
else:
    settings.register_profile("anemo", max_examples=100, deadline=None)
    settings.register_profile("anemo-thorough", max_examples=1000, deadline=None)
    settings.load_profile(os.environ.get("ANEMO_HYPOTHESIS_PROFILE", "anemo"))

__all__ = ["Servers", "clock", "memcached_server", "not_redis", "redis_cluster", "redis_server", "servers"]


class Servers:
    """Starts servers in a temp dir and stops all of them at :meth:`close`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._started: list[RedisServer | MemcachedServer | RedisCluster] = []

    def _dir(self, kind: str) -> Path:
        return self.directory / f"{kind}-{len(self._started)}"

    def redis(self) -> RedisServer:
        """A running ``redis-server``."""
        server = RedisServer(self._dir("redis"))
        self._started.append(server)
        server.start()
        return server

    def memcached(self) -> MemcachedServer:
        """A running ``memcached``."""
        server = MemcachedServer(self._dir("memcached"))
        self._started.append(server)
        server.start()
        return server

    def redis_cluster(self, masters: int = 3) -> RedisCluster:
        """A running Redis Cluster whose slots are all covered."""
        cluster = RedisCluster(self._dir("cluster"), masters)
        self._started.append(cluster)
        cluster.start()
        return cluster

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


@pytest.fixture
def redis_cluster(servers: Servers) -> RedisCluster:
    """A running three-master Redis Cluster."""
    return servers.redis_cluster()


@pytest.fixture
def not_redis() -> Iterator[NotRedisServer]:
    """A loopback port that answers like an HTTP server: what a store URL with the wrong port meets."""
    with NotRedisServer() as server:
        yield server


@pytest.fixture
def clock() -> Clock:
    """A settable Unix clock at 1_800_000_000, for the code under test."""
    return Clock()
