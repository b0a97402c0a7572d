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
import json
import os
import sys
import tempfile
from pathlib import Path

from harness import callgrind_phases

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


def report(phases: list[int], small: int, large: int) -> dict[str, float]:
    """Per-execution instructions of each side from the phases' totals (small, large
    for each side in turn)."""
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
        own = [a for a in sys.argv[1:] if a != "--run"]
        phases = callgrind_phases(__file__, [*own, "--meta", meta], prefix)
        wrong = json.loads(Path(meta).read_text())
        figures = report(phases, args.small, args.large)
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
