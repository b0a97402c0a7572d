#!/usr/bin/env python3
"""Instructions per listed execution of a settle (callgrind): this client against the
hand-written sweep of ``bench_settle_cpu.py`` (the same requests).

    .venv/bin/python benchmarks/cg_settle.py --run --api v2 --case history
    .venv/bin/python benchmarks/cg_settle.py --run --api v2 --case inside --small 1000 --large 2000
    cd /tmp && PYTHONPATH=/other/tree /path/.venv/bin/python /path/benchmarks/cg_settle.py --run
        --lib /other/tree                                   # another tree, the same script

Instruction counts do not move with the machine's load. Two fakes (each in its own
process, not traced) hold the same 1,000 items (half started) among ``--small`` and
``--large`` executions (``bench_settle_cpu.py``'s cases). After one warm-up settle of
each client, the heap is collected and frozen and the collector turned off; then
each client settles against the small fake, then the large one, ``os.getppid()``
between the phases making callgrind dump its counters (``--dump-before=getppid``).
The figure is ``(I(large) - I(small)) / (large - small)``: what one more listed
execution costs (history: one more execution outside every window, read from the
listing; inside: one more in a window, its details fetched and read), without what
both phases share.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIDES = ("ours", "hand")


def measure(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(HERE))
    import bench_settle_cpu as bench

    hand = bench.hand_v2 if args.api == "v2" else bench.hand_v3
    runners = {
        "ours": lambda target, items: bench.run_library(args.api, target, items),
        "hand": hand,
    }
    warm = bench.Server(args.api, "history", 400, 20, args.lib)
    servers = {
        size: bench.Server(args.api, args.case, size, args.items, args.lib)
        for size in (args.small, args.large)
    }
    try:
        for run in runners.values():
            asyncio.run(run(warm.target, bench._items(warm.target)))
        items = {size: bench._items(server.target) for size, server in servers.items()}
        gc.collect()
        gc.freeze()
        gc.disable()
        wrong = {}
        for side in SIDES:
            for size, server in servers.items():
                os.getppid()  # callgrind: dump (--dump-before=getppid)
                wrong[f"{side}.{size}"] = asyncio.run(runners[side](server.target, items[size]))
                os.getppid()
                server.calls()
    finally:
        warm.stop()
        for server in servers.values():
            server.stop()
    if args.meta:
        Path(args.meta).write_text(json.dumps(wrong))


def report(prefix: str, small: int, large: int) -> dict[str, float]:
    totals: list[int] = []
    for path in sorted(glob.glob(prefix + ".*"), key=lambda p: int(p.rsplit(".", 1)[1])):
        text = Path(path).read_text()
        found = re.search(r"^summary:\s+(\d+)", text, re.M) or re.search(
            r"^totals:\s+(\d+)", text, re.M
        )
        totals.append(int(found.group(1)) if found else 0)
    phases = totals[1::2]  # dump 1: everything before; then (phase, between) pairs
    return {
        side: (phases[2 * i + 1] - phases[2 * i]) / (large - small) for i, side in enumerate(SIDES)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", choices=("v2", "v3"), default="v2")
    parser.add_argument("--case", choices=("history", "inside"), default="history")
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=20_000)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--lib", help="the checkout whose obs_workflow_async to measure")
    parser.add_argument("--meta", help=argparse.SUPPRESS)
    parser.add_argument("--run", action="store_true", help="run under callgrind and report")
    args = parser.parse_args()
    if args.lib:
        sys.path.insert(0, str(Path(args.lib).resolve()))
    if not args.run:
        measure(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "cg")
        meta = os.path.join(tmp, "meta.json")
        command = [
            "valgrind",
            "--tool=callgrind",
            "--dump-before=getppid",
            "--dump-instr=no",
            f"--callgrind-out-file={prefix}",
            sys.executable,
            os.path.abspath(__file__),
            *(a for a in sys.argv[1:] if a != "--run"),
            "--meta",
            meta,
        ]
        subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
        wrong = json.loads(Path(meta).read_text())
        figures = report(prefix, args.small, args.large)
    import obs_workflow_async

    tree = Path(obs_workflow_async.__file__).resolve().parents[1]
    print(
        f"{args.api} {args.case} {args.small:,}->{args.large:,} executions: per execution"
        f" ours {figures['ours'] / 1e6:.3f}M  hand {figures['hand'] / 1e6:.3f}M"
        f"  ratio {figures['ours'] / figures['hand']:.3f}"
        f"  wrong {max(wrong.values())}  tree {tree}"
    )


if __name__ == "__main__":
    main()
