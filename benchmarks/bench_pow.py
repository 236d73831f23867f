"""anemo.captcha's ProofOfWork against the ``altcha`` library (PoW v1): the client's cost and the server's.

``run.py pow`` times the server side, ours and altcha's interleaved in one process:

- verify: one solved payload (base64 JSON) checked. Ours also records it as used in a
  MemoryStore (one-time use, which altcha's ``verify_solution_v1`` does not do), so ours does more;
  each payload is verified once, from a pool signed in advance, the store renewed when the pool
  starts over;
- issue: one challenge as a JSON-ready dict (altcha's ``create_challenge_v1(...).to_dict()``, with
  an expiry as ours always has).

``python benchmarks/bench_pow.py [--smoke]`` also prints the client's cost: the wall time a
Python hashlib solver takes at several difficulties (median and p95 over random challenges), and
this machine's SHA-256 rate, from which the solve time of any difficulty follows (``maxnumber / 2``
hashes on average, ``maxnumber`` at worst). A browser's Web Crypto (``crypto.subtle.digest``, one
promise per hash) is slower per hash than CPython's hashlib, and phones slower than this machine:
measure in the browsers you serve before choosing a difficulty.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import math
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from harness import Suite, machine_line, render_markdown

from anemo.captcha import MemoryStore, ProofOfWork

KEY = "benchmark hmac key, not for production"
DIFFICULTY = 100_000
POOL = 20_000
DIFFICULTIES = [10_000, 50_000, 100_000, 250_000, 1_000_000]

try:
    import altcha
except ImportError:  # the peer is optional: its cases are left out
    altcha = None


def solve(challenge: dict[str, Any]) -> int | None:
    """The first number from 0 whose SHA-256 after the salt is the challenge, as a browser looks."""
    prefix = hashlib.sha256(str(challenge["salt"]).encode())
    target = bytes.fromhex(str(challenge["challenge"]))
    for number in range(int(challenge["maxnumber"]) + 1):
        attempt = prefix.copy()
        attempt.update(str(number).encode())
        if attempt.digest() == target:
            return number
    return None


def hashes_per_second(count: int) -> float:
    """This machine's rate of the solver's inner step (copy, update, digest), one core."""
    prefix = hashlib.sha256(b"0123456789abcdef0123456789abcdef?expires=1800000000&")
    start = time.perf_counter()
    for number in range(count):
        attempt = prefix.copy()
        attempt.update(str(number).encode())
        attempt.digest()
    return count / (time.perf_counter() - start)


def solve_times(difficulty: int, samples: int) -> list[float]:
    """Wall seconds to solve ``samples`` fresh challenges of ``difficulty``."""
    issuer = ProofOfWork(MemoryStore(), hmac_key=KEY, difficulty=difficulty)
    times = []
    for _ in range(samples):
        challenge = issuer.challenge()
        start = time.perf_counter()
        assert solve(challenge) is not None
        times.append(time.perf_counter() - start)
    return times


def client_report(difficulties: list[int], samples: int) -> str:
    """A markdown table of solve times per difficulty, measured and as the hash rate predicts."""
    rate = hashes_per_second(200_000)
    lines = [
        "### Client cost: Python hashlib solver, one core, wall time",
        "",
        f"SHA-256 rate (copy + update + digest): {rate:,.0f} hashes/s.",
        "",
        "| maxnumber | samples | median | p95 | max | expected mean (maxnumber/2 / rate) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for difficulty in difficulties:
        times = sorted(solve_times(difficulty, samples))
        p95 = times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)]
        lines.append(
            f"| {difficulty:,} | {len(times)} | {statistics.median(times) * 1000:.1f} ms "
            f"| {p95 * 1000:.1f} ms | {times[-1] * 1000:.1f} ms | {difficulty / 2 / rate * 1000:.1f} ms |"
        )
    return "\n".join(lines)


def _signed_payloads(count: int) -> list[str]:
    """Solved payloads of challenges signed with KEY, made as the issuer makes them (number known)."""
    expires = int(time.time()) + 300  # the lifetime: a longer expiry would be refused
    payloads = []
    for _ in range(count):
        salt = f"{secrets.token_hex(16)}?expires={expires}&"
        number = secrets.randbelow(DIFFICULTY + 1)
        challenge = hashlib.sha256(f"{salt}{number}".encode()).hexdigest()
        signature = hmac.new(KEY.encode(), challenge.encode(), hashlib.sha256).hexdigest()
        fields = {"algorithm": "SHA-256", "challenge": challenge, "number": number, "salt": salt}
        payloads.append(base64.b64encode(json.dumps({**fields, "signature": signature}).encode()).decode())
    return payloads


class _OursVerify:
    """Verifies each payload of the pool once; a fresh store when the pool starts over."""

    def __init__(self, payloads: list[str]) -> None:
        self.payloads = payloads
        self.index = len(payloads)
        self.pow = ProofOfWork(MemoryStore(), hmac_key=KEY, difficulty=DIFFICULTY)

    def __call__(self) -> bool:
        if self.index == len(self.payloads):
            self.index = 0
            self.pow = ProofOfWork(MemoryStore(), hmac_key=KEY, difficulty=DIFFICULTY)
        self.index += 1
        return self.pow.passes(self.payloads[self.index - 1])


def _altcha_verify(payloads: list[str]) -> Callable[[], bool] | None:
    if altcha is None:
        return None
    cursor = iter(range(1 << 62))
    return lambda: altcha.verify_solution_v1(payloads[next(cursor) % len(payloads)], KEY)[0]


def _altcha_issue() -> Callable[[], dict[str, Any]] | None:
    if altcha is None:
        return None

    def run() -> dict[str, Any]:
        expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=300)
        options = altcha.ChallengeOptionsV1(hmac_key=KEY, max_number=DIFFICULTY, expires=expires)
        made: dict[str, Any] = altcha.create_challenge_v1(options).to_dict()
        return made

    return run


def suite() -> Suite:
    """Verification and issue, ours against altcha's PoW v1."""
    bench = Suite("anemo.captcha ProofOfWork against altcha (PoW v1), maxnumber 100,000")
    payloads = _signed_payloads(POOL)
    ours, peer = _OursVerify(payloads), _altcha_verify(payloads)
    assert ours()  # both accept what they are timed on
    assert peer is None or peer()
    bench.case(
        "verify one payload", ours, {"altcha.verify_solution_v1": peer}, "ours also records it (MemoryStore)"
    )
    issuer = ProofOfWork(MemoryStore(), hmac_key=KEY, difficulty=DIFFICULTY)
    bench.case("issue one challenge", issuer.challenge, {"altcha.create_challenge_v1": _altcha_issue()})
    return bench


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=41, help="challenges solved per difficulty")
    parser.add_argument("--repeat", type=int, default=7, help="interleaved rounds per server case")
    parser.add_argument("--smoke", action="store_true", help="tiny difficulties, one round: check it runs")
    args = parser.parse_args()
    difficulties, samples = ([1_000, 5_000], 3) if args.smoke else (DIFFICULTIES, args.samples)
    repeat, batch = (1, 0.001) if args.smoke else (args.repeat, 0.05)
    print(f"## ProofOfWork, {datetime.date.today().isoformat()}")
    print()
    print(machine_line())
    print()
    print(client_report(difficulties, samples), flush=True)
    print()
    bench = suite()
    print(render_markdown(bench.title + " (CPU time; peer/ours > 1: ours faster)", bench.run(repeat, batch)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
