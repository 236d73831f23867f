"""What every key-to-node strategy shares: membership, weights, payloads, snapshots, bounded loads.

Each strategy keeps everything a lookup needs in one immutable state object. A change builds a
new state under a lock and swaps it in with one assignment, so lookups take no lock and always
see one consistent membership, even while another thread adds or removes nodes.
"""

from __future__ import annotations

import math
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, TypeAlias

from ._balance import Balance
from .errors import (
    DuplicateNodeError,
    InvalidNodeError,
    InvalidOptionError,
    InvalidWeightError,
    UnknownNodeError,
)

__all__ = ["Distributor", "Key", "Nodes", "State", "Weight"]

Key: TypeAlias = str | bytes
Weight: TypeAlias = int | float
Nodes: TypeAlias = Iterable[str] | Mapping[str, Weight]

#: The largest weight: libmemcached's (a C uint32), and small enough that sums never overflow.
MAX_WEIGHT = 2**32


class State:
    """An immutable membership: weights in the order nodes joined, and their payloads."""

    __slots__ = ("payloads", "weights")

    def __init__(self, weights: dict[str, Weight], payloads: dict[str, Any]) -> None:
        self.weights = weights
        self.payloads = payloads


# The state type of a strategy. Its default (PEP 696, seen by type checkers only, so the core
# still needs nothing beyond the standard library) keeps a bare ``Distributor`` a valid
# annotation under ``mypy --strict``, accepting every strategy: it means ``Distributor[Any]``.
if TYPE_CHECKING:
    from typing_extensions import TypeVar

    S = TypeVar("S", bound=State, default=Any)
else:
    from typing import TypeVar

    S = TypeVar("S", bound=State)


def check_weight(name: str, weight: object) -> Weight:
    """``weight`` if it is an int or float in ``(0, MAX_WEIGHT]``, else :class:`InvalidWeightError`."""
    # Compared, never converted: a huge int would overflow float(); NaN and inf fail the test.
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= MAX_WEIGHT:
        raise InvalidWeightError(name, weight)
    return weight


def check_name(name: object) -> str:
    """``name`` if it is a non-empty str that encodes as UTF-8, else :class:`InvalidNodeError`."""
    if not isinstance(name, str) or not name:
        raise InvalidNodeError(name)
    try:
        name.encode()
    except UnicodeEncodeError:  # a lone surrogate: points and scores hash the UTF-8 bytes
        raise InvalidNodeError(name) from None
    return name


def parse_nodes(nodes: Nodes) -> dict[str, Weight]:
    """Names (weight 1 each) or a mapping name -> weight, checked, in the order given."""
    if isinstance(nodes, (str, bytes)):
        raise InvalidOptionError("nodes", "expected an iterable of names or a mapping, not one str")
    weights: dict[str, Weight] = {}
    if isinstance(nodes, Mapping):
        for name, weight in nodes.items():
            weights[check_name(name)] = check_weight(name, weight)
        return weights
    for name in nodes:
        if check_name(name) in weights:
            raise DuplicateNodeError(name)
        weights[name] = 1
    return weights


class Distributor(ABC, Generic[S]):
    """Maps keys to weighted, named nodes; the interface shared by every strategy.

    A node is a name (``str``, what gets hashed), a weight, and an optional payload (anything,
    such as a client object) that is kept beside the name and never hashed. ``S`` is the type
    of the strategy's immutable state (``HashRing(Distributor[_RingState])``), so its methods
    read their own state's fields without casts.
    """

    __slots__ = ("_lock", "_state")

    _state: S

    def __init__(self, nodes: Nodes, payloads: Mapping[str, Any] | None) -> None:
        self._lock = threading.Lock()
        weights = parse_nodes(nodes)
        kept = dict(payloads or {})
        for name in kept:
            if name not in weights:
                raise UnknownNodeError(name)
        self._state = self._build(weights, kept)

    @abstractmethod
    def _build(self, weights: dict[str, Weight], payloads: dict[str, Any]) -> S:
        """A new immutable state for this membership (called with the lock held)."""

    @abstractmethod
    def get_node(self, key: Key) -> str | None:
        """The node that owns ``key``; ``None`` when there are no nodes."""

    @abstractmethod
    def _walk(self, state: S, key: Key) -> Iterator[str]:
        """Every node of ``state`` once, in ``key``'s order of preference."""

    def iter_nodes(self, key: Key) -> Iterator[str]:
        """Every node once, in this key's order of preference (owner first, then failovers)."""
        return self._walk(self._state, key)

    @abstractmethod
    def get_nodes(self, key: Key, n: int) -> list[str]:
        """The first ``n`` distinct nodes in ``key``'s preference order (fewer if fewer exist)."""

    def get_node_bounded(self, key: Key, loads: Mapping[str, int], *, balance: float = 1.25) -> str | None:
        """The first node in ``key``'s preference order whose load is under its capacity.

        Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam, 2018): with
        ``loads`` the number of items each node holds now (missing names count as 0), a node may
        take one more while it holds fewer than ``ceil(balance * (total + 1) * weight / sum of
        weights)``. No node then exceeds ``balance`` times its fair share, so a hot key spills to
        its next nodes instead of overloading one. ``balance`` must be at least 1. ``None`` when
        there are no nodes (or, in ketama mode, none with room holds a point).
        """
        if not (isinstance(balance, (int, float)) and balance >= 1 and math.isfinite(balance)):
            raise InvalidOptionError("balance", f"must be a finite number >= 1, got {balance!r}")
        state = self._state  # one snapshot throughout, even if another thread changes the ring
        weights = state.weights
        if not weights:
            return None
        held = {name: check_load(name, loads.get(name, 0)) for name in weights}
        room = balance * (sum(held.values()) + 1) / sum(weights.values())
        for name in self._walk(state, key):
            if held[name] < room * weights[name]:  # for an int load, the same as < ceil(...)
                return name
        return None

    def get_payload(self, key: Key) -> Any:
        """The payload of the node that owns ``key``; ``None`` when there are no nodes."""
        state = self._state  # owner and payload from the same snapshot
        name = next(self._walk(state, key), None)
        return None if name is None else state.payloads.get(name)

    def payload(self, name: str) -> Any:
        """The payload kept with node ``name`` (``None`` if it has none)."""
        state = self._state
        if check_name(name) not in state.weights:
            raise UnknownNodeError(name)
        return state.payloads.get(name)

    @property
    def nodes(self) -> Mapping[str, Weight]:
        """A read-only view of the members and their weights, in the order they joined."""
        return MappingProxyType(self._state.weights)

    def __len__(self) -> int:
        return len(self._state.weights)

    def __contains__(self, name: object) -> bool:
        return name in self._state.weights

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(self._state.weights))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {len(self)} nodes>"

    def add_node(self, name: str, weight: Weight = 1, *, payload: Any = None) -> None:
        """Add a node; :class:`DuplicateNodeError` if it is already a member."""
        check_weight(check_name(name), weight)
        with self._lock:
            state = self._state
            if name in state.weights:
                raise DuplicateNodeError(name)
            payloads = state.payloads if payload is None else {**state.payloads, name: payload}
            self._state = self._build({**state.weights, name: weight}, payloads)

    def remove_node(self, name: str) -> None:
        """Remove a node; :class:`UnknownNodeError` if it is not a member."""
        check_name(name)
        with self._lock:
            state = self._state
            if name not in state.weights:
                raise UnknownNodeError(name)
            weights = {member: w for member, w in state.weights.items() if member != name}
            payloads = {member: p for member, p in state.payloads.items() if member != name}
            self._state = self._build(weights, payloads)

    def set_weight(self, name: str, weight: Weight) -> None:
        """Change a member's weight; only keys that must move to honour it move."""
        check_weight(check_name(name), weight)
        with self._lock:
            state = self._state
            if name not in state.weights:
                raise UnknownNodeError(name)
            self._state = self._build({**state.weights, name: weight}, state.payloads)

    def balance(self, keys: Iterable[Key]) -> Balance:
        """How evenly ``keys`` spread over the nodes, each count judged against its weight."""
        state = self._state
        counts = dict.fromkeys(state.weights, 0)
        for key in keys:
            name = self.get_node(key)
            if name in counts:  # skips keys that land on a node added meanwhile
                counts[name] += 1
        return Balance.measure(counts, state.weights)


def check_load(name: str, load: object) -> int:
    """``load`` if it is an int in ``[0, 2**63)``, else :class:`InvalidOptionError`."""
    if isinstance(load, bool) or not isinstance(load, int) or not 0 <= load < 2**63:
        raise InvalidOptionError("loads", f"the load of {name!r} must be an int >= 0, got {load!r}")
    return load


def check_count(n: object) -> int:
    """``n`` if it is an int >= 0, else :class:`InvalidOptionError`."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise InvalidOptionError("n", f"must be an int >= 0, got {n!r}")
    return n
