"""Strategies under test, as fixtures (the hypothesis profile is anemo_testing's)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from anemo.hashring import Distributor, HashRing, RendezvousHash

Factory = Callable[[Mapping[str, Any]], Distributor]

#: Strategies whose changes move only the keys that must move.
MINIMAL_MOVEMENT: dict[str, Factory] = {
    "ring-md5": HashRing,
    "ring-xxh3": lambda nodes: HashRing(nodes, hash="xxh3"),
    "ring-20-vnodes": lambda nodes: HashRing(nodes, vnodes=20),
    "rendezvous": RendezvousHash,
}

#: Every strategy, ketama included.
EVERY: dict[str, Factory] = {**MINIMAL_MOVEMENT, "ketama": lambda nodes: HashRing(nodes, compat="ketama")}


@pytest.fixture(scope="session", params=sorted(MINIMAL_MOVEMENT))
def minimal(request: pytest.FixtureRequest) -> Factory:
    """A factory of each strategy that promises minimal movement."""
    return MINIMAL_MOVEMENT[request.param]


@pytest.fixture(scope="session", params=sorted(EVERY))
def make(request: pytest.FixtureRequest) -> Factory:
    """A factory of each strategy."""
    return EVERY[request.param]
