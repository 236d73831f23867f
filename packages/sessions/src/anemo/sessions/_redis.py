"""RedisStore and RedisClusterStore: one Redis hash per session, on redis.asyncio.

Layout: the session's record is the hash ``PREFIX{ID}``, one field per key, with a TTL; a user's
index is the hash ``PREFIXuser:{DIGEST}`` (DIGEST: SHA-256 of the user id), session id -> JSON.
The braces are hash tags: on Redis Cluster each session's key, and each user's index, sits in
one slot. Every write is one ``MULTI`` transaction (HSET, HDEL, PEXPIRE), so a record never has
its fields without its TTL. Nothing here needs more than Redis 6.2 (no HEXPIRE, no HGETEX).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

import redis.asyncio
import redis.exceptions
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from anemo.hashring import redis_node_name

from ._ids import new_session_id
from ._store import (
    DEFAULT_TIMEOUT,
    NodeHealth,
    check_timeout,
    decode_fields,
    decode_value,
    encode_value,
    probe,
)
from .errors import InvalidOption, StoreError, StoreUnavailable

__all__ = ["RedisStore", "RedisClusterStore", "fail_fast_options"]

DEFAULT_PREFIX = "anemo:session:"

#: The server or the network failed (down, refusing, stalled, failing over), as opposed to an error
#: the server answered with. anemo.captcha's Redis stores draw the same line.
_UNAVAILABLE = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ClusterError,
    redis.exceptions.RedisClusterException,
    redis.exceptions.TryAgainError,
    redis.exceptions.ReadOnlyError,
    OSError,
)


def fail_fast_options(timeout: float) -> dict[str, Any]:
    """redis.asyncio client options under which a dead or stalled server fails within ``timeout``.

    The retry is ``redis.asyncio.retry.Retry`` with no retries: redis-py 8.2 warns when an asyncio
    client is given the synchronous one.
    """
    check_timeout(timeout)
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout, "retry": Retry(NoBackoff(), 0)}


#: A save in one command, atomic like MULTI but without a pipeline's three extra replies:
#: ARGV = ttl in ms, n, n name/value pairs, then the names to delete.
_SAVE = """
local n = tonumber(ARGV[2])
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 3, 2 + 2 * n)) end
if #ARGV > 2 + 2 * n then redis.call('HDEL', KEYS[1], unpack(ARGV, 3 + 2 * n)) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
"""
#: Lua's unpack() is bounded by its C stack: bigger saves go through MULTI instead.
_SCRIPT_ARGUMENTS = 4000


def _milliseconds(ttl: float) -> int:
    return max(1, math.ceil(ttl * 1000))


class RedisStore:
    """Sessions in Redis, over a ``redis.asyncio.Redis`` (or ``RedisCluster``) client.

    Use :meth:`from_url` to get a client that fails fast. A client passed in is used as it is:
    give it ``socket_timeout``, ``socket_connect_timeout`` and no retries (:func:`fail_fast_options`
    has them, with ``redis.asyncio.retry.Retry``), or redis-py's retries make a dead server take
    seconds to fail. Each operation is one round trip; a failure raises
    :class:`~anemo.sessions.StoreUnavailable` (server down, refusing, stalled, failing over) or
    :class:`~anemo.sessions.StoreError` (an error the server answered with, such as out of memory).
    """

    def __init__(self, client: Any, *, prefix: str = DEFAULT_PREFIX, address: str | None = None) -> None:
        self.client = client
        self.prefix = prefix
        self._save_script = client.register_script(_SAVE)
        #: How errors and ``health()`` name the server.
        self.address = address if address is not None else redis_node_name(client)

    @classmethod
    def from_url(
        cls, url: str, *, timeout: float = DEFAULT_TIMEOUT, prefix: str = DEFAULT_PREFIX
    ) -> RedisStore:
        """A store on ``redis://host:port/db`` (``rediss://``, ``unix://``) failing within ``timeout``."""
        client = redis.asyncio.Redis.from_url(url, **fail_fast_options(timeout))
        return cls(client, prefix=prefix)

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(self.address, f"{type(exc).__name__}: {exc}") from exc
        except redis.exceptions.RedisError as exc:
            raise StoreError(self.address, f"{type(exc).__name__}: {exc}") from exc

    def record_key(self, session_id: str) -> str:
        """The Redis key of a session's record: ``PREFIX{ID}``."""
        return f"{self.prefix}{{{session_id}}}"

    def _user_key(self, user_id: str) -> str:
        digest = hashlib.sha256(user_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return f"{self.prefix}user:{{{digest}}}"

    def new_id(self) -> str:
        return new_session_id()

    async def load(self, session_id: str) -> dict[str, Any] | None:
        with self._errors():
            raw: dict[bytes, bytes] = await self.client.hgetall(self.record_key(session_id))
        if not raw:
            return None
        try:
            names = [name.decode() for name in raw]
            values = [value.decode() for value in raw.values()]
        except UnicodeDecodeError as exc:
            raise StoreError(self.address, "a session field is not UTF-8") from exc
        return decode_fields(self.address, names, values)

    async def save(
        self, session_id: str, changed: Mapping[str, Any], removed: Collection[str], *, ttl: float
    ) -> None:
        key = self.record_key(session_id)
        encoded = {name: encode_value(value) for name, value in changed.items()}
        if 2 * len(encoded) + len(removed) <= _SCRIPT_ARGUMENTS:
            arguments: list[str | int] = [_milliseconds(ttl), len(encoded)]
            for name, text in encoded.items():
                arguments += (name, text)
            arguments += removed
            with self._errors():
                await self._save_script(keys=[key], args=arguments)
            return
        with self._errors():
            async with self.client.pipeline(transaction=True) as pipe:
                if encoded:
                    pipe.hset(key, mapping=encoded)
                if removed:
                    pipe.hdel(key, *removed)
                pipe.pexpire(key, _milliseconds(ttl))
                await pipe.execute()

    async def touch(self, session_id: str, *, ttl: float) -> None:
        with self._errors():
            await self.client.pexpire(self.record_key(session_id), _milliseconds(ttl))

    async def delete(self, session_id: str) -> None:
        with self._errors():
            await self.client.delete(self.record_key(session_id))

    async def index_add(self, user_id: str, session_id: str, info: Mapping[str, Any], *, ttl: float) -> None:
        key = self._user_key(user_id)
        with self._errors():
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.hset(key, session_id, encode_value(dict(info)))
                pipe.pexpire(key, _milliseconds(ttl), nx=True)  # a new index gets its TTL
                pipe.pexpire(key, _milliseconds(ttl), gt=True)  # an old one is never shortened
                await pipe.execute()

    async def index_list(self, user_id: str) -> dict[str, dict[str, Any]]:
        with self._errors():
            raw: dict[bytes, bytes] = await self.client.hgetall(self._user_key(user_id))
        return {sid.decode(): decode_value(self.address, info) for sid, info in raw.items()}

    async def index_remove(self, user_id: str, session_ids: Collection[str]) -> None:
        if session_ids:
            with self._errors():
                await self.client.hdel(self._user_key(user_id), *session_ids)

    async def health(self) -> list[NodeHealth]:
        """The server's reachability and PING round trip."""
        return [await probe(self.address, self._ping)]

    async def _ping(self) -> None:
        with self._errors():
            await self.client.ping()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def __aenter__(self) -> RedisStore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class RedisClusterStore(RedisStore):
    """Sessions on a Redis Cluster (``redis.asyncio.cluster.RedisCluster``), the same layout.

    Each session's key and each user's index carry a hash tag, so no operation is cross-slot and
    every MULTI runs on one master. The index is written after the session record, not
    atomically with it (they are in different slots); ``sessions_of`` drops entries whose record
    is gone, and an index expires with the longest session lifetime written to it.
    """

    def __init__(self, client: Any, *, prefix: str = DEFAULT_PREFIX, address: str | None = None) -> None:
        if address is None:
            nodes = client.nodes_manager.startup_nodes.values()  # the same in every redis-py since 5
            address = "cluster " + ",".join(sorted(f"{n.host}:{n.port}" for n in nodes))
        super().__init__(client, prefix=prefix, address=address)

    @classmethod
    def from_nodes(
        cls,
        nodes: Sequence[tuple[str, int]],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        prefix: str = DEFAULT_PREFIX,
        **client_options: Any,
    ) -> RedisClusterStore:
        """A store on the cluster reached through ``nodes`` (``(host, port)`` pairs), failing fast."""
        if not nodes:
            raise InvalidOption("a Redis Cluster store needs at least one startup node")
        client = RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in nodes],
            **fail_fast_options(timeout),
            **client_options,
        )
        return cls(client, prefix=prefix)

    def node_of(self, session_id: str) -> str:
        """``host:port`` of the master that holds the session's slot (as the client last saw it)."""
        node = self.client.get_node_from_key(self.record_key(session_id))
        return f"{node.host}:{node.port}"

    async def health(self) -> list[NodeHealth]:
        """Every master and replica the client knows of, each PINGed on its own."""
        try:
            with self._errors():
                await self.client.initialize()
        except StoreError as exc:
            return [NodeHealth(self.address, False, error=exc.reason)]
        report = []
        for node in self.client.get_nodes():
            address = f"{node.host}:{node.port}"

            async def ping(node: Any = node, address: str = address) -> None:
                try:
                    await self.client.execute_command("PING", target_nodes=node)
                except _UNAVAILABLE as exc:
                    raise StoreUnavailable(address, f"{type(exc).__name__}: {exc}") from exc

            report.append(await probe(address, ping))
        return report
