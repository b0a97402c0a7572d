#!/usr/bin/env python3
"""Client CPU per start: this client against the hand-written aiohttp baseline, in ONE process.

    .venv/bin/python benchmarks/bench_cpu.py               # 5 rounds of 3,000 starts
    .venv/bin/python benchmarks/bench_cpu.py --rounds 7 --count 5000

Why one process: the CPU ratio of separate processes drifts with whatever else the
machine is doing, and a process that has imported pydantic pays more for each full
garbage collection than one that has not. Here the fake server runs in its own
process (``python -m obs_workflow_async.testing``, which checks every signature)
and the clients below run in this process, interleaved (A, B, C, A, B, C, ...),
so drift and the garbage collector's costs hit them alike:

- ``baseline``: the hand-written client of ``bench_start.py`` (signs inline; no
  validation, retries or typed results), ``asyncio.gather`` + semaphore 64.
- ``baseline+options``: the same with the request options this client gives aiohttp
  (per-request ``ClientTimeout``, ``allow_redirects=False``, ``ssl=False``, ``proxy=None``,
  a session ``User-Agent``, ``limit_per_host``): what aiohttp charges for them.
- ``obs-workflow-async``: ``AsyncWorkflowClient.start_workflow`` (``max_connections=64``)
  + semaphore 64, as in ``bench_start.py``.

Each configuration is warmed up first (300 starts); each round then runs every
configuration once (3,000 starts, 64 in flight). The figure is process CPU time
(``resource.getrusage``: user + system) per start; the ratio is the median over the
rounds of each round's ratio to that round's baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from bench_start import CONCURRENCY, run_baseline, run_ours
from harness import ServerProcess, print_table

import obs_workflow_async  # noqa: F401 - every configuration runs with pydantic loaded

Runner = Callable[[str, str, str, int], Coroutine[Any, Any, int]]


async def run_baseline_with_options(url: str, ak: str, sk: str, count: int) -> int:
    return await run_baseline(url, ak, sk, count, client_options=True)


CONFIGS: dict[str, Runner] = {
    "baseline": run_baseline,
    "baseline+options": run_baseline_with_options,
    "obs-workflow-async": run_ours,
}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(runner: Runner, server: ServerProcess, count: int) -> tuple[float, int]:
    """CPU microseconds per start, and how many starts the server accepted."""
    began = cpu_seconds()
    ok = asyncio.run(runner(server.url, server.ak, server.sk, count))
    return (cpu_seconds() - began) / count * 1e6, ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000, help="starts per configuration")
    parser.add_argument("--warmup", type=int, default=300, help="starts before measuring")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    server = ServerProcess()
    cpu: dict[str, list[float]] = {name: [] for name in CONFIGS}
    ok: dict[str, int] = dict.fromkeys(CONFIGS, args.count)
    try:
        for runner in CONFIGS.values():
            measure(runner, server, args.warmup)
        for _ in range(args.rounds):
            for name, runner in CONFIGS.items():
                per_start, accepted = measure(runner, server, args.count)
                cpu[name].append(per_start)
                ok[name] = min(ok[name], accepted)
    finally:
        server.stop()

    base = cpu["baseline"]
    print(
        f"\n{args.count} starts per round, {args.rounds} rounds interleaved in one process, "
        f"concurrency {CONCURRENCY}; fake server in its own process; {os.cpu_count()} CPUs; "
        f"Python {sys.version.split()[0]}\n"
    )
    rows = []
    for name, values in cpu.items():
        ratios = [value / b for value, b in zip(values, base, strict=True)]
        rows.append(
            {
                "client": name,
                "cpu": statistics.median(values),
                "range": f"{min(values):.1f}-{max(values):.1f}",
                "ratio": f"{statistics.median(ratios):.2f}x",
                "ratios": f"{min(ratios):.2f}-{max(ratios):.2f}x",
                "ok": ok[name],
            }
        )
    print_table(
        [
            ("client", "client", 20),
            ("cpu", "CPU us/start", 14),
            ("range", "range", 13),
            ("ratio", "vs baseline", 13),
            ("ratios", "ratio range", 13),
            ("ok", "ok", 8),
        ],
        rows,
    )


if __name__ == "__main__":
    main()
