"""Load on the demo app with wrk, against the same pages built on Tornado's stock parts.

``python benchmarks/load_demo.py [--duration 5] [--rounds 3] [--connections 16] [--smoke]`` starts,
on memory sessions and then on Redis sessions (a redis-server it starts itself), two apps of one
process each, on loopback ports of their own:

- anemo: the demo (``python -m anemo_demo``);
- stock: ``benchmarks/stock_app.py``, the same pages as a naive but competent Tornado app writes
  them: the demo's own template files rendered by ``tornado.template``, ``set_signed_cookie`` /
  ``get_signed_cookie`` for a session id, and the session as one JSON blob loaded and saved on
  every request (memory: a dict of id -> JSON text; Redis: ``GET`` + ``json.loads``, then
  ``json.dumps`` + ``SET EX``, redis.asyncio with the demo's client options).

and runs wrk (one thread, as the two cores here are shared with the app) against three pages of
each:

- ``/bare``: a plain ``RequestHandler`` writing a string, no session, no template: the floor;
- ``/``: the home page (layout, include, the Nav UI module, translations, static URLs, the
  session read for the header);
- ``/visits?format=json``: loads the session and writes one key on every request.

Before measuring, it checks that both apps serve a new visitor the same home page, byte for byte.
Each measured run gets a visitor of its own (a fresh session cookie, fetched just before, so no
run outlives the sessions' 60-second refresh interval and turns into refreshes). The runs are
interleaved, anemo's page then stock's, page after page, for several rounds, and each figure is
the median of its rounds, so drift on a shared machine hits both apps alike. It prints, per store
and page, both rates, the ratio anemo/stock, and each page's rate over its own app's bare page
(the cost of the page over the framework's floor), with p99 latency and errors (non-2xx
responses and socket errors; any error makes the exit status 1).

Access log: both apps (and so their bare pages) log only errors (4xx, 5xx) and slow requests, the
demo's default (``anemo_demo/accesslog.py``): Tornado's default INFO line for every request cost
35-40 us of CPU here, a fifth of a bare page, and the full access log belongs to the reverse proxy
in production.
``--access-log`` runs both with a line for every request instead.

``--check`` puts no load (and needs no wrk): it starts both apps on both stores and checks that
each serves every page above, and that their home pages are the same. The demo's tests run it,
so a change to the demo's templates cannot leave the peer broken.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from anemo_testing import RedisServer, free_port

HERE = Path(__file__).resolve().parent
PAGES = [
    ("bare Tornado", "/bare"),
    ("home (session read)", "/"),
    ("session write", "/visits?format=json"),
]
APPS = ("anemo", "stock")
SECRET = "load benchmark cookie secret, not a real one"


def start(app: str, port: int, data_dir: Path, store: str, access_log: bool) -> subprocess.Popen[bytes]:
    """The app serving on ``port``, once it answers."""
    if app == "anemo":
        command = [sys.executable, "-m", "anemo_demo", "--data-dir", str(data_dir)]
    else:
        command = [sys.executable, str(HERE / "stock_app.py")]
    command += ["--port", str(port), "--session-store", store, "--cookie-secret", SECRET]
    if access_log:
        command.append("--access-log")
    log = open(data_dir / f"{app}.log", "wb")  # noqa: SIM115 (the process keeps it)
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bare", timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{app} did not start: {(data_dir / f'{app}.log').read_text()}")


def fresh_cookie(base: str) -> str:
    """A new visitor's Cookie header: their first visit to the counter starts their session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(base + "/visits?format=json", timeout=5).read()
    cookies = [f"{c.name}={c.value}" for c in jar if c.name == "session"]
    if not cookies:
        raise SystemExit(f"{base} set no session cookie")
    return cookies[0]


def home_page(base: str) -> bytes:
    with urllib.request.urlopen(base + "/", timeout=5) as response:
        body: bytes = response.read()
        return body


def _seconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"wrk printed a latency of {text!r}")
    return float(match.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[match.group(2)]


def wrk(url: str, cookie: str, duration: int, connections: int) -> dict[str, float]:
    """One bounded wrk run: requests/s, p99 seconds, and errors."""
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-H", f"Cookie: {cookie}", url],
        capture_output=True, text=True, timeout=duration + 30, check=True,
    ).stdout  # fmt: skip
    rate, p99 = re.search(r"Requests/sec:\s+([\d.]+)", output), re.search(r"^\s*99%\s+(\S+)", output, re.M)
    if rate is None or p99 is None:
        raise SystemExit(f"wrk {url}: no rate or latency in its output:\n{output}")
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket:
        errors += sum(int(n) for n in socket.groups())
    return {"rate": float(rate.group(1)), "p99": _seconds(p99.group(1)), "errors": errors}


def measure(
    bases: dict[str, str], rounds: int, duration: int, connections: int
) -> dict[tuple[str, str], dict[str, float]]:
    """Median rate and p99, and summed errors, per (app, path), the runs interleaved."""
    runs: dict[tuple[str, str], list[dict[str, float]]] = {}
    for _ in range(rounds):
        for _name, path in PAGES:
            for app in APPS:
                cookie = fresh_cookie(bases[app])
                runs.setdefault((app, path), []).append(wrk(bases[app] + path, cookie, duration, connections))
    return {
        key: {
            "rate": statistics.median(r["rate"] for r in results),
            "p99": statistics.median(r["p99"] for r in results),
            "errors": sum(r["errors"] for r in results),
        }
        for key, results in runs.items()
    }


@contextlib.contextmanager
def _apps(scratch: Path, label: str, store: str, access_log: bool) -> Iterator[dict[str, str]]:
    """Both apps on ``store``, by their base URLs, stopped on the way out."""
    data_dir = scratch / f"apps-{label}"
    data_dir.mkdir()
    ports = {app: free_port() for app in APPS}
    processes = [start(app, ports[app], data_dir, store, access_log) for app in APPS]
    try:
        yield {app: f"http://127.0.0.1:{ports[app]}" for app in APPS}
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(10)


def serving(access_log: bool) -> Iterator[tuple[str, dict[str, str]]]:
    """Per session store (memory, then a Redis started here): its label and both apps' base URLs."""
    with tempfile.TemporaryDirectory(prefix="load-demo-") as scratch:
        redis = RedisServer(Path(scratch) / "redis")
        redis.start()
        try:
            for label, store in (("memory", "memory://"), ("redis", redis.url)):
                with _apps(Path(scratch), label, store, access_log) as bases:
                    yield label, bases
        finally:
            redis.stop()


def check(access_log: bool) -> int:
    """Both apps, on both stores, serve every measured page and the same home page: what the
    benchmark assumes, checked in seconds and without wrk (the demo's tests run this)."""
    problems = []
    for label, bases in serving(access_log):
        try:
            if home_page(bases["anemo"]) != home_page(bases["stock"]):
                problems.append(f"{label}: the home pages differ")
        except OSError as exc:
            problems.append(f"{label}: a home page failed: {exc}")
        for app, base in bases.items():
            cookie = fresh_cookie(base)
            for _name, path in PAGES:
                request = urllib.request.Request(base + path, headers={"Cookie": cookie})
                try:
                    with urllib.request.urlopen(request, timeout=5) as response:
                        response.read()
                except OSError as exc:
                    problems.append(f"{label}: {app} {path}: {exc}")
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s)" if problems else "both apps serve every page, on both stores")
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs per app and page; the median is shown (default 3)"
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--access-log", action="store_true", help="both apps log every request")
    parser.add_argument(
        "--smoke", action="store_true", help="one round of 1-second runs: check that it works"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="no load (no wrk): only check that both apps serve every page, and the same home page",
    )
    args = parser.parse_args()
    if args.check:
        return check(args.access_log)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    duration, rounds = (1, 1) if args.smoke else (args.duration, args.rounds)
    log = "every request logged" if args.access_log else "errors and slow requests logged"
    print(
        f"## anemo demo vs stock Tornado under load: wrk -t1 -c{args.connections} -d{duration}s, "
        f"median of {rounds} interleaved round(s), one process per app, {log}"
    )
    print()
    print("| sessions | page | anemo req/s | stock req/s | anemo/stock | anemo vs bare | stock vs bare "
          "| p99 anemo / stock | errors |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    total_errors = 0
    for label, bases in serving(args.access_log):
        if home_page(bases["anemo"]) != home_page(bases["stock"]):
            print(f"| {label} | the home pages differ: the comparison is off | | | | | | | 1 |")
            total_errors += 1
        measure(bases, 1, 1, args.connections)  # warm up: templates compiled, connections made
        results = measure(bases, rounds, duration, args.connections)
        for name, path in PAGES:
            ours, theirs = results[("anemo", path)], results[("stock", path)]
            bare_ours, bare_theirs = results[("anemo", "/bare")], results[("stock", "/bare")]
            errors = int(ours["errors"] + theirs["errors"])
            total_errors += errors
            print(
                f"| {label} | {name} | {ours['rate']:,.0f} | {theirs['rate']:,.0f} "
                f"| {ours['rate'] / theirs['rate']:.2f} | {ours['rate'] / bare_ours['rate']:.2f} "
                f"| {theirs['rate'] / bare_theirs['rate']:.2f} "
                f"| {ours['p99'] * 1000:.1f} / {theirs['p99'] * 1000:.1f} ms | {errors} |",
                flush=True,
            )
    print()
    print(f"errors in all runs: {total_errors}")
    return 1 if total_errors else 0


if __name__ == "__main__":
    sys.exit(main())
