"""HashRing and RendezvousHash in detail: errors, payloads, balance, weights, threads."""

from __future__ import annotations

import bisect
import math
import sys
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from anemo.hashring import (
    Balance,
    DuplicateNodeError,
    HashRing,
    HashRingError,
    InvalidKeyError,
    InvalidNodeError,
    InvalidOptionError,
    InvalidWeightError,
    RendezvousHash,
    UnknownNodeError,
    md5_64,
)

KEYS = [f"session:{i:06d}" for i in range(100_000)]
TEN = [f"node-{i}" for i in range(10)]


@pytest.mark.parametrize("key", [12, 1.5, None, ["a"], object()])
def test_keys_other_than_str_or_bytes_are_refused(key: object) -> None:
    """A key that is neither str nor bytes raises InvalidKeyError, a TypeError."""
    for ring in (HashRing(TEN), HashRing(TEN, compat="ketama"), RendezvousHash(TEN)):
        for lookup in (ring.get_node, lambda k, r=ring: r.get_nodes(k, 2), ring.get_payload):
            with pytest.raises(InvalidKeyError) as caught:
                lookup(key)  # type: ignore[operator]
            assert isinstance(caught.value, TypeError)
            assert caught.value.key_type is type(key)


def test_unencodable_str_key_is_refused() -> None:
    """A lone surrogate cannot be UTF-8 encoded: a clear InvalidKeyError, not UnicodeEncodeError."""
    with pytest.raises(InvalidKeyError, match="UTF-8"):
        HashRing(TEN).get_node("\ud800")


def test_str_subclass_keys_hash_as_str() -> None:
    """A str subclass (an enum, say) maps as its plain str value."""

    class Name(str):
        pass

    ring = HashRing(TEN)
    assert ring.get_node(Name("user:1")) == ring.get_node("user:1")


@pytest.mark.parametrize(
    "weight", [0, -1, -0.0, math.nan, math.inf, True, "2", None, 2**32 + 1, 10**400, 1e300]
)
def test_bad_weights_are_refused(weight: object) -> None:
    """Weights are numbers in (0, 2**32], never bools or strings; a huge int is refused cleanly."""
    with pytest.raises(InvalidWeightError) as caught:
        HashRing({"a": weight})  # type: ignore[dict-item]
    assert (caught.value.node, caught.value.weight) == ("a", weight) or math.isnan(caught.value.weight)  # type: ignore[arg-type]
    ring = HashRing(["a"])
    with pytest.raises(InvalidWeightError):
        ring.add_node("b", weight)  # type: ignore[arg-type]
    with pytest.raises(InvalidWeightError):
        ring.set_weight("a", weight)  # type: ignore[arg-type]
    assert dict(ring.nodes) == {"a": 1}


@pytest.mark.parametrize("name", ["", 5, None, b"bytes", ("a",), "a\ud800", "\udfff"])
def test_bad_node_names_are_refused(name: object) -> None:
    """Node names are non-empty str that encode as UTF-8 (a lone surrogate is an InvalidNodeError)."""
    for make in (HashRing, RendezvousHash):
        ring = make(["a"])
        for action in (ring.remove_node, partial(ring.set_weight, weight=2), ring.payload):
            for given in (name, [name]):  # a list: unhashable, still an InvalidNodeError
                with pytest.raises(InvalidNodeError):
                    action(given)
        with pytest.raises(InvalidNodeError):
            make([name])  # type: ignore[list-item]
        with pytest.raises(InvalidNodeError):
            make({name: 1})  # type: ignore[dict-item]
        with pytest.raises(InvalidNodeError):
            make().add_node(name)  # type: ignore[arg-type]


def test_largest_weight_is_accepted_where_it_fits() -> None:
    """2**32 is a valid weight; a native ring refuses a weight that would need over 2**20 points."""
    assert RendezvousHash({"a": 2**32, "b": 1}).get_node_bounded("k", {}) in ("a", "b")
    ketama = HashRing({"a": 2**32, "b": 1}, compat="ketama")
    assert ketama.point_count("a") == 4 * 79  # floor(80 w / W) digests
    assert HashRing({"a:1": 2**32 - 1, "b:1": 1}, compat="libmemcached").get_node("k") == "a:1"
    with pytest.raises(InvalidWeightError, match="uint32"):
        HashRing({"a:1": 2**32}, compat="libmemcached")
    assert HashRing({"a": 2**20}, vnodes=1).point_count("a") == 2**20
    ring = HashRing(["a"])
    for change in (lambda: ring.add_node("b", 10**5), lambda: ring.set_weight("a", 10**5)):
        with pytest.raises(InvalidWeightError, match="points") as caught:
            change()
        assert caught.value.weight == 10**5
    assert dict(ring.nodes) == {"a": 1}
    assert ring.point_count("a") == 160
    with pytest.raises(InvalidOptionError):
        HashRing(["a"], vnodes=2**20 + 1)


def test_membership_errors_name_the_node() -> None:
    """Adding a member twice, or touching a non-member, says which node."""
    ring = HashRing(["a", "b"])
    with pytest.raises(DuplicateNodeError) as duplicate:
        ring.add_node("a")
    assert duplicate.value.node == "a"
    for action in (ring.remove_node, lambda name: ring.set_weight(name, 2), ring.payload):
        with pytest.raises(UnknownNodeError) as unknown:
            action("zz")
        assert unknown.value.node == "zz"
        assert "zz" in str(unknown.value)
    with pytest.raises(DuplicateNodeError):
        HashRing(["a", "b", "a"])
    assert list(ring) == ["a", "b"]


def test_options_are_checked() -> None:
    """Bad options raise InvalidOptionError naming the option; all errors share one base."""
    cases = [
        (lambda: HashRing("abc"), "nodes"),  # type: ignore[arg-type]
        (lambda: HashRing(TEN, vnodes=0), "vnodes"),
        (lambda: HashRing(TEN, vnodes=True), "vnodes"),  # type: ignore[arg-type]
        (lambda: HashRing(TEN, compat="libketama"), "compat"),  # type: ignore[arg-type]
        (lambda: HashRing(TEN, hash="sha1"), "hash"),  # type: ignore[arg-type]
        (lambda: HashRing(TEN).get_nodes("k", -1), "n"),
        (lambda: RendezvousHash(TEN).get_nodes("k", 1.5), "n"),  # type: ignore[arg-type]
        (lambda: HashRing(TEN).get_node_bounded("k", {}, balance=0.9), "balance"),
    ]
    for build, option in cases:
        with pytest.raises(InvalidOptionError) as caught:
            build()
        assert caught.value.option == option
        assert isinstance(caught.value, (HashRingError, ValueError))


def test_payloads_stay_beside_names() -> None:
    """Payloads are returned for a key's owner, follow changes, and never change placement."""
    clients = {name: object() for name in TEN}
    ring = HashRing(TEN, payloads=clients)
    assert [ring.get_node(key) for key in KEYS[:500]] == [HashRing(TEN).get_node(key) for key in KEYS[:500]]
    for key in KEYS[:100]:
        assert ring.get_payload(key) is clients[ring.get_node(key)]  # type: ignore[index]
    extra = object()
    ring.add_node("node-x", 2, payload=extra)
    assert ring.payload("node-x") is extra
    ring.remove_node("node-x")
    assert "node-x" not in ring
    assert ring.payload("node-0") is clients["node-0"]
    assert HashRing(["a"]).payload("a") is None
    with pytest.raises(UnknownNodeError):
        HashRing(["a"], payloads={"b": 1})


def test_container_protocol() -> None:
    """len, in, iteration in join order, a read-only nodes view and a short repr."""
    ring = RendezvousHash({"b": 2, "a": 1})
    assert len(ring) == 2
    assert "a" in ring
    assert "c" not in ring
    assert list(ring) == ["b", "a"]
    with pytest.raises(TypeError):
        ring.nodes["c"] = 1  # type: ignore[index]
    assert repr(ring) == "<RendezvousHash of 2 nodes>"


@pytest.mark.parametrize("vnodes", [40, 160, 640])
def test_native_balance_follows_one_over_sqrt_points(vnodes: int) -> None:
    """The spread of keys per node is near 1/sqrt(points per node), as documented."""
    balance = HashRing(TEN, vnodes=vnodes).balance(KEYS)
    assert sum(balance.counts.values()) == len(KEYS)
    expected = 1 / math.sqrt(vnodes)
    assert expected / 3 < balance.cv < expected * 2
    assert balance.max_over_mean < 1 + 4 * expected


def test_weights_scale_shares() -> None:
    """A node of weight 3 takes about three times the keys of a node of weight 1."""
    for ring in (HashRing({"a": 1, "b": 3}, vnodes=640), RendezvousHash({"a": 1, "b": 3})):
        counts = ring.balance(KEYS).counts
        assert counts["b"] / counts["a"] == pytest.approx(3, rel=0.1)


def test_native_point_counts_are_vnodes_times_weight() -> None:
    """Native points are vnodes x weight, never normalised by the total weight."""
    ring = HashRing({"a": 1, "b": 2.5}, vnodes=100)
    assert (ring.point_count("a"), ring.point_count("b"), ring.point_count("c")) == (100, 250, 0)
    ring.add_node("c", 10)
    assert ring.point_count("a") == 100
    ketama = HashRing({"a": 1, "b": 3}, compat="ketama")
    assert (ketama.point_count("a"), ketama.point_count("b")) == (80, 240)  # 40 x 2 x w / 4 digests


def test_balance_measure() -> None:
    """Balance judges counts against weights: a perfect split has cv 0 and max/mean 1."""
    perfect = Balance.measure({"a": 10, "b": 30}, {"a": 1, "b": 3})
    assert (perfect.max_over_mean, perfect.cv) == (1.0, 0.0)
    skewed = Balance.measure({"a": 30, "b": 10}, {"a": 1, "b": 1})
    assert skewed.max_over_mean == 1.5
    assert skewed.cv == pytest.approx(0.5)
    assert Balance.measure({}, {}).max_over_mean == 0.0


def test_custom_hash_function_is_used() -> None:
    """A callable hash places points and keys; the same function gives the same ring."""
    calls: list[bytes] = []

    def counting(data: bytes) -> int:
        calls.append(data)
        return md5_64(data)

    ring = HashRing(TEN, hash=counting, vnodes=4)
    assert b"node-0-3" in calls
    ring.get_node("user:1")
    assert calls[-1] == b"user:1"
    assert [ring.get_node(k) for k in KEYS[:300]] == [HashRing(TEN, vnodes=4).get_node(k) for k in KEYS[:300]]


def test_bounded_loads_spread_a_hot_key() -> None:
    """The same key asked for over and over fills its owner to capacity, then its successors."""
    ring = HashRing(TEN)
    loads: dict[str, int] = {}
    for _ in range(1000):
        node = ring.get_node_bounded("hot", loads, balance=1.25)
        assert node is not None
        loads[node] = loads.get(node, 0) + 1
    capacity = math.ceil(1.25 * 1000 / 10)
    assert max(loads.values()) == loads[ring.get_node("hot")] == capacity  # type: ignore[index]
    assert list(loads) == ring.get_nodes("hot", math.ceil(1000 / capacity))


def test_bounded_loads_take_a_huge_balance() -> None:
    """A balance near the float limit means no bound: the owner, not an OverflowError."""
    ring = HashRing(TEN)
    assert ring.get_node_bounded("k", {"node-1": 10**9}, balance=1e308) == ring.get_node("k")


def test_bounded_loads_refuse_bad_loads() -> None:
    """Loads are ints >= 0: a negative, fractional, textual or huge load is an InvalidOptionError."""
    ring = HashRing(TEN)
    for bad in (-1, 0.5, "3", None, True, 2**63):
        with pytest.raises(InvalidOptionError) as caught:
            ring.get_node_bounded("k", {"node-3": bad})  # type: ignore[dict-item]
        assert caught.value.option == "loads"
    assert ring.get_node_bounded("k", {"not-a-member": "ignored"}) == ring.get_node("k")  # type: ignore[dict-item]


def race(*targets: Callable[[], object]) -> None:
    """Run ``targets`` in threads at once, switching between them as often as CPython allows."""
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=target) for target in targets]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch)


@pytest.mark.parametrize(
    "make",
    [HashRing, partial(HashRing, compat="ketama"), RendezvousHash],
    ids=["native", "ketama", "rendezvous"],
)
def test_every_lookup_reads_one_snapshot_while_a_writer_changes_membership(make: Any) -> None:
    """get_node, get_nodes, iter_nodes, get_node_bounded and get_payload answer from one membership."""
    small, added = TEN[:5], TEN[5:]
    passed_through = [small + added[:i] for i in range(6)] + [small + added[i:] for i in range(1, 5)]
    rings = [make(membership) for membership in passed_through]
    keys = KEYS[:150]
    allowed = {key: {tuple(ring.iter_nodes(key)) for ring in rings} for key in keys}
    ring = make(small, payloads={name: name.upper() for name in small})
    stop = threading.Event()
    wrong: list[object] = []

    def writer() -> None:
        while not stop.is_set():
            for name in added:
                ring.add_node(name, payload=name.upper())
            for name in added:
                ring.remove_node(name)

    def reader() -> None:
        try:
            for _ in range(15):
                for key, orders in allowed.items():
                    walked = tuple(ring.iter_nodes(key))
                    first = ring.get_node(key)
                    owner = ring.get_node_bounded(key, {})
                    payload = ring.get_payload(key)
                    firsts = ring.get_nodes(key, 3)
                    if (
                        walked not in orders
                        or first not in {order[0] for order in orders}
                        or owner not in {order[0] for order in orders}
                        or payload not in {order[0].upper() for order in orders}
                        or tuple(firsts) not in {order[:3] for order in orders}
                    ):
                        wrong.append((key, walked, first, owner, payload, firsts))
        except Exception as error:  # a lookup must never fail mid-change
            wrong.append(error)

    writer_thread = threading.Thread(target=writer)
    writer_thread.start()
    try:
        race(reader, reader)
    finally:
        stop.set()
        writer_thread.join()
    assert wrong == []


@pytest.mark.parametrize("make", [partial(HashRing, vnodes=8), RendezvousHash], ids=["ring", "rendezvous"])
def test_concurrent_writers_lose_no_change(make: Any) -> None:
    """Threads adding and reweighting at once: every change lands, and the ring equals a fresh one."""
    ring = make(["base"])
    batches = [[f"w{thread}-{i}" for i in range(25)] for thread in range(4)]

    def writer(names: list[str]) -> None:
        for name in names:
            ring.add_node(name)
            ring.set_weight(name, 2)
            ring.set_weight("base", len(name))

    race(*(partial(writer, names) for names in batches))
    expected = {"base": ring.nodes["base"], **{name: 2 for names in batches for name in names}}
    assert dict(ring.nodes) == expected
    fresh = make(dict(ring.nodes))
    assert [ring.get_node(key) for key in KEYS[:500]] == [fresh.get_node(key) for key in KEYS[:500]]


def test_small_ketama_weights_may_get_no_points() -> None:
    """libketama floors a tiny share to zero points; such a node never owns keys, and lookups still end."""
    ring = HashRing({"big": 1000, "tiny": 1}, compat="ketama")
    assert ring.point_count("tiny") == 0
    assert ring.get_nodes("k", 2) == ["big"]
    assert list(ring.iter_nodes("k")) == ["big"]


def test_custom_hash_out_of_range_is_refused() -> None:
    """A hash returning negative, 65-bit or non-int values is caught when the ring is built."""
    for bad in (
        lambda data: -1 - md5_64(data),
        lambda data: md5_64(data) << 1 | 1 << 64,
        lambda data: md5_64(data) / 3,
        lambda data: str(md5_64(data)),
        lambda data: [md5_64(data)],
    ):
        for make in (HashRing, RendezvousHash):
            with pytest.raises(InvalidOptionError) as caught:
                make(TEN, hash=bad)
            assert caught.value.option == "hash"


def planted_hash(data: bytes) -> int:
    """MD5 for node points; a key b"\\xff" + 8 bytes hashes to those bytes (no UTF-8 name starts so)."""
    return int.from_bytes(data[1:9], "big") if data[:1] == b"\xff" else md5_64(data)


def test_large_ring_lookups_are_exact_at_every_point() -> None:
    """Past 64k points (a coarser index), keys at, below and above points go to the first point above."""
    nodes = [f"node-{i}" for i in range(500)]
    ring = HashRing(nodes, hash=planted_hash)
    owner_of = {md5_64(f"{name}-{i}".encode()): name for name in sorted(nodes) for i in range(160)}
    points = sorted(owner_of)
    assert len(points) > 65_536
    probes = [0, 2**64 - 1, points[0], points[-1]]
    for point in points[::97]:
        probes += [point - 1, point, point + 1]
    for hashed in probes:
        above = bisect.bisect_right(points, hashed)
        expected = owner_of[points[above % len(points)]]
        assert ring.get_node(b"\xff" + hashed.to_bytes(8, "big")) == expected, hashed


def test_custom_hash_out_of_range_for_a_key_is_refused() -> None:
    """A hash whose points fit but whose value for one key does not: InvalidOptionError, not IndexError."""
    ring = HashRing(TEN, hash=lambda data: 1 << 70 if data == b"bad" else md5_64(data))
    for lookup in (ring.get_node, lambda key: ring.get_nodes(key, 2), ring.get_payload):
        with pytest.raises(InvalidOptionError, match="2\\*\\*64"):
            lookup("bad")
    assert ring.get_node("good") in ring


def test_libmemcached_point_names_and_counts() -> None:
    """Port 11211 drops out of the point names; equal weights give every server 160 points."""
    from anemo.hashring._libmemcached import point_counts, point_label

    assert point_label("10.0.0.1:11211") == "10.0.0.1"
    assert point_label("10.0.0.1:11212") == "10.0.0.1:11212"
    assert point_label("cache") == "cache"
    assert set(point_counts(dict.fromkeys(TEN, 1), 160).values()) == {160}
    ring = HashRing({"a:11211": 1, "b:11300": 3}, compat="libmemcached")
    assert ring.point_count("a:11211") + ring.point_count("b:11300") == 320
    assert ring.get_node("k") in ring
    with pytest.raises(InvalidOptionError):
        HashRing(TEN, compat="libmemcached", hash="xxh3")
