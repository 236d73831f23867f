"""Load on the demo app with wrk: a bare Tornado page, a session-reading and a session-writing page.

``python benchmarks/load_demo.py [--duration 5] [--connections 16]`` starts the demo (one process)
on memory sessions, then on Redis sessions (a redis-server it starts itself), and runs wrk (one
thread, as the two cores here are shared with the app) against three pages of the same process:

- ``/bare``: a plain ``RequestHandler`` writing a string, no session, no template: the floor;
- ``/``: the home page, rendered by anemo-tmpl, loading the visitor's session (read-only);
- ``/visits?format=json``: loads the session and writes one key on every request.

It prints requests/s, p99 latency and errors (non-2xx responses and socket errors), and the ratio
of each page's throughput to the bare page's, measured in the same run.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from anemo_testing import RedisServer, free_port

PAGES = [("bare Tornado", "/bare"), ("session read (home)", "/"), ("session write", "/visits?format=json")]


def start_demo(port: int, data_dir: Path, store: str) -> subprocess.Popen[bytes]:
    log = open(data_dir / "demo.log", "wb")  # noqa: SIM115 (the process keeps it)
    process = subprocess.Popen(
        [sys.executable, "-m", "anemo_demo", "--port", str(port), "--data-dir", str(data_dir),
         "--session-store", store],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bare", timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the demo did not start: {(data_dir / 'demo.log').read_text()}")


def session_cookie(base: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(base + "/visits?format=json", timeout=5).read()
    return next(f"{c.name}={c.value}" for c in jar if c.name == "session")


def _seconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def wrk(url: str, cookie: str, duration: int, connections: int) -> dict[str, float]:
    """One bounded wrk run: requests/s, p99 seconds, and errors."""
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-H", f"Cookie: {cookie}", url],
        capture_output=True, text=True, timeout=duration + 30, check=True,
    ).stdout  # fmt: skip
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p99 = _seconds(re.search(r"99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket:
        errors += sum(int(n) for n in socket.groups())
    return {"rate": rate, "p99": p99, "errors": errors}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--smoke", action="store_true", help="1-second runs: check that it works")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    duration = 1 if args.smoke else args.duration
    print(f"## anemo demo under load: wrk -t1 -c{args.connections} -d{duration}s, one app process")
    print()
    print("| sessions | page | requests/s | p99 | errors | vs bare |")
    print("|---|---|---:|---:|---:|---:|")
    total_errors = 0
    with tempfile.TemporaryDirectory(prefix="load-demo-") as scratch:
        redis = RedisServer(Path(scratch) / "redis")
        redis.start()
        try:
            for label, store in (("memory", "memory://"), ("redis", redis.url)):
                data_dir = Path(scratch) / f"demo-{label}"
                data_dir.mkdir()
                port = free_port()
                process = start_demo(port, data_dir, store)
                try:
                    base = f"http://127.0.0.1:{port}"
                    cookie = session_cookie(base)
                    wrk(base + "/bare", cookie, 1, args.connections)  # warm up
                    bare = None
                    for name, path in PAGES:
                        result = wrk(base + path, cookie, duration, args.connections)
                        bare = bare or result["rate"]
                        total_errors += int(result["errors"])
                        print(
                            f"| {label} | {name} | {result['rate']:,.0f} | {result['p99'] * 1000:.1f} ms | "
                            f"{result['errors']:.0f} | {result['rate'] / bare:.2f} |",
                            flush=True,
                        )
                finally:
                    process.send_signal(signal.SIGTERM)
                    process.wait(10)
        finally:
            redis.stop()
    print()
    print(f"errors in all runs: {total_errors}")
    return 1 if total_errors else 0


if __name__ == "__main__":
    sys.exit(main())
