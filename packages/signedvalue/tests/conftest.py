"""Shared fixtures and hypothesis settings for anemo.signedvalue's tests."""

from __future__ import annotations

import pytest
from hypothesis import settings

# Bounded so the whole run stays well under a minute per Python on a small shared machine.
settings.register_profile("anemo", max_examples=150, deadline=None)
settings.load_profile("anemo")


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
