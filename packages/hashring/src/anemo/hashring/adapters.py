"""Glue for client libraries, without importing them.

- :func:`pymemcache_hasher`: a ``hasher`` for ``pymemcache.client.hash.HashClient``, which
  calls it with no arguments and then uses ``add_node``, ``remove_node`` and ``get_node``.
- :func:`redis_ring`: a ring whose payloads are redis clients, named by their address.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ._hashing import HashFunction, HashName
from ._ring import Compat, HashRing
from .errors import DuplicateNodeError, UnknownNodeError

__all__ = ["pymemcache_hasher", "redis_ring", "redis_node_name"]


def pymemcache_hasher(
    *,
    vnodes: int = 160,
    compat: Compat | None = None,
    hash: HashName | HashFunction = "md5",
) -> Callable[[], HashRing]:
    """A factory of empty rings for ``HashClient(servers, hasher=pymemcache_hasher())``.

    HashClient names nodes ``"host:port"``; ``compat="libmemcached"`` then places keys as
    pylibmc (weighted ketama) does, ``compat="ketama"`` as uhashring and libketama do.
    """
    options: dict[str, Any] = {"vnodes": vnodes, "compat": compat, "hash": hash}
    HashRing(**options)  # check the options now, not at the client's first connection

    def make_ring() -> HashRing:
        return HashRing(**options)

    return make_ring


def redis_node_name(client: Any) -> str:
    """``"host:port"`` of a redis-py client (``"host:port/db"`` when db is not 0), or its socket path."""
    settings = client.connection_pool.connection_kwargs
    if "path" in settings:
        name = str(settings["path"])
    else:
        name = f"{settings.get('host', 'localhost')}:{settings.get('port', 6379)}"
    db = int(settings.get("db", 0) or 0)
    return f"{name}/{db}" if db else name


def redis_ring(
    clients: Iterable[Any] | Mapping[str, Any],
    *,
    weights: Mapping[str, float] | None = None,
    vnodes: int = 160,
    compat: Compat | None = None,
    hash: HashName | HashFunction = "md5",
) -> HashRing:
    """A ring of redis clients: ``ring.get_payload(key)`` is the client that owns ``key``.

    ``clients`` is a mapping name -> client, or clients named by :func:`redis_node_name`.
    ``weights`` (by name) default to 1. Works with sync and asyncio redis-py clients alike.
    """
    if isinstance(clients, Mapping):
        named = dict(clients)
    else:
        named = {}
        for client in clients:
            name = redis_node_name(client)
            if name in named:
                raise DuplicateNodeError(name)
            named[name] = client
    chosen = dict(weights or {})
    for name in chosen:
        if name not in named:
            raise UnknownNodeError(name)
    nodes = {name: chosen.get(name, 1) for name in named}
    return HashRing(nodes, vnodes=vnodes, compat=compat, hash=hash, payloads=named)
