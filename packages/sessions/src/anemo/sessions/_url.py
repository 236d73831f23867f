"""store_from_url: a store from one configuration string."""

from __future__ import annotations

import importlib
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from ._memory import MemoryStore
from ._sharded import ShardedStore
from ._store import DEFAULT_TIMEOUT, SessionStore
from .errors import InvalidOptionType, InvalidStoreURL

__all__ = ["store_from_url", "optional_module"]

_EXTRA = {"redis": "redis", "pymemcache": "memcached"}
_DB = re.compile(r"/?|/[0-9]{1,5}", re.ASCII)
_MAX_URL = 4096


def optional_module(name: str) -> Any:
    """Import an extra's module of ours, or say which extra to install."""
    module = name.rsplit("_", 1)[-1]
    client = "redis" if module == "redis" else "pymemcache"
    try:
        return importlib.import_module(f"anemo.sessions.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != client:
            raise
        raise ModuleNotFoundError(
            f"this store needs {client}: pip install 'anemo-sessions[{_EXTRA[client]}]'", name=client
        ) from exc


def _redacted(url: str) -> str:
    return re.sub(r"//([^/@]*)@", "//***@", url)


def _fail(url: str, part: str, reason: str) -> InvalidStoreURL:
    return InvalidStoreURL(_redacted(url), part, reason)


def _host_port(url: str, netloc: str, default_port: int | None) -> tuple[str, int]:
    parts = urlsplit(f"//{netloc}")
    try:
        port = parts.port
    except ValueError:
        raise _fail(url, "port", "must be a number from 1 to 65535") from None
    if not parts.hostname:
        raise _fail(url, "host", "is missing")
    if port is None:
        if default_port is None:
            raise _fail(url, "port", "is missing")
        port = default_port
    if port == 0:
        raise _fail(url, "port", "must be a number from 1 to 65535")
    return parts.hostname, port


def _options(url: str, query: str, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query's options, each given once at most, or an InvalidStoreURL naming the unknown one."""
    options = parse_qs(query, keep_blank_values=True)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise _fail(url, "query", f"unknown option {unknown[0]!r} (only {', '.join(allowed)})")
    return {name: values[-1] for name, values in options.items()}


def _weight(url: str, options: dict[str, str]) -> float:
    if "weight" not in options:
        return 1.0
    try:
        weight = float(options["weight"])
    except ValueError:
        raise _fail(url, "weight", "must be a positive number") from None
    if not 0 < weight <= 1_000_000:
        raise _fail(url, "weight", "must be a positive number up to 1000000")
    return weight


def _protocol(url: str, options: dict[str, str]) -> dict[str, int]:
    """``{"protocol": 2 or 3}`` for the client when the URL picks a RESP version, else nothing."""
    if "protocol" not in options:
        return {}
    if options["protocol"] not in ("2", "3"):
        raise _fail(url, "protocol", "must be 2 (RESP2) or 3 (RESP3)")
    return {"protocol": int(options["protocol"])}


def _single(url: str, *, timeout: float, prefix: str) -> tuple[str, SessionStore, float]:
    """One node: its name on a ring, its store, and its weight."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("redis", "rediss"):
        host, port = _host_port(url, parts.netloc, 6379)
        if not _DB.fullmatch(parts.path):
            raise _fail(url, "database", "the path must be /N, a database number")
        db = int(parts.path[1:] or 0)
        options = _options(url, parts.query, ("weight", "protocol"))
        protocol = _protocol(url, options)
        query = f"protocol={protocol['protocol']}" if protocol else ""
        bare = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
        store = optional_module("_redis").RedisStore.from_url(bare, timeout=timeout, prefix=prefix)
        return (f"{host}:{port}/{db}" if db else f"{host}:{port}"), store, _weight(url, options)
    if scheme == "memcached":
        host, port = _host_port(url, parts.netloc, 11211)
        if parts.path not in ("", "/"):
            raise _fail(url, "path", "memcached has no databases: use memcached://host:port")
        weight = _weight(url, _options(url, parts.query, ("weight",)))
        store = optional_module("_memcached").MemcachedStore(host, port, timeout=timeout, prefix=prefix)
        return f"{host}:{port}", store, weight
    raise _fail(url, "scheme", f"expected memory, redis, rediss, memcached or redis+cluster, got {scheme!r}")


def store_from_url(
    url: str, *, timeout: float = DEFAULT_TIMEOUT, prefix: str = "anemo:session:"
) -> SessionStore:
    """A store described by ``url``.

    - ``memory://``: a :class:`MemoryStore` (one process).
    - ``redis://[:password@]host:port/db``, ``rediss://...``: a :class:`RedisStore`.
    - ``memcached://host:port``: a :class:`MemcachedStore`.
    - several of those two, comma-separated, each optionally ``?weight=N``: a :class:`ShardedStore`
      whose nodes are named ``host:port`` (``host:port/db`` for a Redis database other than 0).
    - ``redis+cluster://host:port[,host:port...]``: a :class:`RedisClusterStore`.

    A Redis URL may pick the RESP version with ``?protocol=2`` or ``?protocol=3`` (redis-py 8
    defaults to 3, older releases to 2).

    Every server store fails within ``timeout`` seconds. A malformed URL raises
    :class:`InvalidStoreURL` (a ``ValueError``) naming the part that is wrong.
    """
    if not isinstance(url, str):
        raise InvalidOptionType(f"a store URL is a str, not {type(url).__name__}")
    url = url.strip()
    if len(url) > _MAX_URL:
        raise _fail(url[:60] + "...", "url", f"longer than {_MAX_URL} characters")
    if "://" not in url:
        raise _fail(
            url, "scheme", "missing: write it as scheme://..., for example memory:// or redis://host:6379/0"
        )
    scheme = url.split("://", 1)[0].lower()
    if scheme == "memory":
        if url.split("://", 1)[1] not in ("", "/"):
            raise _fail(url, "path", "memory:// takes no host or path")
        return MemoryStore()
    if scheme == "redis+cluster":
        parts = urlsplit(url)
        if parts.path not in ("", "/"):
            raise _fail(url, "path", "a cluster URL is redis+cluster://host:port[,host:port...]")
        protocol = _protocol(url, _options(url, parts.query, ("protocol",)))
        nodes = [_host_port(url, netloc, 6379) for netloc in parts.netloc.split(",") if netloc]
        if not nodes:
            raise _fail(url, "host", "is missing")
        cluster: SessionStore = optional_module("_redis").RedisClusterStore.from_nodes(
            nodes, timeout=timeout, prefix=prefix, **protocol
        )
        return cluster
    pieces = [piece.strip() for piece in url.split(",")]
    if len(pieces) == 1:
        return _single(url, timeout=timeout, prefix=prefix)[1]
    nodes_by_name: dict[str, SessionStore] = {}
    weights: dict[str, float] = {}
    for piece in pieces:
        if not piece:
            raise _fail(url, "list", "an empty entry between commas")
        name, store, weight = _single(piece, timeout=timeout, prefix=prefix)
        if name in nodes_by_name:
            raise _fail(url, "list", f"node {name} is listed twice")
        nodes_by_name[name] = store
        weights[name] = weight
    return ShardedStore(nodes_by_name, weights=weights)
