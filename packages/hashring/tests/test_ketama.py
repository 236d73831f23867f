"""compat="ketama" maps every key exactly as the real uhashring (hash_fn="ketama") does."""

from __future__ import annotations

import random

import pytest
from uhashring import HashRing as UHashRing

from anemo.hashring import HashRing, InvalidOptionError

MANY_KEYS = [f"user:{i}:profile" for i in range(100_000)]
FEW_KEYS = MANY_KEYS[::50]  # 2,000


def names(count: int) -> list[str]:
    """Node names shaped like the host:port names memcached clients use."""
    return [f"10.0.{i // 250}.{i % 250}:11211" for i in range(count)]


def weighted(count: int, seed: int) -> dict[str, int]:
    """Integer weights 1..5, reproducible."""
    chooser = random.Random(seed)
    return {name: chooser.randint(1, 5) for name in names(count)}


def assert_same_mapping(ours: HashRing, theirs: UHashRing, keys: list[str]) -> None:
    """Owner of every key identical; counted so a failure says how many differ."""
    differing = [key for key in keys if ours.get_node(key) != theirs.get_node(key)]
    assert differing == [], f"{len(differing)} of {len(keys)} keys differ, e.g. {differing[:3]}"


@pytest.mark.parametrize("count", [1, 10, 100])
@pytest.mark.parametrize("weights", ["unweighted", "weighted"])
def test_100k_keys_match_uhashring(count: int, weights: str) -> None:
    """100k keys land on the same node as in uhashring, with and without weights."""
    nodes = names(count) if weights == "unweighted" else weighted(count, seed=count)
    assert_same_mapping(HashRing(nodes, compat="ketama"), UHashRing(nodes, hash_fn="ketama"), MANY_KEYS)


@pytest.mark.parametrize("count", [*range(1, 200, 13), 200])
def test_node_counts_1_to_200_match_uhashring(count: int) -> None:
    """From 1 to 200 nodes, weighted and not, every sampled key maps the same."""
    for nodes in (names(count), weighted(count, seed=count + 1)):
        assert_same_mapping(HashRing(nodes, compat="ketama"), UHashRing(nodes, hash_fn="ketama"), FEW_KEYS)


def test_get_nodes_matches_uhashring_range() -> None:
    """get_nodes(key, n) lists the same nodes, in the same order, as uhashring's range(key, n)."""
    nodes = weighted(30, seed=7)
    ours, theirs = HashRing(nodes, compat="ketama"), UHashRing(nodes, hash_fn="ketama")
    for key in FEW_KEYS[:500]:
        for n in (1, 3, 30):
            assert ours.get_nodes(key, n) == [conf["nodename"] for conf in theirs.range(key, n)]


def test_changes_track_uhashring() -> None:
    """After the same adds, removes and reweights, both rings still agree key for key."""
    ours, theirs = HashRing(names(20), compat="ketama"), UHashRing(names(20), hash_fn="ketama")
    steps = [
        ("add", "10.1.0.1:11211", 1),
        ("remove", names(20)[3], 0),
        ("add", "10.1.0.2:11211", 3),
        ("weight", names(20)[7], 4),
        ("remove", names(20)[0], 0),
    ]
    for action, node, weight in steps:
        if action == "add":
            ours.add_node(node, weight)
            theirs.add_node(node, {"weight": weight})
        elif action == "remove":
            ours.remove_node(node)
            theirs.remove_node(node)
        else:
            ours.set_weight(node, weight)
            theirs.add_node(node, {"weight": weight})
        assert_same_mapping(ours, theirs, FEW_KEYS)


def test_vnodes_are_four_times_uhashring_vnodes() -> None:
    """Our vnodes counts points; uhashring's counts MD5 digests of four points each."""
    nodes = names(12)
    assert_same_mapping(
        HashRing(nodes, compat="ketama", vnodes=400), UHashRing(nodes, hash_fn="ketama", vnodes=100), FEW_KEYS
    )
    with pytest.raises(InvalidOptionError):
        HashRing(nodes, compat="ketama", vnodes=30)


def test_float_weights_equal_their_integer_values() -> None:
    """Float weights (which uhashring cannot take) map as the equal integers do."""
    as_ints, as_floats = weighted(15, seed=3), {}
    as_floats = {name: float(weight) for name, weight in as_ints.items()}
    ints, floats = HashRing(as_ints, compat="ketama"), HashRing(as_floats, compat="ketama")
    assert [ints.get_node(key) for key in FEW_KEYS] == [floats.get_node(key) for key in FEW_KEYS]


def test_bytes_keys_hash_as_their_text() -> None:
    """A bytes key maps as the str it encodes (uhashring would hash the repr b'...' instead)."""
    ring = HashRing(names(10), compat="ketama")
    for key in FEW_KEYS[:200]:
        assert ring.get_node(key.encode()) == ring.get_node(key)


def test_ketama_hashes_with_md5_only() -> None:
    """Choosing another hash in ketama mode is refused rather than silently ignored."""
    with pytest.raises(InvalidOptionError) as caught:
        HashRing(["a"], compat="ketama", hash="xxh3")
    assert caught.value.option == "hash"
