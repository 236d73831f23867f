"""anemo.hashring against uhashring (hash_fn="ketama"), the ring it replaces.

Lookups walk 100k distinct keys per call, so one call is 100k lookups; ``get_nodes(key, 3)`` walks
10k keys (uhashring's ``range`` is too slow for 100k per round). The build case makes a 1000-node
ketama ring from scratch. ``python benchmarks/bench_hashring.py`` prints the README's trade-off
table instead: balance over 1M keys and movement when a node joins or leaves.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from harness import Suite, Thunk

from anemo.hashring import Distributor, HashRing, InvalidOptionError, Nodes, RendezvousHash

KEYS = [f"user:{i}:session" for i in range(100_000)]
FEW_KEYS = KEYS[:10_000]


def names(count: int) -> list[str]:
    """Node names shaped like memcached addresses."""
    return [f"10.0.{i // 250}.{i % 250}:11211" for i in range(count)]


def _uhashring(nodes: list[str]) -> Any:
    try:
        from uhashring import HashRing as UHashRing
    except ImportError:
        return None
    return UHashRing(nodes, hash_fn="ketama")


def _lookups(get_node: Callable[[str], object], keys: list[str] = KEYS) -> Thunk:
    return lambda: list(map(get_node, keys))


def suite() -> Suite:
    """Lookups at 10 and 100 nodes, replicas at 100, and a 1000-node build, against uhashring."""
    suite = Suite("anemo.hashring vs uhashring (ketama)")
    for count in (10, 100):
        nodes = names(count)
        peer = _uhashring(nodes)
        peers = {"uhashring": None if peer is None else _lookups(peer.get_node)}
        suite.case(
            f"ketama get_node, {count} nodes", _lookups(HashRing(nodes, compat="ketama").get_node), peers
        )
        suite.case(f"native (md5) get_node, {count} nodes", _lookups(HashRing(nodes).get_node), peers)
        try:
            xxh3 = HashRing(nodes, hash="xxh3")
        except InvalidOptionError:  # xxhash not installed
            pass
        else:
            suite.case(f"native (xxh3) get_node, {count} nodes", _lookups(xxh3.get_node), peers)

    nodes = names(100)
    peer = _uhashring(nodes)
    ring = HashRing(nodes, compat="ketama")
    suite.case(
        "ketama get_nodes(key, 3), 100 nodes",
        lambda: [ring.get_nodes(key, 3) for key in FEW_KEYS],
        {
            "uhashring range(key, 3)": None
            if peer is None
            else lambda: [list(peer.range(key, 3)) for key in FEW_KEYS]
        },
        note="10k keys per call",
    )
    big = names(1000)
    suite.case(
        "build a 1000-node ketama ring",
        lambda: HashRing(big, compat="ketama"),
        {"uhashring": None if peer is None else lambda: _uhashring(big)},
        note="160k points",
    )
    return suite


def _movement(before: list[str | None], after: list[str | None], node: str) -> tuple[float, float]:
    """Share of keys that changed owner, and share that changed without involving ``node``."""
    changed = [(was, now) for was, now in zip(before, after, strict=True) if was != now]
    excess = sum(node not in pair for pair in changed)
    return len(changed) / len(before), excess / len(before)


def _row(label: str, ring: Distributor, keys: list[str], build: float) -> str:
    """One table row: balance, then movement when a node of weight 1 joins and when one leaves."""
    start = time.perf_counter()
    before = [ring.get_node(key) for key in keys]
    lookup = (time.perf_counter() - start) / len(keys)
    balance = ring.balance(keys)
    total = sum(ring.nodes.values())
    leaving = next(iter(ring))
    leaving_share = ring.nodes[leaving] / total
    ring.add_node("10.9.9.9:11211")
    added, added_excess = _movement(before, [ring.get_node(key) for key in keys], "10.9.9.9:11211")
    ring.remove_node("10.9.9.9:11211")
    ring.remove_node(leaving)
    removed, removed_excess = _movement(before, [ring.get_node(key) for key in keys], leaving)
    return (
        f"| {label} | {len(ring) + 1} | {balance.max_over_mean:.3f} | {balance.cv:.3f} "
        f"| {added:.2%} ({1 / (total + 1):.2%}) | {added_excess:.2%} "
        f"| {removed:.2%} ({leaving_share:.2%}) | {removed_excess:.2%} "
        f"| {lookup * 1e6:.2f} us | {build * 1e3:.1f} ms |"
    )


def trade_offs(key_count: int = 1_000_000) -> str:
    """A markdown table: balance, movement, lookup and build cost of each strategy."""
    keys = [f"user:{i}:session" for i in range(key_count)]
    strategies: dict[str, Callable[[Nodes], Distributor]] = {
        "ring, native, vnodes=160": HashRing,
        "ring, native, vnodes=40": lambda nodes: HashRing(nodes, vnodes=40),
        "ring, compat=ketama": lambda nodes: HashRing(nodes, compat="ketama"),
        "ring, compat=libmemcached": lambda nodes: HashRing(nodes, compat="libmemcached"),
        "rendezvous": RendezvousHash,
    }
    lines = [
        "| strategy | nodes | max/mean | CV | moved on add (ideal) | excess | moved on remove (ideal) "
        "| excess | lookup | build |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    memberships: list[tuple[str, Nodes]] = [
        ("", names(10)),
        ("", names(100)),
        (", weights 1-3", {name: 1 + i % 3 for i, name in enumerate(names(10))}),
    ]
    for suffix, nodes in memberships:
        for label, make in strategies.items():
            sample = keys[: key_count // 10] if label == "rendezvous" and len(nodes) > 10 else keys
            start = time.perf_counter()
            ring = make(nodes)
            lines.append(_row(label + suffix, ring, sample, time.perf_counter() - start))
    lines += [
        "",
        f"{key_count:,} keys (rendezvous at 100 nodes: {key_count // 10:,}). Ideal movement: the joining "
        "node's fair share on add, the leaving node's share on remove; excess: keys that moved between "
        "nodes that did not change. 1/sqrt(160) = 0.079.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(trade_offs(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000))
