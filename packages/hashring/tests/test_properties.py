"""Properties every strategy keeps, for open-ended memberships, weights and keys."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anemo.hashring import Distributor, HashRing, md5_64

Factory = Callable[[Mapping[str, Any]], Distributor]

KEYS = [f"key-{i}" for i in range(400)]

names = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=10)
weights = st.one_of(st.integers(1, 4), st.floats(0.25, 4.0), st.floats(1e-9, 1e-3))  # tiny: one point
memberships = st.dictionaries(names, weights, min_size=1, max_size=8)
keys = st.one_of(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"])), st.binary())


def owners(ring: Any) -> list[str | None]:
    """The owner of every sample key."""
    return [ring.get_node(key) for key in KEYS]


@given(membership=memberships, key=keys)
def test_owner_is_a_member_and_first_of_get_nodes(
    make: Factory, membership: dict[str, Any], key: Any
) -> None:
    """get_node gives a member, and get_nodes starts with it and lists distinct members."""
    ring = make(membership)
    owner = ring.get_node(key)
    assert owner in membership
    listed = ring.get_nodes(key, len(membership) + 2)
    assert listed[0] == owner
    assert len(set(listed)) == len(listed)
    assert set(listed) <= set(membership)
    assert ring.get_nodes(key, 2) == listed[:2]
    assert list(ring.iter_nodes(key)) == listed


@given(membership=memberships, new=names, weight=weights)
def test_adding_moves_keys_only_to_the_new_node(
    minimal: Factory, membership: dict[str, Any], new: str, weight: float
) -> None:
    """A key either stays where it was or moves to the node that joined."""
    ring = minimal({name: w for name, w in membership.items() if name != new})
    before = owners(ring)
    ring.add_node(new, weight)
    moved = {after for was, after in zip(before, owners(ring), strict=True) if was != after}
    assert moved <= {new}


@given(membership=memberships.filter(lambda m: len(m) > 1), data=st.data())
def test_removing_moves_only_the_removed_nodes_keys(
    minimal: Factory, membership: dict[str, Any], data: st.DataObject
) -> None:
    """Only keys of the node that left change owner."""
    gone = data.draw(st.sampled_from(sorted(membership)))
    ring = minimal(membership)
    before = owners(ring)
    ring.remove_node(gone)
    moved_from = {was for was, after in zip(before, owners(ring), strict=True) if was != after}
    assert moved_from <= {gone}


@given(membership=memberships.filter(lambda m: len(m) > 1), weight=weights, data=st.data())
def test_reweighting_moves_keys_only_to_or_from_that_node(
    minimal: Factory, membership: dict[str, Any], weight: float, data: st.DataObject
) -> None:
    """Raising a weight only pulls keys in; lowering it only pushes keys out."""
    node = data.draw(st.sampled_from(sorted(membership)))
    ring = minimal(membership)
    before = owners(ring)
    ring.set_weight(node, weight)
    for was, after in zip(before, owners(ring), strict=True):
        if was != after:
            assert node in (was, after)
            assert (after == node) == (weight > membership[node])


operations = st.lists(st.tuples(st.sampled_from(["add", "remove", "weight"]), names, weights), max_size=12)


def replay(ring: Distributor, start: dict[str, Any], steps: list[Any]) -> dict[str, Any]:
    """Apply the steps that make sense for the membership (adds of new names, ...); the membership after."""
    membership = dict(start)
    for action, name, weight in steps:
        if action == "add" and name not in membership:
            ring.add_node(name, weight)
            membership[name] = weight
        elif action == "remove" and name in membership:
            ring.remove_node(name)
            del membership[name]
        elif action == "weight" and name in membership:
            ring.set_weight(name, weight)
            membership[name] = weight
    return membership


@given(start=memberships, steps=operations)
def test_history_does_not_matter(make: Factory, start: dict[str, Any], steps: list[Any]) -> None:
    """After any adds, removes and reweights, keys map as on a fresh build of the same membership."""
    ring = make(start)
    membership = replay(ring, start, steps)
    fresh = make(membership)
    assert dict(ring.nodes) == membership
    assert owners(ring) == owners(fresh)
    assert [ring.get_nodes(key, 3) for key in KEYS[:50]] == [fresh.get_nodes(key, 3) for key in KEYS[:50]]


def crowded_hash(data: bytes) -> int:
    """A hash with only 64 values, so points collide all the time."""
    return md5_64(data) % 64


@given(start=memberships, steps=operations)
def test_history_does_not_matter_when_points_collide(start: dict[str, Any], steps: list[Any]) -> None:
    """With colliding points too, a native ring changed step by step maps keys as a fresh one."""
    ring = HashRing(start, vnodes=20, hash=crowded_hash)
    membership = replay(ring, start, steps)
    fresh = HashRing(dict(reversed(list(membership.items()))), vnodes=20, hash=crowded_hash)
    assert owners(ring) == owners(fresh)
    assert [ring.get_nodes(key, 3) for key in KEYS[:50]] == [fresh.get_nodes(key, 3) for key in KEYS[:50]]


@given(membership=memberships)
def test_native_ring_ignores_join_order(membership: dict[str, Any]) -> None:
    """A native ring depends on its membership only, collisions included, not on the order given."""
    reverse = dict(reversed(list(membership.items())))
    assert owners(HashRing(membership, vnodes=8)) == owners(HashRing(reverse, vnodes=8))


@given(key=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"])))
def test_str_keys_hash_as_utf8_bytes(make: Factory, key: str) -> None:
    """A str key and its UTF-8 bytes (as bytes, bytearray or memoryview) land on one node."""
    ring = make({"a": 1, "b": 2, "c": 1.5})
    data = key.encode()
    expected = ring.get_node(key)
    assert (
        ring.get_node(data) == ring.get_node(bytearray(data)) == ring.get_node(memoryview(data)) == expected
    )
    assert ring.get_nodes(data, 3) == ring.get_nodes(key, 3)


@given(membership=memberships, loads=st.lists(keys, max_size=200), balance=st.floats(1.0, 2.0))
def test_bounded_loads_never_exceed_capacity(
    make: Factory, membership: dict[str, Any], loads: list[Any], balance: float
) -> None:
    """Assigning keys one by one, no node ever holds more than ceil(balance x its fair share)."""
    ring = make(membership)
    counts: dict[str, int] = {}
    for key in loads:
        node = ring.get_node_bounded(key, counts, balance=balance)
        assert node is not None
        counts[node] = counts.get(node, 0) + 1
    total_weight = sum(membership.values())
    for node, count in counts.items():
        assert count <= -(-balance * len(loads) * membership[node] // total_weight) + 1e-9


@pytest.mark.parametrize("n", [0, 1, 3])
def test_empty_ring_answers_none(make: Factory, n: int) -> None:
    """With no nodes every lookup answers None or nothing, and the key is still checked."""
    ring = make({})
    assert ring.get_node("k") is None
    assert ring.get_payload("k") is None
    assert ring.get_nodes("k", n) == []
    assert list(ring.iter_nodes("k")) == []
    assert ring.get_node_bounded("k", {}) is None


def prefix_hash(data: bytes) -> int:
    """A deliberately lumpy hash: the first 8 bytes, big-endian, so similar inputs crowd together."""
    return int.from_bytes(data[:8].ljust(8, b"\0"), "big")


@given(
    membership=st.dictionaries(
        st.text("ab", min_size=1, max_size=3), st.integers(1, 3), min_size=1, max_size=6
    ),
    key=st.binary(max_size=10),
)
def test_ring_lookup_is_the_first_point_above_the_key(membership: dict[str, int], key: bytes) -> None:
    """Whatever the spread of the points, a key goes to the first point strictly above its hash."""
    ring = HashRing(membership, vnodes=3, hash=prefix_hash)
    owner_of: dict[int, str] = {}
    for name in sorted(membership):  # on a collision the later name in sorted order keeps the point
        for index in range(ring.point_count(name)):
            owner_of[prefix_hash(f"{name}-{index}".encode())] = name
    hashed = prefix_hash(key)
    above = [point for point in owner_of if point > hashed]
    expected = owner_of[min(above)] if above else owner_of[min(owner_of)]
    assert ring.get_node(key) == expected
    assert ring.get_nodes(key, 1) == [expected]
