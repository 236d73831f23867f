"""Fixtures: a settable clock, a thread race, and anemo's Redis stores on real servers.

Test modules get these through fixtures; they import names from here only for type checking.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import redis.cluster
from redis.backoff import NoBackoff
from redis.retry import Retry

from anemo.captcha.redis import AsyncRedisStore, RedisStore
from anemo_testing import LoopThread, RedisCluster, RedisServer, Servers, redis_client_options


class BlockingAdapter:
    """An async store's methods called from plain threads, on a loop of its own: the sync suite
    (races included) then runs unchanged against it."""

    def __init__(self, store: AsyncRedisStore, runner: LoopThread) -> None:
        self.store = store
        self.prefix = store.prefix
        self.client = _BlockingClient(store.client, runner)
        self._call = runner.call

    def put(self, key: str, value: bytes, ttl: float) -> None:
        self._call(self.store.put(key, value, ttl))

    def get(self, key: str) -> bytes | None:
        return self._call(self.store.get(key))

    def take(self, key: str) -> bytes | None:
        return self._call(self.store.take(key))

    def add(self, key: str, value: bytes, ttl: float) -> bool:
        return self._call(self.store.add(key, value, ttl))


class _BlockingClient:
    def __init__(self, client: Any, runner: LoopThread) -> None:
        self._client = client
        self._runner = runner

    def pttl(self, key: str) -> int:
        result: int = self._runner.call(self._client.pttl(key))
        return result


Race = Callable[[int, Callable[[], object]], list[object]]


def run_race(attempts: int, action: Callable[[], object]) -> list[object]:
    """Run ``action`` in ``attempts`` threads released together; their results."""
    barrier = threading.Barrier(attempts)
    results: list[object] = [None] * attempts

    def run(index: int) -> None:
        barrier.wait()
        results[index] = action()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def race() -> Race:
    """``race(n, action)``: ``action`` run by n threads at once, their results in a list."""
    return run_race


@pytest.fixture
def redis_store(redis_server: RedisServer) -> Iterator[RedisStore]:
    """anemo's RedisStore on a fresh redis-server, failing fast instead of retrying."""
    store = RedisStore.from_url(redis_server.url)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def async_redis_store(redis_server: RedisServer) -> Iterator[BlockingAdapter]:
    """anemo's AsyncRedisStore on a fresh redis-server, driven from plain threads."""
    with LoopThread() as runner:
        store = AsyncRedisStore.from_url(redis_server.url)
        try:
            yield BlockingAdapter(store, runner)
        finally:
            runner.call(store.aclose())


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    """A three-master Redis Cluster shared by the tests that need one."""
    servers = Servers(tmp_path_factory.mktemp("cluster"))
    try:
        yield servers.redis_cluster()
    finally:
        servers.close()


@pytest.fixture
def cluster_store(cluster: RedisCluster) -> Iterator[RedisStore]:
    """anemo's RedisStore over a synchronous RedisCluster client, keys prefixed per test."""
    client = redis.cluster.RedisCluster(
        startup_nodes=[redis.cluster.ClusterNode(host, port) for host, port in cluster.startup_nodes],
        socket_timeout=0.5,
        socket_connect_timeout=0.5,
        retry=Retry(NoBackoff(), 0),
        **redis_client_options(),
    )
    store = RedisStore(client, prefix=f"{uuid.uuid4().hex}:")
    try:
        yield store
    finally:
        client.close()
