"""ShardedStore: sessions spread over several stores on an anemo-hashring ring.

Routing policy: the ring picks a node once, when the id is made, and the id carries that node's
name (``RANDOM~NODE``), which the record key keeps (``HASH~NODE``). A session is therefore read
and written on the node that created it for its whole life, whatever happens to the ring:

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

from ._ids import ROUTE_SEPARATOR, new_session_id, route_of
from ._store import IndexEntry, NodeHealth, SessionStore, StoreBase, UserIndex
from .errors import InvalidOption, StoreError, StoreUnavailable

__all__ = ["ShardedStore"]

_NAME = re.compile(r"[A-Za-z0-9._:/-]{1,100}", re.ASCII)

T = TypeVar("T")


class ShardedStore(StoreBase):
    """Several :class:`~anemo.sessions.SessionStore` nodes behind one, weights honoured.

    ``nodes`` maps a stable node name (letters, digits, ``. _ : / -``; it is written into ids,
    so keep it when a server moves) to its store; ``weights`` (default 1 each) sets each node's
    share of new sessions. When every node keeps a user index, so does the sharded store
    (``user_index``): each user's entries live on the node of each session, and listing a user's
    sessions asks every node (and raises StoreUnavailable while one is down, rather than list
    too few).
    """

    address = "sharded"

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
        indexes = {name: store.user_index for name, store in self.nodes.items()}
        self.user_index: UserIndex | None = (
            None if any(index is None for index in indexes.values()) else _ShardedIndex(self, indexes)
        )

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
        return f"{random_part}{ROUTE_SEPARATOR}{owner}"

    async def _on(self, node: str, operation: Awaitable[T]) -> T:
        """Run one node's operation, remembering when the node last failed."""
        try:
            result = await operation
        except StoreUnavailable:
            self._failed_at[node] = self._clock()
            raise
        self._failed_at.pop(node, None)
        return result

    def node_of(self, key: str) -> str | None:
        """The node that holds the record ``key`` (or an id), or ``None`` if it names none of ours."""
        node = route_of(key)
        return node if node in self.nodes else None

    async def load(self, key: str) -> dict[str, str] | None:
        node = self.node_of(key)
        return None if node is None else await self._on(node, self.nodes[node].load(key))

    async def save(
        self, key: str, changed: Mapping[str, str], removed: Collection[str], *, ttl: float
    ) -> None:
        node = self.node_of(key)
        if node is None:
            raise StoreError(self.address, f"record key names no configured node: {key[-20:]!r}")
        await self._on(node, self.nodes[node].save(key, changed, removed, ttl=ttl))

    async def touch(self, key: str, *, ttl: float) -> None:
        node = self.node_of(key)
        if node is not None:
            await self._on(node, self.nodes[node].touch(key, ttl=ttl))

    async def touch_indexed(self, key: str, entry: IndexEntry, *, ttl: float) -> None:
        """On the record's node, which also holds its index entry."""
        node = self.node_of(key)
        if node is not None:
            await self._on(node, self.nodes[node].touch_indexed(key, entry, ttl=ttl))

    async def delete(self, key: str) -> None:
        node = self.node_of(key)
        if node is not None:
            await self._on(node, self.nodes[node].delete(key))

    async def health(self) -> list[NodeHealth]:
        """Every node's report, node by node in the order configured."""
        reports: list[NodeHealth] = []
        for store in self.nodes.values():
            reports.extend(await store.health())
        return reports

    async def aclose(self) -> None:
        await asyncio.gather(*(store.aclose() for store in self.nodes.values()))


class _ShardedIndex:
    """The user index of a ShardedStore: each entry on the node of its record."""

    def __init__(self, store: ShardedStore, indexes: Mapping[str, UserIndex | None]) -> None:
        self._store = store
        self._indexes = {name: index for name, index in indexes.items() if index is not None}

    async def index_add(self, user_key: str, record_key: str, info: Mapping[str, Any], *, ttl: float) -> None:
        node = self._store.node_of(record_key)
        if node is not None:
            await self._indexes[node].index_add(user_key, record_key, info, ttl=ttl)

    async def index_list(self, user_key: str) -> dict[str, dict[str, Any]]:
        results = await asyncio.gather(
            *(index.index_list(user_key) for index in self._indexes.values()), return_exceptions=True
        )
        merged: dict[str, dict[str, Any]] = {}
        for result in results:
            if isinstance(result, BaseException):
                raise result
            merged.update(result)
        return merged

    async def index_remove(self, user_key: str, record_keys: Collection[str]) -> None:
        by_node: dict[str, list[str]] = {}
        for key in record_keys:
            node = self._store.node_of(key)
            if node is not None:
                by_node.setdefault(node, []).append(key)
        await asyncio.gather(
            *(self._indexes[node].index_remove(user_key, keys) for node, keys in by_node.items())
        )
