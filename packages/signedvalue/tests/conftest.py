"""Shared fixtures for anemo.signedvalue's tests (the hypothesis profile is anemo_testing's)."""

from __future__ import annotations

import pytest


class FakeClock:
    """A settable clock for tests of expiry (a real part: any zero-argument callable works)."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    """A clock standing at a fixed, settable time."""
    return FakeClock()
