"""A Redis master killed under load, through the demo's pages: the error window and the lost writes.

``python benchmarks/failover.py [--rounds 3] [--clients 16] [--smoke]`` runs, for each set-up, a
fresh deployment and one demo process (``python -m anemo_demo``) on it:

- ``sentinel``: a master, one replica and three sentinels (``redis+sentinel://``);
- ``cluster``: a Redis Cluster of three masters, each with one replica (``redis+cluster://``), with
  ``cluster-require-full-coverage no``: the other masters go on serving while a slot range has
  no master;
- ``cluster-full-coverage``: the same with Redis's default, ``yes``: every node refuses commands
  until the replica is promoted.

Each client is a visitor with a session of its own, requesting ``/visits?format=json`` (which
counts its visits in the session: one write per request) as fast as the answers come. Two seconds
in, the master (for the cluster: the master of slot 0) is SIGKILLed. The load
goes on until two seconds have passed without an error and every visitor has had a success since.

It prints, per round: requests, 503s, the visitors who saw any 503 (and the fewest 503s one of
them saw: a visitor on another master caught by a stray error would show as a small number),
anything else (a 500, a hang past 10 s, a socket error: any makes the exit status 1), the error
window (from the first 503 to the last), how long after the kill the last 503 came, the slowest
request, and the acknowledged writes lost: a
visitor whose last 200 said ``visits: k`` and whose next visit after recovery says
``k' + 1 <= k`` lost ``k - k'`` writes. Replication is asynchronous, so the replica that is
promoted can miss the last writes the old master acknowledged.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from load_demo import fresh_cookie, start
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from anemo_testing import RedisCluster, RedisSentinel, free_port

KILL_AFTER = 2.0
QUIET = 2.0
DEADLINE = 40.0
HANG = 10.0
SETUPS = ("sentinel", "cluster", "cluster-full-coverage")


@dataclass
class Visitor:
    cookie: str
    acknowledged: int = 0
    failures: list[float] = field(default_factory=list)
    successes: list[float] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    slowest: float = 0.0


async def visit(client: AsyncHTTPClient, base: str, visitor: Visitor) -> int | None:
    """One request; its count of visits on a 200, else None (the outcome is recorded)."""
    started = time.monotonic()
    request = HTTPRequest(
        base + "/visits?format=json", headers={"Cookie": visitor.cookie}, request_timeout=HANG
    )
    try:
        response = await client.fetch(request, raise_error=False)
    except (OSError, HTTPClientError) as exc:
        visitor.other.append(f"{type(exc).__name__}: {exc}")
        return None
    finally:
        visitor.slowest = max(visitor.slowest, time.monotonic() - started)
    if response.code == 200:
        visitor.successes.append(started)
        visits: int = json.loads(response.body)["visits"]
        return visits
    if response.code == 503:
        visitor.failures.append(started)
    else:
        visitor.other.append(f"HTTP {response.code}")
    return None


async def load(base: str, visitors: list[Visitor], kill: Callable[[], object]) -> float:
    """Every visitor visiting until the errors are over; returns how long the kill took to run."""
    client = AsyncHTTPClient(max_clients=len(visitors))
    stop = asyncio.Event()

    async def keep_visiting(visitor: Visitor) -> None:
        while not stop.is_set():
            visits = await visit(client, base, visitor)
            if visits is not None:
                visitor.acknowledged = visits

    tasks = [asyncio.create_task(keep_visiting(visitor)) for visitor in visitors]
    await asyncio.sleep(KILL_AFTER)
    killed = time.monotonic()
    await asyncio.to_thread(kill)
    while time.monotonic() - killed < DEADLINE:
        await asyncio.sleep(0.1)
        last = max((t for v in visitors for t in v.failures), default=killed)
        if time.monotonic() - last > QUIET and all(any(s > last for s in v.successes) for v in visitors):
            break
    stop.set()
    await asyncio.gather(*tasks)
    return killed


async def lost(base: str, visitors: list[Visitor]) -> int:
    """Acknowledged writes that the session no longer holds, summed over the visitors."""
    client = AsyncHTTPClient()
    missing = 0
    for visitor in visitors:
        visits = await visit(client, base, visitor)
        if visits is None:
            raise SystemExit("a visitor's session could not be read after recovery")
        missing += max(0, visitor.acknowledged - (visits - 1))
    return missing


def one_round(setup: str, scratch: Path, clients: int) -> dict[str, float]:
    """A fresh deployment, the demo on it, the kill under load; the round's figures."""
    deployment: RedisSentinel | RedisCluster
    if setup == "sentinel":
        deployment = RedisSentinel(scratch / "sentinel")
    else:
        full_coverage = setup == "cluster-full-coverage"
        deployment = RedisCluster(scratch / "cluster", masters=3, replicas=1, full_coverage=full_coverage)
    deployment.start()
    port = free_port()
    process = start("anemo", port, scratch, deployment.url, access_log=False)
    base = f"http://127.0.0.1:{port}"
    try:
        visitors = [Visitor(fresh_cookie(base)) for _ in range(clients)]
        if isinstance(deployment, RedisSentinel):
            kill: Callable[[], object] = deployment.kill_master
        else:
            victim = deployment.master_of_slot(0)
            kill = lambda: deployment.kill_master(victim)  # noqa: E731

        async def measure() -> tuple[float, int]:
            killed = await load(base, visitors, kill)
            return killed, await lost(base, visitors)

        killed, missing = asyncio.run(measure())
    finally:
        process.terminate()
        process.wait(timeout=10)
        deployment.stop()
    failures = sorted(t for v in visitors for t in v.failures)
    return {
        "requests": sum(len(v.successes) + len(v.failures) + len(v.other) for v in visitors),
        "503": len(failures),
        "hit": sum(1 for v in visitors if v.failures),
        "fewest": min((len(v.failures) for v in visitors if v.failures), default=0),
        "other": sum(len(v.other) for v in visitors),
        "window": failures[-1] - failures[0] if failures else 0.0,
        "recovered": failures[-1] - killed if failures else 0.0,
        "slowest": max(v.slowest for v in visitors),
        "lost": missing,
        "acknowledged": sum(v.acknowledged for v in visitors),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3, help="kills per set-up (default 3)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent visitors (default 16)")
    parser.add_argument("--setup", choices=SETUPS, action="append", help="default: all three")
    parser.add_argument("--smoke", action="store_true", help="one round with 4 visitors: check that it works")
    args = parser.parse_args()
    rounds, clients = (1, 4) if args.smoke else (args.rounds, args.clients)
    setups = args.setup or list(SETUPS)
    print(f"## a master SIGKILLed under load: {clients} visitors on /visits?format=json, {rounds} round(s)")
    print()
    print(
        "| set-up | round | requests | 503 | visitors who saw a 503 | other | error window "
        "| last 503 after the kill | slowest request | lost / acknowledged |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    errors = 0
    for setup in setups:
        windows = []
        for index in range(rounds):
            with tempfile.TemporaryDirectory(prefix="failover-") as scratch:
                figures = one_round(setup, Path(scratch), clients)
            errors += int(figures["other"])
            windows.append(figures["window"])
            print(
                f"| {setup} | {index + 1} | {figures['requests']:.0f} | {figures['503']:.0f} "
                f"| {figures['hit']:.0f} / {clients} (fewest 503s: {figures['fewest']:.0f}) "
                f"| {figures['other']:.0f} | {figures['window']:.2f} s | {figures['recovered']:.2f} s "
                f"| {figures['slowest']:.2f} s "
                f"| {figures['lost']:.0f} / {figures['acknowledged']:.0f} |"
            )
        print(f"| {setup} | median | | | | | {statistics.median(windows):.2f} s | | | |")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
