"""Run the benchmarks: ``python benchmarks/run.py [NAME ...] [--repeat N] [--smoke]``.

Every ``bench_NAME.py`` beside this file defines ``suite() -> Suite``. NAME selects modules
(``hashring`` runs ``bench_hashring.py``); with none given, all run. ``--smoke`` runs each
contender briefly once, to prove the benchmarks still work, and reports no figures worth quoting.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import machine_line, render_markdown  # noqa: E402


def available() -> list[str]:
    """Names of the benchmark modules beside this file."""
    return sorted(path.stem.removeprefix("bench_") for path in HERE.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", help=f"modules to run (default all: {', '.join(available())})")
    parser.add_argument("--repeat", type=int, default=7, help="interleaved rounds per case (median taken)")
    parser.add_argument("--batch", type=float, default=0.05, help="seconds per timed batch")
    parser.add_argument("--smoke", action="store_true", help="one short round: check that they run")
    args = parser.parse_args(argv)

    names = args.names or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        parser.error(f"no benchmark named {', '.join(unknown)}; have: {', '.join(available())}")
    repeat, batch = (1, 0.001) if args.smoke else (args.repeat, args.batch)

    print(f"## anemo benchmarks, {datetime.date.today().isoformat()}")
    print()
    print(
        f"{machine_line()}; CPU time per call, median of {repeat} interleaved rounds; "
        "peer/ours > 1 means anemo is faster."
    )
    for name in names:
        suite = importlib.import_module(f"bench_{name}").suite()
        print()
        print(render_markdown(suite.title, suite.run(repeat, batch)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
