"""A settable clock: time in tests moves only when a test moves it."""

from __future__ import annotations

__all__ = ["Clock"]


class Clock:
    """A Unix clock standing at ``now`` until :meth:`advance` (or assignment to ``now``) moves it."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock ``seconds`` forward."""
        self.now += seconds
