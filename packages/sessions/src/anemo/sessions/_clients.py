"""The two asyncio client libraries a Redis-protocol store can talk through: redis-py and valkey-py.

valkey-py is a fork of redis-py with the same client, pool, cluster and sentinel API under other
names, and its own exception classes. A store looks its library up from the client it is given,
so either works against either server, and each library's errors are mapped the same way.
Neither is imported until a store needs it: ``anemo-sessions[valkey]`` works without redis-py.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from typing import Any

__all__ = ["ClientLibrary", "client_library", "library_of"]


@dataclass(frozen=True)
class ClientLibrary:
    """One client library: its asyncio classes and which of its errors mean what."""

    #: ``"redis"`` or ``"valkey"``: the import name, and the extra that installs it.
    name: str
    #: The plain client class (``redis.asyncio.Redis``, ``valkey.asyncio.Valkey``).
    client: Any
    #: The cluster client class and its node class.
    cluster: Any
    cluster_node: Any
    #: ``Sentinel``, whose ``master_for`` gives a client that follows failover.
    sentinel: Any
    #: The server or the network failed (down, refusing, stalled, failing over), as opposed to
    #: an error the server answered with.
    unavailable: tuple[type[BaseException], ...]
    #: Every error of the library (``unavailable`` and the ones the server answers with).
    failures: tuple[type[BaseException], ...]
    #: An error the server answered a command with (the connection stays in step).
    answered: type[BaseException]
    #: EVALSHA of a script the server has not cached.
    no_script: type[BaseException]
    _retry: Any
    _no_backoff: Any
    _pool_takes_command: bool

    def no_retries(self) -> Any:
        """The library's asyncio ``Retry`` with no retries (redis-py 8.2 warns on the sync one)."""
        return self._retry(self._no_backoff(), 0)

    def borrow_arguments(self, command: str) -> tuple[str, ...]:
        """The arguments of the pool's ``get_connection`` for ``command``.

        valkey-py's pool requires the command name; redis-py 8 deprecates passing it.
        """
        return (command,) if self._pool_takes_command else ()


@functools.cache
def client_library(name: str) -> ClientLibrary:
    """The library ``name`` (``"redis"`` or ``"valkey"``), imported now, or the extra to install."""
    try:
        root = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        message = f"this store needs {name}: pip install 'anemo-sessions[{name}]'"
        raise ModuleNotFoundError(message, name=name) from exc
    asyncio_module = importlib.import_module(f"{name}.asyncio")
    cluster = importlib.import_module(f"{name}.asyncio.cluster")
    sentinel = importlib.import_module(f"{name}.asyncio.sentinel")
    retry = importlib.import_module(f"{name}.asyncio.retry")
    backoff = importlib.import_module(f"{name}.backoff")
    errors = root.exceptions
    base = errors.ValkeyError if name == "valkey" else errors.RedisError
    cluster_error = errors.ValkeyClusterException if name == "valkey" else errors.RedisClusterException
    unavailable = (
        errors.ConnectionError,
        errors.TimeoutError,
        errors.ClusterError,
        cluster_error,
        errors.TryAgainError,
        errors.ReadOnlyError,
        OSError,
    )
    return ClientLibrary(
        name=name,
        client=asyncio_module.Valkey if name == "valkey" else asyncio_module.Redis,
        cluster=cluster.ValkeyCluster if name == "valkey" else cluster.RedisCluster,
        cluster_node=cluster.ClusterNode,
        sentinel=sentinel.Sentinel,
        unavailable=unavailable,
        failures=(*unavailable, base),
        answered=errors.ResponseError,
        no_script=errors.NoScriptError,
        _retry=retry.Retry,
        _no_backoff=backoff.NoBackoff,
        _pool_takes_command=name == "valkey",
    )


def library_of(client: Any) -> ClientLibrary:
    """The library ``client`` comes from: the package its class, or a class it derives from, is in."""
    roots = {cls.__module__.partition(".")[0] for cls in type(client).__mro__}
    return client_library("valkey" if "valkey" in roots else "redis")
