"""Rendezvous (highest random weight) hashing, weighted.

Every node scores every key; the highest score wins. With score ``w / -ln(u)``, ``u`` a uniform
hash of (node, key) in (0, 1), a node of weight ``w`` wins a share ``w / sum(w)`` of the keys
(Schindelhauer and Schomaker's logarithmic method). Balance is that of the key sample alone and a
change moves only the keys that must move, but a lookup costs one hash per node: use it for a
handful of nodes, the ring for many.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, Mapping
from operator import itemgetter
from typing import Any

from ._base import Distributor, Key, Nodes, State, Weight, check_count
from ._hashing import HashFunction, HashName, key_bytes, resolve_hash
from .errors import InvalidOptionError

__all__ = ["RendezvousHash"]

_UNIT = 2.0**-53  # 53 high bits of a 64-bit hash make a double in (0, 1)


class _RendezvousState(State):
    """A membership as (name, hash prefix, weight) in name order, so ties go the same way always."""

    __slots__ = ("entries", "key_hash", "weighted")

    def __init__(self, weights: dict[str, Weight], payloads: dict[str, Any], key_hash: HashFunction) -> None:
        super().__init__(weights, payloads)
        self.entries = [(name, name.encode() + b"\x00", float(weights[name])) for name in sorted(weights)]
        self.key_hash = key_hash
        self.weighted = len(set(weights.values())) > 1


class RendezvousHash(Distributor[_RendezvousState]):
    """Weighted rendezvous hashing behind the same interface as :class:`HashRing`.

    ``hash`` must return 64-bit integers: ``"md5"`` (default), ``"xxh3"`` or a function.
    """

    __slots__ = ("_hash",)

    def __init__(
        self,
        nodes: Nodes = (),
        *,
        hash: HashName | HashFunction = "md5",
        payloads: Mapping[str, Any] | None = None,
    ) -> None:
        self._hash = resolve_hash(hash)
        probe = self._hash(b"")  # scores assume 64-bit ints: catch a wrong function now, not as odd results
        if isinstance(probe, bool) or not isinstance(probe, int) or not 0 <= probe < 1 << 64:
            raise InvalidOptionError("hash", f"must return ints in [0, 2**64), got {probe!r}")
        super().__init__(nodes, payloads)

    def _build(self, weights: dict[str, Weight], payloads: dict[str, Any]) -> _RendezvousState:
        return _RendezvousState(weights, payloads, self._hash)

    @staticmethod
    def _scores(state: _RendezvousState, data: bytes) -> Iterator[tuple[float, str]]:
        """(score, name) of every node for the key ``data``."""
        key_hash = state.key_hash
        if not state.weighted:  # equal weights: the raw hash orders nodes as the score would
            for name, prefix, _ in state.entries:
                yield key_hash(prefix + data), name
            return
        for name, prefix, weight in state.entries:
            unit = ((key_hash(prefix + data) >> 11) + 0.5) * _UNIT
            yield weight / -math.log(unit), name

    def get_node(self, key: Key) -> str | None:
        """The node with the highest score for ``key``; ``None`` when there are no nodes."""
        state = self._state
        best: tuple[float, str] | None = None
        for scored in self._scores(state, key_bytes(key)):
            if best is None or scored[0] > best[0]:
                best = scored
        return None if best is None else best[1]

    def get_nodes(self, key: Key, n: int) -> list[str]:
        """The ``n`` highest-scoring nodes for ``key``, best first."""
        check_count(n)
        state = self._state
        ranked = heapq.nlargest(n, self._scores(state, key_bytes(key)), key=lambda scored: scored[0])
        return [name for _, name in ranked]

    def _walk(self, state: _RendezvousState, key: Key) -> Iterator[str]:
        """Every node once, highest score first (ties in name order, as in ``get_nodes``)."""
        scores = self._scores(state, key_bytes(key))
        ranked = sorted(scores, key=itemgetter(0), reverse=True)
        return (name for _, name in ranked)
