"""compat="libmemcached" maps every key as libmemcached's weighted ketama, checked through pylibmc.

``pylibmc.Client.hash(key)`` returns the index of the server libmemcached picks for ``key``
(``memcached_generate_hash``), so no server needs to run. pylibmc (in the ``test`` extra) builds
against libmemcached-dev, which the test command installs.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pylibmc
import pytest

from anemo.hashring import HashRing, InvalidWeightError

KEYS = [f"user:{i}:profile" for i in range(20_000)]


def libmemcached(nodes: dict[str, int]) -> Callable[[str], str]:
    """The server libmemcached (weighted ketama) picks for a key, by name."""
    specs = [f"{name}:{weight}" for name, weight in nodes.items()]
    client = pylibmc.Client(specs, behaviors={"ketama_weighted": True})
    names = list(nodes)
    return lambda key: names[client.hash(key)]


def servers(count: int, seed: int, weighted: bool) -> dict[str, int]:
    """Servers on the default port and on others (their points are named differently)."""
    chooser = random.Random(seed)
    nodes = {}
    for i in range(count):
        port = chooser.choice([11211, 11212, 21211])
        nodes[f"10.{seed}.{i // 200}.{i % 200}:{port}"] = chooser.randint(1, 9) if weighted else 1
    return nodes


@pytest.mark.parametrize("count", [1, 2, 3, 10, 37, 100])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_keys_match_libmemcached(count: int, weighted: bool) -> None:
    """Every key goes where libmemcached sends it, across sizes, ports and weights."""
    nodes = servers(count, seed=count, weighted=weighted)
    ring, theirs = HashRing(nodes, compat="libmemcached"), libmemcached(nodes)
    keys = KEYS if count <= 10 else KEYS[:4000]
    differing = [key for key in keys if ring.get_node(key) != theirs(key)]
    assert differing == [], f"{len(differing)} of {len(keys)} keys differ, e.g. {differing[:3]}"


def test_changes_match_a_fresh_libmemcached_client() -> None:
    """After adds and removes the ring matches a libmemcached client of the new server list."""
    nodes = servers(12, seed=5, weighted=True)
    ring = HashRing(nodes, compat="libmemcached")
    ring.add_node("10.99.0.1:11211", 4)
    ring.remove_node(next(iter(nodes)))
    theirs = libmemcached(dict(ring.nodes))  # type: ignore[arg-type]
    assert [ring.get_node(key) for key in KEYS[:3000]] == [theirs(key) for key in KEYS[:3000]]


def test_libmemcached_weights_are_integers() -> None:
    """libmemcached weights are unsigned ints: a float weight is refused, and the ring is unchanged."""
    with pytest.raises(InvalidWeightError):
        HashRing({"a:11211": 1.5}, compat="libmemcached")
    ring = HashRing({"a:11211": 1}, compat="libmemcached")
    with pytest.raises(InvalidWeightError):
        ring.add_node("b:11211", 2.5)
    assert dict(ring.nodes) == {"a:11211": 1}
