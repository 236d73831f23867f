"""Interleaved, repeated timing of our code against the peers it replaces.

A benchmark module registers cases on a :class:`Suite`; each case has our callable and any number
of peer callables. All contenders of a case are timed in the same process, in rotating order within
every repetition, so drift on a shared, noisy machine hits all of them alike. Time is this
process's CPU time (``time.process_time``), so other processes competing for the cores do not
count against whoever was running at that moment. The report gives the median time per call and
the ratio peer/ours (above 1: ours is faster).
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = ["Case", "Measurement", "Suite", "Thunk", "machine_line", "render_markdown"]

Thunk = Callable[[], object]


@dataclass(frozen=True)
class Case:
    """One workload: our callable first, then the peers by name."""

    name: str
    ours: Thunk
    peers: Mapping[str, Thunk]
    note: str = ""

    def contenders(self) -> list[tuple[str, Thunk]]:
        return [("anemo", self.ours), *self.peers.items()]


@dataclass(frozen=True)
class Measurement:
    """The median time of one contender on one case, and how it compares with ours."""

    case: str
    contender: str
    seconds: float
    ratio: float
    note: str = ""


@dataclass
class Suite:
    """The cases of one benchmark module."""

    title: str
    cases: list[Case] = field(default_factory=list)

    def case(self, name: str, ours: Thunk, peers: Mapping[str, Thunk | None], note: str = "") -> None:
        """Register a case; a peer given as ``None`` (not installed here) is left out."""
        present = {peer: fn for peer, fn in peers.items() if fn is not None}
        self.cases.append(Case(name, ours, present, note))

    def run(self, repeat: int = 7, batch_seconds: float = 0.05) -> list[Measurement]:
        """Time every case and return one measurement per contender."""
        return [m for case in self.cases for m in measure(case, repeat, batch_seconds)]


def _calibrate(fn: Thunk, batch_seconds: float) -> int:
    """How many calls make one batch last at least ``batch_seconds``."""
    number = 1
    while True:
        start = time.process_time()
        for _ in range(number):
            fn()
        if time.process_time() - start >= batch_seconds or number >= 1 << 24:
            return number
        number *= 2


def _time_batch(fn: Thunk, number: int) -> float:
    start = time.process_time()
    for _ in range(number):
        fn()
    return (time.process_time() - start) / number


def measure(case: Case, repeat: int, batch_seconds: float) -> list[Measurement]:
    """Median seconds per call of each contender, timed interleaved over ``repeat`` rounds."""
    contenders = case.contenders()
    numbers = [_calibrate(fn, batch_seconds) for _, fn in contenders]
    samples: list[list[float]] = [[] for _ in contenders]
    for round_ in range(repeat):
        order = list(range(len(contenders)))
        shift = round_ % len(order)
        for index in order[shift:] + order[:shift]:
            samples[index].append(_time_batch(contenders[index][1], numbers[index]))
    medians = [statistics.median(times) for times in samples]
    ours = medians[0]
    return [
        Measurement(case.name, name, median, median / ours, case.note)
        for (name, _), median in zip(contenders, medians, strict=True)
    ]


def _format_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def machine_line() -> str:
    """Python version, implementation and machine, for the report header."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            models = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
        if models:
            cpu = models[0]
    except OSError:
        pass
    return (
        f"{platform.python_implementation()} {platform.python_version()} on {platform.system()} "
        f"{platform.machine()}, {cpu}, {os.cpu_count()} cores"
    )


def render_markdown(title: str, measurements: list[Measurement]) -> str:
    """A markdown table: case, contender, median per call, calls/s, peer/ours."""
    lines = [
        f"### {title}",
        "",
        "| case | contender | median per call | calls/s | peer/ours |",
        "|---|---|---:|---:|---:|",
    ]
    for m in measurements:
        ratio = "1 (ours)" if m.contender == "anemo" else f"{m.ratio:.2f}x"
        lines.append(
            f"| {m.case} | {m.contender} | {_format_time(m.seconds)} | {1 / m.seconds:,.0f} | {ratio} |"
        )
    notes = sorted({f"- {m.case}: {m.note}" for m in measurements if m.note})
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)
