"""Shared benchmark plumbing: the fake server in its own process, one fresh process
per measured configuration, a table printer, and the honest-measurement pieces: the
machine's load and a ``median (min-max)`` formatter for figures measured over rounds."""

from __future__ import annotations

import glob
import json
import os
import re
import statistics
import subprocess
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def load_text() -> str:
    """The machine's 1, 5 and 15-minute load averages, e.g. ``"0.52 0.61 0.70"``."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def machine_text() -> str:
    """CPU count and Python version, e.g. ``"2 CPUs; Python 3.12.3"``."""
    return f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}"


def spread(values: Iterable[float], fmt: str = ",.1f", unit: str = "") -> str:
    """``"median (min-max)"`` of figures measured over rounds, e.g. ``"1.30x (1.07-1.61x)"``
    with ``fmt=".2f", unit="x"``: the median with its spread, never the best round."""
    figures = list(values)
    if not figures:
        return "-"
    low, middle, high = min(figures), statistics.median(figures), max(figures)
    dash = "-" if low >= 0 else " to "
    return f"{middle:{fmt}}{unit} ({low:{fmt}}{dash}{high:{fmt}}{unit})"


def ratios(values: Sequence[float], bases: Sequence[float]) -> list[float]:
    """Per-round ratios of two configurations measured in the same rounds."""
    return [value / base for value, base in zip(values, bases, strict=True)]


def round_order(items: Sequence[T], round_number: int) -> list[T]:
    """The configurations in the order of this round: forward in even rounds, reversed
    in odd ones, so that neither side always runs right after the other."""
    return list(items) if round_number % 2 == 0 else list(items)[::-1]


class Conditions:
    """The conditions of one run: the load average when it is created and when
    :meth:`end` is called, the CPU count and the Python version."""

    def __init__(self) -> None:
        self.load_start = load_text()
        self.load_end: str | None = None

    def end(self) -> None:
        self.load_end = load_text()

    def text(self) -> str:
        end = self.load_end if self.load_end is not None else load_text()
        return (
            f"load average (1/5/15 min) {self.load_start} at start, {end} at end; {machine_text()}"
        )


class ServerProcess:
    """``python -m obs_workflow_async.testing`` with optional fault injection."""

    def __init__(self, *extra: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "obs_workflow_async.testing", "--stop-on-stdin-eof", *extra],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url, self.ak, self.sk = self.process.stdout.readline().split()

    def stop(self) -> dict[str, Any]:
        """Stop the server; return its summary (executions, duplicated objects, calls)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        out = self.process.stdout.read()
        self.process.wait(timeout=30)
        lines = out.strip().splitlines()
        return json.loads(lines[-1]) if lines else {}


def callgrind_phases(script: str, args: Sequence[str], prefix: str) -> list[int]:
    """Run ``script args`` under callgrind, a dump at every ``os.getppid()`` it calls
    (``--dump-before=getppid``) into ``prefix.N``; the instructions of each phase
    between two such calls. The script marks a phase by calling ``os.getppid()``
    before and after it: dump 1 is everything before the first phase, then come
    (phase, between) pairs, so the result is every other dump from the second."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--dump-before=getppid",
        "--dump-instr=no",
        f"--callgrind-out-file={prefix}",
        sys.executable,
        os.path.abspath(script),
        *args,
    ]
    subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
    totals: list[int] = []
    for path in sorted(glob.glob(prefix + ".*"), key=lambda p: int(p.rsplit(".", 1)[1])):
        with open(path) as f:
            text = f.read()
        found = re.search(r"^summary:\s+(\d+)", text, re.M) or re.search(
            r"^totals:\s+(\d+)", text, re.M
        )
        totals.append(int(found.group(1)) if found else 0)
    return totals[1::2]


def run_worker(script: str, args: Sequence[str]) -> dict[str, Any]:
    """Run ``script --worker ...`` in a fresh interpreter; it prints one JSON line."""
    done = subprocess.run(
        [sys.executable, script, *args], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def print_table(columns: Sequence[tuple[str, str, int]], rows: Sequence[dict[str, Any]]) -> None:
    """``columns``: (key, title, width); values formatted with thousands separators."""
    header = "".join(
        (f"{title:>{width}}" if len(title) < width else f" {title}") if i else f"{title:<{width}}"
        for i, (_, title, width) in enumerate(columns)
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        cells = []
        for i, (key, _, width) in enumerate(columns):
            value = row.get(key, "-")
            text = (
                f"{value:,.1f}"
                if isinstance(value, float)
                else (f"{value:,}" if isinstance(value, int) else str(value))
            )
            if i and len(text) >= width:  # never glue an overflowing cell to its neighbour
                text = " " + text
            cells.append(f"{text:>{width}}" if i else f"{text:<{width}}")
        print("".join(cells))
