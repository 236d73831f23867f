"""The consistent hash ring: native points, or libketama's or libmemcached's exactly.

A node owns the arc of the ring that ends at each of its points; a key belongs to the first point
strictly above the key's hash, wrapping past the top. Native mode gives a node ``vnodes x weight``
points that depend only on its own name, so a membership change moves only the keys that must
move. Ketama mode reproduces libketama (and ``uhashring``'s ``hash_fn="ketama"``) point for point,
including its normalisation of weights by their total, so it can share data with those clients;
libmemcached mode does the same for libmemcached's weighted ketama (pylibmc and C clients).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Mapping
from fractions import Fraction
from itertools import repeat
from operator import itemgetter
from typing import Any, Literal

from . import _libmemcached
from ._base import Distributor, Key, Nodes, State, Weight, check_count
from ._hashing import HashFunction, HashName, ketama_hash, ketama_points, key_bytes, resolve_hash
from .errors import InvalidOptionError, InvalidWeightError

__all__ = ["HashRing"]

_KETAMA_POINTS_PER_DIGEST = 4

#: The index of a ring has at most 2**14 buckets (see _RingState).
_MAX_INDEX_BITS = 14

#: A bound on ``vnodes`` and on a native node's points, so a mistyped weight cannot exhaust memory.
MAX_POINTS_PER_NODE = 1 << 20

Compat = Literal["ketama", "libmemcached"]


class _RingState(State):
    """A membership with its sorted points; ``owners[i]`` holds ``points[i]``, wrapping at the end.

    ``starts`` indexes the points by their top bits: the points in ``[b << shift, (b + 1) << shift)``
    are ``points[starts[b]:starts[b + 1]]``. A lookup then bisects a few points (about four, ten
    past 64k points) instead of all of them, which matters because each comparison in a large
    ring is a cache miss.
    """

    __slots__ = ("holders", "key_hash", "owners", "points", "search", "shift", "starts")

    def __init__(
        self,
        weights: dict[str, Weight],
        payloads: dict[str, Any],
        *,
        points: list[int],
        owners: list[str | None],
        key_hash: HashFunction,
        hash_bits: int,
        search: Callable[[list[int], int, int, int], int],
    ) -> None:
        super().__init__(weights, payloads)
        self.points = points
        self.owners = owners
        self.key_hash = key_hash
        self.search = search  # bisect_right: first point above the key; bisect_left: at or above
        self.holders = len(set(owners) - {None})  # nodes with a point: tiny ketama weights get none
        # About four points per bucket, but at most 2**14 buckets: a larger index costs more to build
        # than it saves (measured at 1000 nodes: 15 ms to build, and lookups no faster).
        bits = min(hash_bits, (len(points) // 4).bit_length(), _MAX_INDEX_BITS)
        self.shift = hash_bits - bits
        step = 1 << self.shift
        self.starts = list(map(bisect_left, repeat(points), range(0, ((1 << bits) + 1) * step, step)))

    def position(self, key: Key) -> int:
        """Index of the first point above the hash of ``key`` (``len(points)`` past the top)."""
        hashed = self.key_hash(key_bytes(key))
        try:
            bucket = hashed >> self.shift
            return self.search(self.points, hashed, self.starts[bucket], self.starts[bucket + 1])
        except (TypeError, IndexError):  # a custom hash gave a non-int, or one past the top
            raise InvalidOptionError("hash", f"must return ints in [0, 2**64), got {hashed!r}") from None


class HashRing(Distributor[_RingState]):
    """A weighted consistent hash ring.

    ``nodes`` is an iterable of names or a mapping name -> weight. ``vnodes`` is the number of
    points a node of weight 1 gets (balance: coefficient of variation about ``1/sqrt(vnodes)``).
    ``compat="ketama"`` maps keys exactly as libketama and ``uhashring`` do (its ``vnodes`` is
    4 x uhashring's: 160 points is uhashring's default of 40 digests); ``compat="libmemcached"``
    as libmemcached's weighted ketama does (names ``"host:port"``, integer weights). ``hash``
    picks the native hash: ``"md5"`` (default, standard library), ``"xxh3"`` (faster, needs
    xxhash) or any function ``bytes -> int`` returning ints in ``[0, 2**64)``. ``payloads``
    keeps an object per node, such as a client.
    """

    __slots__ = ("_compat", "_hash", "_hash_bits", "_point_cache", "_vnodes")

    def __init__(
        self,
        nodes: Nodes = (),
        *,
        vnodes: int = 160,
        compat: Compat | None = None,
        hash: HashName | HashFunction = "md5",
        payloads: Mapping[str, Any] | None = None,
    ) -> None:
        if isinstance(vnodes, bool) or not isinstance(vnodes, int) or not 1 <= vnodes <= MAX_POINTS_PER_NODE:
            raise InvalidOptionError("vnodes", f"must be an int in [1, 2**20], got {vnodes!r}")
        if compat not in (None, "ketama", "libmemcached"):
            raise InvalidOptionError("compat", f"expected None, 'ketama' or 'libmemcached', got {compat!r}")
        if compat:
            if vnodes % _KETAMA_POINTS_PER_DIGEST:
                raise InvalidOptionError("vnodes", f"ketama makes points in fours, got {vnodes}")
            if hash != "md5":
                raise InvalidOptionError("hash", f"{compat} always hashes with MD5")
        self._vnodes = vnodes
        self._compat = compat
        self._hash = ketama_hash if compat else resolve_hash(hash)
        self._hash_bits = 32 if compat else 64
        self._point_cache: dict[str, list[int]] = {}
        super().__init__(nodes, payloads)

    @property
    def compat(self) -> Compat | None:
        """``"ketama"``, ``"libmemcached"`` or ``None`` (native)."""
        return self._compat

    @property
    def vnodes(self) -> int:
        """Points per unit of weight (before the normalisation of the compatible modes)."""
        return self._vnodes

    def point_count(self, name: str) -> int:
        """How many points node ``name`` has on the ring now (before collisions; 0 if absent)."""
        return self._point_counts(self._state.weights).get(name, 0)

    def _point_counts(self, weights: Mapping[str, Weight]) -> dict[str, int]:
        """Points per node: ``vnodes x weight`` natively, a normalised share in the compatible modes."""
        if self._compat is None:
            counts = {name: max(1, round(self._vnodes * weight)) for name, weight in weights.items()}
            for name, count in counts.items():
                if count > MAX_POINTS_PER_NODE:
                    reason = f"gives {count} points (vnodes x weight), more than 2**20"
                    raise InvalidWeightError(name, weights[name], reason)
            return counts
        if self._compat == "libmemcached":
            return _libmemcached.point_counts(weights, self._vnodes)
        # libketama: floor(digests x n x w / W) digests of 4 points each, computed exactly.
        scale = Fraction(self._vnodes // _KETAMA_POINTS_PER_DIGEST * len(weights))
        total = sum(map(Fraction, weights.values()))
        return {
            name: _KETAMA_POINTS_PER_DIGEST * int(scale * Fraction(weight) / total)
            for name, weight in weights.items()
        }

    def _points(self, name: str, count: int) -> list[int]:
        """The first ``count`` points of ``name``, computed once and kept while it is a member."""
        cached = self._point_cache.get(name, [])
        if len(cached) < count:
            if self._compat is None:
                extra = [self._hash(f"{name}-{index}".encode()) for index in range(len(cached), count)]
            else:
                label = _libmemcached.point_label(name) if self._compat == "libmemcached" else name
                first = len(cached) // _KETAMA_POINTS_PER_DIGEST
                extra = ketama_points(label, first, count // _KETAMA_POINTS_PER_DIGEST)
            cached = self._point_cache[name] = cached + extra
        return cached[:count]

    def _build(self, weights: dict[str, Weight], payloads: dict[str, Any]) -> _RingState:
        for gone in self._point_cache.keys() - weights.keys():
            del self._point_cache[gone]
        # On a collision the later node keeps the point: join order in the compatible modes,
        # name order natively, so a native ring depends only on its membership.
        order = weights if self._compat else sorted(weights)
        counts = self._point_counts(weights)
        every_point: list[int] = []
        every_owner: list[str] = []
        for name in order:
            points = self._points(name, counts[name])
            every_point += points
            every_owner += repeat(name, len(points))
        try:
            owner_of = dict(zip(every_point, every_owner, strict=True))
            ring = sorted(owner_of)
            in_range = not ring or (ring[0] >= 0 and not ring[-1] >> self._hash_bits)
        except TypeError:  # a custom hash that returns something other than ints
            in_range = False
        if not in_range:
            raise InvalidOptionError("hash", f"must return ints in [0, 2**{self._hash_bits})")
        # The owner of every point, then the first one again for keys past the top. One itemgetter
        # call reads them twice as fast as a loop (given two keys or more, it returns a tuple).
        owners: list[str | None] = list(itemgetter(*ring, ring[0])(owner_of)) if ring else [None]
        return _RingState(
            weights,
            payloads,
            points=ring,
            owners=owners,
            key_hash=self._hash,
            hash_bits=self._hash_bits,
            search=bisect_left if self._compat == "libmemcached" else bisect_right,
        )

    def get_node(self, key: Key) -> str | None:
        """The node that owns ``key`` (str or bytes); ``None`` on an empty ring."""
        state = self._state
        try:  # the common case inline: this is the hot path
            hashed = state.key_hash(key.encode() if type(key) is str else key)  # type: ignore[arg-type]
            bucket = hashed >> state.shift
            return state.owners[
                state.search(state.points, hashed, state.starts[bucket], state.starts[bucket + 1])
            ]
        except (TypeError, UnicodeEncodeError, IndexError):  # a bad key, or a bad custom hash: say which
            return state.owners[state.position(key)]

    def get_nodes(self, key: Key, n: int) -> list[str]:
        """The first ``n`` distinct nodes clockwise from ``key``: its owner, then its failovers."""
        check_count(n)
        state = self._state
        owners: list[str] = state.owners  # type: ignore[assignment]  # no None on a non-empty ring
        index = state.position(key)
        size = len(state.points)
        wanted = min(n, state.holders)
        found: list[str] = []
        while len(found) < wanted:
            name = owners[index]
            if name not in found:
                found.append(name)
            index = (index + 1) % size
        return found

    def _walk(self, state: _RingState, key: Key) -> Iterator[str]:
        """Every node of ``state`` once, clockwise from ``key``."""
        owners: list[str] = state.owners  # type: ignore[assignment]  # no None on a non-empty ring
        start = state.position(key)
        size = len(state.points)
        seen: set[str] = set()
        for offset in range(size):
            name = owners[(start + offset) % size]
            if name not in seen:
                seen.add(name)
                yield name
                if len(seen) == state.holders:
                    return
