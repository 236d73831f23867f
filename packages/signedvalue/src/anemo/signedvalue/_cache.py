"""A bounded memo whose hit is one dict lookup, for the per-call hot paths."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

__all__ = ["BuildingCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BuildingCache(dict[K, V]):
    """``cache[key]`` is ``build(key)``, built on first use and kept; emptied once ``maxsize`` is hit.

    A hit costs a dict lookup, a third of a ``functools.lru_cache`` call. Values are immutable, so
    two threads building one key at once are harmless.
    """

    __slots__ = ("_build", "_maxsize")

    def __init__(self, build: Callable[[K], V], maxsize: int) -> None:
        super().__init__()
        self._build = build
        self._maxsize = maxsize

    def __missing__(self, key: K) -> V:
        value = self._build(key)
        if len(self) >= self._maxsize:
            self.clear()
        self[key] = value
        return value
