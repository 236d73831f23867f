"""Fixtures: a settable clock, a thread race, and a ChallengeStore over redis-py on a real server.

Test modules get these through fixtures; they import names from here only for type checking.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from anemo_testing import RedisServer


class Clock:
    """A clock that moves only when told to."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RedisStore:
    """The ChallengeStore protocol on Redis: SET PX, GET, GETDEL (atomic take), SET NX PX (atomic add)."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def put(self, key: str, value: bytes, ttl: float) -> None:
        self.client.set(key, value, px=max(1, round(ttl * 1000)))

    def get(self, key: str) -> bytes | None:
        value: bytes | None = self.client.get(key)
        return value

    def take(self, key: str) -> bytes | None:
        value: bytes | None = self.client.getdel(key)
        return value

    def add(self, key: str, value: bytes, ttl: float) -> bool:
        return bool(self.client.set(key, value, px=max(1, round(ttl * 1000)), nx=True))


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
def clock() -> Clock:
    """A clock for the service under test, at a fixed time until advanced."""
    return Clock()


@pytest.fixture
def redis_store(redis_server: RedisServer) -> Iterator[RedisStore]:
    """A RedisStore on a fresh redis-server, failing fast instead of retrying."""
    client = redis.Redis(
        host=redis_server.host,
        port=redis_server.port,
        socket_timeout=2,
        retry=Retry(NoBackoff(), 0),
    )
    try:
        yield RedisStore(client)
    finally:
        client.close()
