"""RedisSentinelStore: a RedisStore whose client finds the master through Redis Sentinel.

Each new connection asks the sentinels for the current master, so after a failover the store
follows the promoted replica. While the sentinels see the master down and no replica has taken
over yet, every request fails with :class:`~anemo.sessions.StoreUnavailable` (a 503), as it does
when a plain Redis is down.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from anemo.hashring import redis_node_name

from ._clients import client_library
from ._redis import DEFAULT_PREFIX, RedisStore, fail_fast_options
from ._store import DEFAULT_TIMEOUT, NodeHealth, probe
from .errors import InvalidOption

__all__ = ["RedisSentinelStore"]


class RedisSentinelStore(RedisStore):
    """Sessions on the master of a Sentinel-monitored Redis (or Valkey), the same layout as RedisStore.

    Replication is asynchronous: a write the old master acknowledged but had not yet sent to its
    replica is lost when that replica is promoted. The README gives the error window and losses
    measured when the master is killed under load.
    """

    def __init__(self, client: Any, sentinel: Any, service: str, *, prefix: str = DEFAULT_PREFIX) -> None:
        nodes = ",".join(redis_node_name(node) for node in sentinel.sentinels)
        super().__init__(client, prefix=prefix, address=f"sentinel {service} via {nodes}")
        #: The ``Sentinel`` the client was made by: :meth:`health` PINGs each of its sentinels.
        self.sentinel = sentinel
        self.service = service

    @classmethod
    def from_sentinels(
        cls,
        sentinels: Sequence[tuple[str, int]],
        service: str,
        *,
        db: int = 0,
        timeout: float = DEFAULT_TIMEOUT,
        prefix: str = DEFAULT_PREFIX,
        library: str = "redis",
        sentinel_options: dict[str, Any] | None = None,
        **client_options: Any,
    ) -> RedisSentinelStore:
        """A store on ``service``'s master, found through ``sentinels`` (``(host, port)`` pairs).

        ``client_options`` go to the master's connections (``password``, ``ssl``, ``protocol``...);
        ``sentinel_options`` to the sentinels' (their own ``password``, ``ssl``...). Both fail
        within ``timeout``; finding the master asks the sentinels in turn, so with every sentinel
        stalled it takes up to one ``timeout`` per sentinel.
        """
        if not sentinels:
            raise InvalidOption("a Sentinel store needs at least one sentinel")
        if not service:
            raise InvalidOption("a Sentinel store needs the service name the sentinels monitor")
        fail_fast = fail_fast_options(timeout, library)
        sentinel = client_library(library).sentinel(
            list(sentinels), sentinel_kwargs={**fail_fast, **(sentinel_options or {})}
        )
        # Connecting to the master first asks the sentinels in turn, each within ``timeout``. The
        # connect deadline covers them all, so one stalled sentinel does not fail the connect
        # before the next one is asked.
        connect = {"socket_connect_timeout": timeout * (len(sentinels) + 1)}
        client = sentinel.master_for(service, db=db, **{**fail_fast, **connect}, **client_options)
        return cls(client, sentinel, service, prefix=prefix)

    async def health(self) -> list[NodeHealth]:
        """The master's PING (through the sentinels), then each sentinel's."""
        sentinels = [
            await self._probe_node(f"sentinel {redis_node_name(node)}", node.ping)
            for node in self.sentinel.sentinels
        ]
        return [await probe(self.address, self._ping), *sentinels]

    async def aclose(self) -> None:
        await self.client.aclose()
        for node in self.sentinel.sentinels:
            await node.aclose()
