"""Challenge stores on Redis, shared by every process and machine that verifies.

:class:`RedisStore` wraps a ``redis.Redis`` client, :class:`AsyncRedisStore` a
``redis.asyncio.Redis`` one; a ``RedisCluster`` client of either kind works the same (each
operation touches one key). The atomic operations are single commands: ``take`` is ``GETDEL``
(Redis 6.2 or later) and ``add`` is ``SET NX PX``. Build stores with ``from_url``, which sets
connect and socket timeouts and turns redis-py's retries off (with the ``Retry`` class of the
client's own kind: sync or asyncio), so a server that is down or stalls raises
:class:`~anemo.captcha.StoreUnavailable` within ``timeout`` seconds instead of retrying for several.
Any other error of the server (out of memory under ``noeviction``, a port that does not speak
Redis) raises :class:`~anemo.captcha.StoreError`. The server must run with ``maxmemory-policy
noeviction``: evicting a used id would let its token be accepted again.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

try:
    import redis
    import redis.asyncio
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    if exc.name != "redis":
        raise
    raise ModuleNotFoundError(
        "anemo.captcha.redis needs redis-py: pip install 'anemo-captcha[redis]'", name="redis"
    ) from exc
import redis.asyncio.retry
import redis.retry
from redis.backoff import NoBackoff

from .errors import InvalidOption, StoreError, StoreUnavailable

__all__ = ["RedisStore", "AsyncRedisStore", "DEFAULT_TIMEOUT"]

#: Seconds a store waits for its server before raising StoreUnavailable.
DEFAULT_TIMEOUT = 0.5

#: The server or the network failed (down, refusing, stalled, failing over), as opposed to an error
#: the server answered with. anemo.sessions' Redis stores draw the same line.
_UNAVAILABLE = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ClusterError,
    redis.exceptions.RedisClusterException,
    redis.exceptions.TryAgainError,
    redis.exceptions.ReadOnlyError,
    OSError,
)


def _client_options(
    timeout: float, retry: type[redis.retry.Retry | redis.asyncio.retry.Retry]
) -> dict[str, Any]:
    """Options under which a dead or stalled server fails within ``timeout``, never retried."""
    if isinstance(timeout, bool) or not (isinstance(timeout, int | float) and 0 < timeout <= 60):
        raise InvalidOption(f"timeout must be a number of seconds in (0, 60], not {timeout!r}")
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout, "retry": retry(NoBackoff(), 0)}


def _milliseconds(ttl: float) -> int:
    return max(1, math.ceil(ttl * 1000))


def _address(client: Any) -> str:
    pool = getattr(client, "connection_pool", None)
    if pool is None:
        return "redis cluster"
    settings = pool.connection_kwargs
    return str(settings.get("path") or f"{settings.get('host', 'localhost')}:{settings.get('port', 6379)}")


class _Base:
    def __init__(self, client: Any, *, prefix: str = "") -> None:
        self.client = client
        self.prefix = prefix
        #: How errors name the server.
        self.address = _address(client)

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(self.address, f"{type(exc).__name__}: {exc}") from exc
        except redis.exceptions.RedisError as exc:
            raise StoreError(self.address, f"{type(exc).__name__}: {exc}") from exc


class RedisStore(_Base):
    """A :class:`~anemo.captcha.ChallengeStore` on a synchronous redis-py client.

    Each call blocks its thread for one round trip: in an asyncio or Tornado app, use
    :class:`AsyncRedisStore` and the service's ``a...`` methods instead.
    """

    @classmethod
    def from_url(cls, url: str, *, timeout: float = DEFAULT_TIMEOUT, prefix: str = "") -> RedisStore:
        """A store on ``redis://host:port/db`` whose calls fail within ``timeout`` seconds."""
        return cls(redis.Redis.from_url(url, **_client_options(timeout, redis.retry.Retry)), prefix=prefix)

    def put(self, key: str, value: bytes, ttl: float) -> None:
        with self._errors():
            self.client.set(self.prefix + key, value, px=_milliseconds(ttl))

    def get(self, key: str) -> bytes | None:
        with self._errors():
            value: bytes | None = self.client.get(self.prefix + key)
        return value

    def take(self, key: str) -> bytes | None:
        with self._errors():
            value: bytes | None = self.client.getdel(self.prefix + key)
        return value

    def add(self, key: str, value: bytes, ttl: float) -> bool:
        with self._errors():
            return bool(self.client.set(self.prefix + key, value, px=_milliseconds(ttl), nx=True))

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()


class AsyncRedisStore(_Base):
    """An :class:`~anemo.captcha.AsyncChallengeStore` on a ``redis.asyncio`` client."""

    @classmethod
    def from_url(cls, url: str, *, timeout: float = DEFAULT_TIMEOUT, prefix: str = "") -> AsyncRedisStore:
        """A store on ``redis://host:port/db`` whose calls fail within ``timeout`` seconds."""
        client = redis.asyncio.Redis.from_url(url, **_client_options(timeout, redis.asyncio.retry.Retry))
        return cls(client, prefix=prefix)

    async def put(self, key: str, value: bytes, ttl: float) -> None:
        with self._errors():
            await self.client.set(self.prefix + key, value, px=_milliseconds(ttl))

    async def get(self, key: str) -> bytes | None:
        with self._errors():
            value: bytes | None = await self.client.get(self.prefix + key)
        return value

    async def take(self, key: str) -> bytes | None:
        with self._errors():
            value: bytes | None = await self.client.getdel(self.prefix + key)
        return value

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        with self._errors():
            return bool(await self.client.set(self.prefix + key, value, px=_milliseconds(ttl), nx=True))

    async def aclose(self) -> None:
        """Close the client's connections."""
        await self.client.aclose()

    async def __aenter__(self) -> AsyncRedisStore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
