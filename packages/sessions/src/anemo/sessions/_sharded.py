"""ShardedStore: sessions spread over several stores on an anemo-hashring ring.

Routing policy: the ring picks a node once, when the id is made, and the id carries that node's
name (``RANDOM~NODE``). A session is therefore read and written on the node that created it for
its whole life, whatever happens to the ring:

- adding a node moves no session (new ids start landing on it);
- a dead node's sessions raise :class:`~anemo.sessions.StoreUnavailable`; they are never remapped
  to another node, where a deleted session could be missed or an old copy come back when the
  node returns. New sessions skip a node for ``retry_after`` seconds after it last failed, so
  new visitors are placed on live nodes meanwhile;
- a node removed from the configuration takes its sessions with it (their cookies name a shard
  that no longer exists and get new sessions).

Remapping on failure, as a client-side hash ring of cache servers does, suits caches, not
sessions: a logout written to the stand-in node is lost when the first node returns.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any, TypeVar

from anemo.hashring import HashRing

from ._ids import new_session_id
from ._store import NodeHealth, SessionStore, UserIndex
from .errors import InvalidOption, StoreError, StoreUnavailable

__all__ = ["ShardedStore"]

_NAME = re.compile(r"[A-Za-z0-9._:/-]{1,100}", re.ASCII)
_SEPARATOR = "~"

T = TypeVar("T")


class ShardedStore:
    """Several :class:`~anemo.sessions.SessionStore` nodes behind one, weights honoured.

    ``nodes`` maps a stable node name (letters, digits, ``. _ : / -``; it is written into ids,
    so keep it when a server moves) to its store; ``weights`` (default 1 each) sets each node's
    share of new sessions. When every node keeps a user index, so does the sharded store: each
    user's entries live on the node of each session, and listing a user's sessions asks every
    node (and raises StoreUnavailable while one is down, rather than list too few).
    """

    def __new__(cls, nodes: Mapping[str, SessionStore], **options: Any) -> ShardedStore:
        if cls is ShardedStore and nodes and all(isinstance(s, UserIndex) for s in nodes.values()):
            return super().__new__(_IndexedShardedStore)
        return super().__new__(cls)

    def __init__(
        self,
        nodes: Mapping[str, SessionStore],
        *,
        weights: Mapping[str, float] | None = None,
        retry_after: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not nodes:
            raise InvalidOption("a ShardedStore needs at least one node")
        for name in nodes:
            if not isinstance(name, str) or not _NAME.fullmatch(name):
                raise InvalidOption(f"node name {name!r}: use 1-100 letters, digits or . _ : / -")
        weights = dict(weights or {})
        unknown = sorted(set(weights) - set(nodes))
        if unknown:
            raise InvalidOption(f"weights name nodes that are not in the store: {unknown}")
        self.nodes: dict[str, SessionStore] = dict(nodes)
        #: The ring that places new sessions; draw it, or ask it, but change nodes here, not there.
        self.ring = HashRing({name: weights.get(name, 1) for name in nodes})
        if isinstance(retry_after, bool) or not isinstance(retry_after, int | float) or not retry_after >= 0:
            raise InvalidOption(f"retry_after must be a number of seconds >= 0, not {retry_after!r}")
        self.retry_after = retry_after
        self._clock = clock
        self._failed_at: dict[str, float] = {}

    def new_id(self) -> str:
        """An id placed by the ring, on the first node in its order that has not just failed."""
        random_part = new_session_id()
        owner = self.ring.get_node(random_part)
        assert owner is not None
        if self._failed_at:  # walk past recently failed nodes only when some node has failed
            now = self._clock()
            preference = self.ring.iter_nodes(random_part)
            owner = next(
                (n for n in preference if now - self._failed_at.get(n, -math.inf) >= self.retry_after), owner
            )
        return f"{random_part}{_SEPARATOR}{owner}"

    async def _on(self, node: str, operation: Awaitable[T]) -> T:
        """Run one node's operation, remembering when the node last failed."""
        try:
            result = await operation
        except StoreUnavailable:
            self._failed_at[node] = self._clock()
            raise
        self._failed_at.pop(node, None)
        return result

    def node_of(self, session_id: str) -> str | None:
        """The name of the node that holds ``session_id``, or ``None`` if it names none of ours."""
        _, _, node = session_id.partition(_SEPARATOR)
        return node if node in self.nodes else None

    async def load(self, session_id: str) -> dict[str, Any] | None:
        node = self.node_of(session_id)
        return None if node is None else await self._on(node, self.nodes[node].load(session_id))

    async def save(
        self, session_id: str, changed: Mapping[str, Any], removed: Collection[str], *, ttl: float
    ) -> None:
        node = self.node_of(session_id)
        if node is None:
            raise StoreError("sharded", f"session id names no configured node: {session_id[-20:]!r}")
        await self._on(node, self.nodes[node].save(session_id, changed, removed, ttl=ttl))

    async def touch(self, session_id: str, *, ttl: float) -> None:
        node = self.node_of(session_id)
        if node is not None:
            await self._on(node, self.nodes[node].touch(session_id, ttl=ttl))

    async def delete(self, session_id: str) -> None:
        node = self.node_of(session_id)
        if node is not None:
            await self._on(node, self.nodes[node].delete(session_id))

    async def health(self) -> list[NodeHealth]:
        """Every node's report, node by node in the order configured."""
        reports: list[NodeHealth] = []
        for store in self.nodes.values():
            health = getattr(store, "health", None)
            if health is not None:
                reports.extend(await health())
        return reports

    async def aclose(self) -> None:
        await asyncio.gather(*(store.aclose() for store in self.nodes.values()))

    async def __aenter__(self) -> ShardedStore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class _IndexedShardedStore(ShardedStore):
    """A ShardedStore whose nodes all keep user indexes, and so keeps one too."""

    def _indexes(self) -> dict[str, UserIndex]:
        return {name: store for name, store in self.nodes.items() if isinstance(store, UserIndex)}

    async def index_add(self, user_id: str, session_id: str, info: Mapping[str, Any], *, ttl: float) -> None:
        node = self.node_of(session_id)
        if node is not None:
            await self._indexes()[node].index_add(user_id, session_id, info, ttl=ttl)

    async def index_list(self, user_id: str) -> dict[str, dict[str, Any]]:
        results = await asyncio.gather(
            *(index.index_list(user_id) for index in self._indexes().values()), return_exceptions=True
        )
        merged: dict[str, dict[str, Any]] = {}
        for result in results:
            if isinstance(result, BaseException):
                raise result
            merged.update(result)
        return merged

    async def index_remove(self, user_id: str, session_ids: Collection[str]) -> None:
        by_node: dict[str, list[str]] = {}
        for session_id in session_ids:
            node = self.node_of(session_id)
            if node is not None:
                by_node.setdefault(node, []).append(session_id)
        indexes = self._indexes()
        await asyncio.gather(*(indexes[node].index_remove(user_id, ids) for node, ids in by_node.items()))
