"""MemcachedStore: one JSON document per session on memcached, merged field by field with CAS.

The document is a JSON object of field name -> the field's JSON text, under ``PREFIX`` and the
record key (a keyed hash of the session id).

pymemcache is synchronous, so every call runs on the store's own small thread pool and the event
loop never blocks. memcached has no hashes: a save reads the document with ``gets``, applies the
changed and removed fields, and writes it back with ``cas`` (``add`` when it is absent), retrying
when another writer got there first. So two requests that change different keys both keep their
change, as on Redis. Every write waits for the server's reply (``noreply=False``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import math
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from pymemcache.client.base import PooledClient
from pymemcache.exceptions import MemcacheError, MemcacheUnexpectedCloseError

from ._json import encode_value
from ._store import DEFAULT_TIMEOUT, NodeHealth, StoreBase, check_count, check_timeout, probe
from .errors import StoreError, StoreUnavailable, WriteConflict

__all__ = ["MemcachedStore"]

DEFAULT_PREFIX = "anemo:session:"
#: memcached reads an expiry above 30 days as a Unix timestamp.
_RELATIVE_LIMIT = 30 * 86400

T = TypeVar("T")


def _expire(ttl: float) -> int:
    seconds = max(1, math.ceil(ttl))
    return seconds if seconds <= _RELATIVE_LIMIT else int(time.time()) + seconds


class MemcachedStore(StoreBase):
    """Sessions on one memcached server. No user index: ``sessions_of`` raises ``NotSupported``.

    ``timeout`` bounds connecting and each reply; a server that is down or stalls raises
    :class:`~anemo.sessions.StoreUnavailable`. A save whose compare-and-set loses ``cas_retries``
    times in a row raises :class:`~anemo.sessions.WriteConflict`. ``threads`` is the size of the
    store's thread pool and of its connection pool, both made at first use (after a fork).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 11211,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        prefix: str = DEFAULT_PREFIX,
        threads: int = 4,
        cas_retries: int = 10,
    ) -> None:
        check_timeout(timeout)
        check_count("threads", threads, 1)
        self.address = f"{host}:{port}"
        self.prefix = prefix
        self.cas_retries = check_count("cas_retries", cas_retries, 1)
        self._server = (host, port)
        self._timeout = timeout
        self._threads = threads
        self._pool: ThreadPoolExecutor | None = None
        self._client: PooledClient | None = None

    def _connection(self) -> tuple[ThreadPoolExecutor, PooledClient]:
        if self._pool is None or self._client is None:
            self._client = PooledClient(
                self._server,
                connect_timeout=self._timeout,
                timeout=self._timeout,
                no_delay=True,
                max_pool_size=self._threads,
                default_noreply=False,
            )
            self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="anemo-memcached")
        return self._pool, self._client

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except (MemcacheUnexpectedCloseError, OSError) as exc:
            raise StoreUnavailable(self.address, f"{type(exc).__name__}: {exc}") from exc
        except MemcacheError as exc:
            raise StoreError(self.address, f"{type(exc).__name__}: {exc}") from exc

    async def _run(self, call: Callable[[PooledClient], T]) -> T:
        pool, client = self._connection()
        with self._errors():
            return await asyncio.get_running_loop().run_in_executor(pool, functools.partial(call, client))

    def _key(self, key: str) -> str:
        return self.prefix + key

    def _document(self, raw: bytes) -> dict[str, str]:
        try:
            record = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise StoreError(self.address, f"a session record is not JSON: {exc}") from exc
        if not isinstance(record, dict) or not all(isinstance(text, str) for text in record.values()):
            raise StoreError(self.address, "a session record is not a JSON object of texts")
        return record

    async def load(self, key: str) -> dict[str, str] | None:
        raw = await self._run(lambda client: client.get(self._key(key)))
        return None if raw is None else self._document(raw)

    async def save(
        self, key: str, changed: Mapping[str, str], removed: Collection[str], *, ttl: float
    ) -> None:
        name, expire = self._key(key), _expire(ttl)

        def merge(client: PooledClient) -> bool:
            raw, token = client.gets(name)
            record = {} if raw is None else self._document(raw)
            record.update(changed)
            for field in removed:
                record.pop(field, None)
            body = encode_value(record).encode()
            if raw is None:
                return bool(client.add(name, body, expire=expire, noreply=False))
            return bool(client.cas(name, body, token, expire=expire, noreply=False))

        for _ in range(self.cas_retries):
            if await self._run(merge):
                return
        raise WriteConflict(self.address, f"record changed under {self.cas_retries} saves in a row")

    async def touch(self, key: str, *, ttl: float) -> None:
        await self._run(lambda client: client.touch(self._key(key), _expire(ttl), noreply=False))

    async def delete(self, key: str) -> None:
        await self._run(lambda client: client.delete(self._key(key), noreply=False))

    async def health(self) -> list[NodeHealth]:
        """The server's reachability and ``version`` round trip."""
        return [await probe(self.address, lambda: self._run(lambda client: client.version()))]

    async def aclose(self) -> None:
        pool, client = self._pool, self._client
        self._pool = self._client = None
        if client is not None:
            client.close()
        if pool is not None:
            pool.shutdown(wait=False)
