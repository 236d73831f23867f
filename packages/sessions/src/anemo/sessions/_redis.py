"""RedisStore and RedisClusterStore: one Redis hash per session, on redis.asyncio or valkey.asyncio.

Layout: a session's record is the hash ``PREFIX{KEY}``, one field per key, with a TTL, where KEY
is the manager's keyed hash of the session id (never the id). A user's index is the hash
``PREFIXuser:{USERKEY}`` (a keyed hash of the user id): record key -> JSON. The braces are hash
tags: on Redis Cluster each record, and each user's index, sits in one slot. A save is one Lua
script (HSET, HDEL, PEXPIRE), atomic like MULTI in one round trip, so a record never has its
fields without its TTL; a save too big for one script's arguments is a MULTI transaction.
Nothing here needs more than Redis 6.2 (no HEXPIRE, no HGETEX).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import math
from collections.abc import Awaitable, Callable, Collection, Iterator, Mapping, Sequence
from typing import Any, ClassVar, NamedTuple, Self

from anemo.hashring import redis_node_name

from ._batching import CommandBatcher
from ._clients import ClientLibrary, client_library, library_of
from ._json import decode_value, encode_value
from ._store import DEFAULT_TIMEOUT, IndexEntry, NodeHealth, StoreBase, UserIndex, check_timeout, probe
from .errors import InvalidOption, StoreError, StoreUnavailable

__all__ = ["RedisStore", "RedisClusterStore", "fail_fast_options"]

DEFAULT_PREFIX = "anemo:session:"


def _store_error(library: ClientLibrary, address: str, exc: BaseException) -> StoreError:
    """Ours for a client failure: StoreUnavailable when the server or network failed, else StoreError."""
    kind = StoreUnavailable if isinstance(exc, library.unavailable) else StoreError
    return kind(address, f"{type(exc).__name__}: {exc}")


def fail_fast_options(timeout: float, library: str = "redis") -> dict[str, Any]:
    """Client options of ``library`` under which a dead or stalled server fails within ``timeout``.

    The retry is the library's asyncio ``Retry`` with no retries: redis-py 8.2 warns when an
    asyncio client is given the synchronous one.
    """
    check_timeout(timeout)
    retry = client_library(library).no_retries()
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout, "retry": retry}


#: A save in one command, atomic like MULTI but without a pipeline's three extra replies:
#: ARGV = ttl in ms, n, n name/value pairs, then the names to delete.
_SAVE = """
local n = tonumber(ARGV[2])
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 3, 2 + 2 * n)) end
if #ARGV > 2 + 2 * n then redis.call('HDEL', KEYS[1], unpack(ARGV, 3 + 2 * n)) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
"""
#: A user's index entry added or replaced, the index's TTL extended but never shortened, and with
#: a second key, that record touched first (no entry for a record that is gone).
#: KEYS = index[, record]; ARGV = index ttl in ms, record key, info[, record ttl in ms].
_INDEX = """
if KEYS[2] and redis.call('PEXPIRE', KEYS[2], ARGV[4]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1
"""
#: Lua's unpack() is bounded by its C stack: bigger saves go through MULTI instead.
_SCRIPT_ARGUMENTS = 4000


class _Script(NamedTuple):
    """A Lua script's text and SHA1: run by EVALSHA, and by EVAL when the server has not cached it."""

    text: str
    sha: str


def _script(text: str) -> _Script:
    # The name Redis gives a script, not a MAC.
    return _Script(text, hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest())


_SAVE_SCRIPT, _INDEX_SCRIPT = _script(_SAVE), _script(_INDEX)


def _milliseconds(ttl: float) -> int:
    return max(1, math.ceil(ttl * 1000))


class RedisStore(StoreBase):
    """Sessions in Redis or Valkey, over a ``redis.asyncio.Redis`` or ``valkey.asyncio.Valkey`` client.

    Use :meth:`from_url` to get a client that fails fast. A client passed in needs
    ``socket_timeout`` and ``socket_connect_timeout``, or a stalled server holds requests for as
    long as the OS lets it. Its ``retry`` setting does not apply to the session commands, which
    go out once on connections borrowed from its pool, not through ``execute_command``. Each operation is
    one round trip, and each write is atomic (one Lua script); a failure raises
    :class:`~anemo.sessions.StoreUnavailable` (server down, refusing, stalled, failing over) or
    :class:`~anemo.sessions.StoreError` (an error the server answered with, such as out of memory
    under ``noeviction``).
    """

    #: Which client class of the library :meth:`from_url` builds: ``client`` or ``cluster``.
    _client_kind: ClassVar[str] = "client"

    def __init__(self, client: Any, *, prefix: str = DEFAULT_PREFIX, address: str | None = None) -> None:
        self.client = client
        self.prefix = prefix
        #: How errors and ``health()`` name the server.
        self.address = address if address is not None else redis_node_name(client)
        self.user_index: UserIndex | None = self
        self._library = library_of(client)
        #: How :meth:`_command` sends on a plain client's pool (None: through the client itself).
        self._batcher = (
            None
            if getattr(client, "single_connection_client", True)
            else CommandBatcher(client.connection_pool, self._library)
        )

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        prefix: str = DEFAULT_PREFIX,
        library: str = "redis",
    ) -> Self:
        """A store on ``url``, through the client of ``library``, failing within ``timeout``.

        redis-py (``library="redis"``) takes ``redis://host:port/db``, ``rediss://...`` and
        ``unix:///path?db=N``; valkey-py (``"valkey"``) takes ``valkey://``, ``valkeys://`` and
        ``unix://``. Either talks to Redis and to Valkey servers alike. On
        :class:`RedisClusterStore`, the URL is any one node's, and the cluster is found from it.
        """
        client_class = getattr(client_library(library), cls._client_kind)
        return cls(client_class.from_url(url, **fail_fast_options(timeout, library)), prefix=prefix)

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except self._library.failures as exc:
            raise _store_error(self._library, self.address, exc) from exc

    async def _command(self, *args: Any) -> Any:
        """Send one command and return its reply: one round trip, errors mapped to ours.

        On a plain client the command goes out with the others of this loop pass, pipelined on
        one connection borrowed from the client's pool (:class:`CommandBatcher`), without
        ``execute_command``'s per-command retry loop and tracing: retries are off for a store
        anyway. A cluster client, or one pinned to a single connection, runs the command itself.
        """
        try:
            if self._batcher is None:
                return await self.client.execute_command(*args)
            return await self._batcher.execute(*args)
        except self._library.failures as exc:
            raise _store_error(self._library, self.address, exc) from exc

    async def _run(self, script: _Script, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        """Run a Lua script by its SHA1, sending its text only when the server does not have it yet."""
        try:
            return await self._command("EVALSHA", script.sha, len(keys), *keys, *args)
        except StoreError as exc:
            if not isinstance(exc.__cause__, self._library.no_script):
                raise
        return await self._command("EVAL", script.text, len(keys), *keys, *args)

    def redis_key(self, key: str) -> str:
        """The Redis key of a record: ``PREFIX{KEY}`` (a hash tag: one slot per record on a cluster)."""
        return f"{self.prefix}{{{key}}}"

    def _user_key(self, user_key: str) -> str:
        return f"{self.prefix}user:{{{user_key}}}"

    async def _hash(self, name: str) -> dict[str, str]:
        """A hash's fields as text (empty when it does not exist), from one ``HGETALL``."""
        raw = await self._command("HGETALL", name)
        # A flat list of names and values on RESP2, a map on RESP3.
        pairs = iter(raw) if isinstance(raw, list) else itertools.chain.from_iterable(raw.items())
        try:
            return {field.decode(): value.decode() for field, value in zip(pairs, pairs, strict=True)}
        except (UnicodeDecodeError, AttributeError, ValueError) as exc:
            raise StoreError(self.address, "a session field is not UTF-8 text") from exc

    async def load(self, key: str) -> dict[str, str] | None:
        return await self._hash(self.redis_key(key)) or None

    async def save(
        self, key: str, changed: Mapping[str, str], removed: Collection[str], *, ttl: float
    ) -> None:
        name = self.redis_key(key)
        if 2 * len(changed) + len(removed) <= _SCRIPT_ARGUMENTS:
            arguments: list[str | int] = [_milliseconds(ttl), len(changed)]
            for field, text in changed.items():
                arguments += (field, text)
            arguments += removed
            await self._run(_SAVE_SCRIPT, (name,), arguments)
            return
        with self._errors():
            async with self.client.pipeline(transaction=True) as pipe:
                if changed:
                    pipe.hset(name, mapping=dict(changed))
                if removed:
                    pipe.hdel(name, *removed)
                pipe.pexpire(name, _milliseconds(ttl))
                await pipe.execute()

    async def touch(self, key: str, *, ttl: float) -> None:
        await self._command("PEXPIRE", self.redis_key(key), _milliseconds(ttl))

    async def touch_indexed(self, key: str, entry: IndexEntry, *, ttl: float) -> None:
        """One script: the record touched, then its index entry refreshed (none if the record is gone)."""
        await self._run(
            _INDEX_SCRIPT,
            (self._user_key(entry.user_key), self.redis_key(key)),
            (_milliseconds(entry.ttl), key, encode_value(dict(entry.info)), _milliseconds(ttl)),
        )

    async def delete(self, key: str) -> None:
        await self._command("DEL", self.redis_key(key))

    async def index_add(self, user_key: str, record_key: str, info: Mapping[str, Any], *, ttl: float) -> None:
        arguments = (_milliseconds(ttl), record_key, encode_value(dict(info)))
        await self._run(_INDEX_SCRIPT, (self._user_key(user_key),), arguments)

    async def index_list(self, user_key: str) -> dict[str, dict[str, Any]]:
        entries = await self._hash(self._user_key(user_key))
        return {key: decode_value(self.address, info) for key, info in entries.items()}

    async def index_remove(self, user_key: str, record_keys: Collection[str]) -> None:
        if record_keys:
            await self._command("HDEL", self._user_key(user_key), *record_keys)

    async def health(self) -> list[NodeHealth]:
        """The server's reachability and PING round trip."""
        return [await probe(self.address, self._ping)]

    async def _ping(self) -> None:
        await self._command("PING")

    async def _probe_node(self, address: str, ping: Callable[[], Awaitable[object]]) -> NodeHealth:
        """:func:`probe` of one node PINGed outside :meth:`_command`, its client's errors made ours."""

        async def mapped() -> None:
            try:
                await ping()
            except self._library.failures as exc:
                raise _store_error(self._library, address, exc) from exc

        return await probe(address, mapped)

    async def aclose(self) -> None:
        await self.client.aclose()


class RedisClusterStore(RedisStore):
    """Sessions on a Redis or Valkey Cluster (``RedisCluster``, ``ValkeyCluster``), the same layout.

    Each session's key and each user's index carry a hash tag, so no operation is cross-slot and
    every MULTI runs on one master. The index is written after the session record, not
    atomically with it (they are in different slots); ``sessions_of`` drops entries whose record
    is gone, and an index expires with the longest session lifetime written to it.
    """

    _client_kind = "cluster"

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
        library: str = "redis",
        **client_options: Any,
    ) -> RedisClusterStore:
        """A store on the cluster reached through ``nodes`` (``(host, port)`` pairs), failing fast."""
        if not nodes:
            raise InvalidOption("a Redis Cluster store needs at least one startup node")
        classes = client_library(library)
        client = classes.cluster(
            startup_nodes=[classes.cluster_node(host, port) for host, port in nodes],
            **fail_fast_options(timeout, library),
            **client_options,
        )
        return cls(client, prefix=prefix)

    #: The record and the user's index are in different slots: two round trips, not one script.
    touch_indexed = StoreBase.touch_indexed

    def node_of(self, key: str) -> str:
        """``host:port`` of the master that holds the record's slot (as the client last saw it)."""
        node = self.client.get_node_from_key(self.redis_key(key))
        return f"{node.host}:{node.port}"

    async def health(self) -> list[NodeHealth]:
        """Every master and replica the client knows of, each PINGed on its own."""
        try:
            with self._errors():
                await self.client.initialize()
        except StoreError as exc:
            return [NodeHealth(self.address, False, error=exc.reason)]
        return [
            await self._probe_node(
                f"{node.host}:{node.port}",
                functools.partial(self.client.execute_command, "PING", target_nodes=node),
            )
            for node in self.client.get_nodes()
        ]
