#!/usr/bin/env python3
"""The CLI against the library: ``obs-workflow start-many`` vs a script calling
``client.start_many`` over the same manifest, and the memory a resume takes.

    .venv/bin/python benchmarks/bench_cli.py                       # 100k rows, 5 rounds
    .venv/bin/python benchmarks/bench_cli.py --rows 50000 --rounds 7
    .venv/bin/python benchmarks/bench_cli.py --baseline ../main-worktree  # before/after
    .venv/bin/python benchmarks/bench_cli.py --resume-sizes 100000,1000000 --rounds 0

Speed: each round starts a fresh fake server (its own process), writes one manifest
per side (distinct object keys), then runs the two sides one after the other, in
alternating order (interleaved, so that drift in the machine's load hits both
alike). Each side is a fresh process: the CLI (``python -m obs_workflow_async.cli
start-many``, writing its results file) and a script that reads the same CSV with
the ``csv`` module and hands ``StartRequest`` objects to ``start_many`` at the same
concurrency, counting outcomes. Reported per side: wall time and process CPU (user
+ system, from ``wait4``), min/median/max over the rounds, and the CLI/library
ratio of the medians and per round.

Resume memory: a synthetic complete results file of N items (every item
``started``) is resumed by ``start-many --resume`` (nothing left to send) in a fresh
process; reported is its peak RSS (``ru_maxrss``), with the file's size. Both
the current format and the older two-lines-per-item one are measured.

The load average is printed before and after: on a shared machine, compare ratios,
not absolute times.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import ServerProcess

GRAPH = "bench"
CONCURRENCY = 64

LIBRARY_SCRIPT = """
import asyncio, csv, sys
from obs_workflow_async import AsyncWorkflowClient, StartRequest

async def main(path, graph, concurrency):
    counts = {"ok": 0, "failed": 0}
    async with AsyncWorkflowClient(max_connections=concurrency) as client:
        with open(path, newline="") as handle:
            rows = csv.reader(handle)
            items = (
                StartRequest(graph_name=graph, bucket=row[0], object_key=row[1])
                for row in rows
            )
            async with client.start_many(items, concurrency=concurrency) as run:
                async for outcome in run:
                    counts["ok" if outcome.ok else "failed"] += 1
    print(counts)

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def _run(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run ``argv``; its wall time, CPU (user + system) and peak RSS (MB)."""
    began = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    out = process.stdout.read() if process.stdout else b""
    err = process.stderr.read() if process.stderr else b""
    if process.stdout:
        process.stdout.close()
    if process.stderr:
        process.stderr.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{argv[:4]} failed ({process.returncode}): {err.decode()[-2000:]}")
    del out
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
    }


def _env(server: ServerProcess) -> dict[str, str]:
    return {
        **os.environ,
        "OBS_SERVER": server.url,
        "OBS_ACCESS_KEY_ID": server.ak,
        "OBS_SECRET_ACCESS_KEY": server.sk,
    }


def _manifest(path: Path, rows: int, prefix: str) -> None:
    with path.open("w") as out:
        out.writelines(f"media,{prefix}/{i:09d}.mp4\n" for i in range(rows))


def run_baseline(manifest: Path, env: dict[str, str]) -> dict[str, float]:
    """The CLI of another source tree (``--baseline``: ``PYTHONPATH`` goes first)."""
    return run_cli(manifest, {**env, "PYTHONPATH": env["BENCH_BASELINE"]})


def run_cli(manifest: Path, env: dict[str, str]) -> dict[str, float]:
    results = manifest.with_suffix(".results.jsonl")
    argv = [sys.executable, "-m", "obs_workflow_async", "start-many", GRAPH]
    argv += ["--manifest", str(manifest), "--results", str(results)]
    argv += ["--concurrency", str(CONCURRENCY), "--no-progress", "--overwrite"]
    measured = _run(argv, env)
    measured["bytes_per_item"] = results.stat().st_size / _count_lines(manifest)
    with results.open("rb") as handle:
        measured["lines_per_item"] = sum(1 for _ in handle) / _count_lines(manifest)
    results.unlink()
    Path(f"{results}.ambiguous").unlink(missing_ok=True)
    return measured


def run_library(manifest: Path, env: dict[str, str]) -> dict[str, float]:
    argv = [sys.executable, "-c", LIBRARY_SCRIPT, str(manifest), GRAPH, str(CONCURRENCY)]
    return _run(argv, env)


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def _spread(values: list[float], unit: str = "s") -> str:
    return (
        f"min {min(values):.2f}{unit}  median {statistics.median(values):.2f}{unit}  "
        f"max {max(values):.2f}{unit}"
    )


RUNNERS = {"library": run_library, "cli": run_cli, "baseline": run_baseline}


def speed(rows: int, rounds: int, folder: Path, baseline: str | None) -> None:
    print(f"start-many vs start_many: {rows:,} rows, {rounds} rounds, concurrency {CONCURRENCY}")
    if baseline:
        print(f"baseline: the CLI of {baseline}, interleaved in the same rounds")
    print(f"load average before: {_load()}")
    sides = ["library", "cli"] + (["baseline"] if baseline else [])
    runs: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    for round_number in range(rounds):
        server = ServerProcess()
        try:
            env = {**_env(server), "BENCH_BASELINE": baseline or ""}
            shift = round_number % len(sides)  # each side runs first in turn
            for side in sides[shift:] + sides[:shift]:
                manifest = folder / f"{side}-{round_number}.csv"
                _manifest(manifest, rows, f"r{round_number}-{side}")
                runs[side].append(RUNNERS[side](manifest, env))
                manifest.unlink()
        finally:
            server.stop()
        lib = runs["library"][-1]
        cells = " | ".join(
            f"{side} {runs[side][-1]['wall']:.2f}s wall {runs[side][-1]['cpu']:.2f}s cpu "
            f"(x{runs[side][-1]['cpu'] / lib['cpu']:.2f} cpu)"
            for side in sides
        )
        print(f"  round {round_number + 1}: {cells} | load {_load()}", flush=True)
    for side in sides:
        cells = runs[side]
        print(f"{side:8} wall: {_spread([c['wall'] for c in cells])}")
        print(f"{side:8} cpu:  {_spread([c['cpu'] for c in cells])}")
    for side in sides[1:]:
        for what in ("wall", "cpu"):
            pairs = zip(runs[side], runs["library"], strict=True)
            ratios = [c[what] / lib[what] for c, lib in pairs]
            medians = statistics.median(c[what] for c in runs[side]) / statistics.median(
                lib[what] for lib in runs["library"]
            )
            print(
                f"{side}/library {what}: {medians:.2f}x (ratio of medians); per round "
                f"{_spread(ratios, 'x')}"
            )
        cells = runs[side]
        print(
            f"{side} results file: "
            f"{statistics.median(c['bytes_per_item'] for c in cells):.0f} B and "
            f"{statistics.median(c['lines_per_item'] for c in cells):.2f} lines per item"
        )
    print(f"load average after: {_load()}")


def _results_file(path: Path, items: int, old: bool) -> None:
    """A complete results file: every item started. ``old``: format 1 (a ``sending``
    line and an outcome line per item, as files before format lines); else format 2
    (a format line, a ``sending`` line per 64 items, an outcome line per item)."""
    at = "2026-01-01T00:00:00.100000+00:00"
    urn = f"urn:fgs:cn-north-4:0123456789abcdef0123456789abcdef:execution:{GRAPH}"
    with path.open("w") as out:
        if not old:
            out.write(
                f'{{"format":"obs-workflow-results","version":2,"graph":"{GRAPH}","at":"{at}"}}\n'
            )
        for first in range(0, items, 64):
            batch = range(first, min(first + 64, items))
            if not old:
                named = ",".join(f'[{i},"media","bench/{i:09d}.mp4"]' for i in batch)
                out.write(f'{{"status":"sending","sent_at":"{at}","items":[{named}]}}\n')
            for i in batch:
                name = f"{i:024x}00000001"
                listed = f'"index":{i},"bucket":"media","object":"bench/{i:09d}.mp4"'
                if old:
                    out.write(
                        f'{{{listed},"status":"sending","graph":"{GRAPH}","sent_at":"{at}"}}\n'
                    )
                out.write(
                    f'{{{listed},"status":"started","execution_name":"{name}",'
                    f'"execution_urn":"{urn}:{name}:fedcba9876543210fedcba9876543210",'
                    f'"request_id":"{i:032x}","attempts":1,"at":"{at}","offset":0.0'
                    + (f',"graph":"{GRAPH}"' if old else "")
                    + "}\n"
                )


def resume_memory(sizes: list[int], folder: Path, formats: list[int]) -> None:
    print(f"resume of a complete results file (nothing left to send); load {_load()}")
    server = ServerProcess()
    try:
        env = _env(server)
        for items in sizes:
            manifest = folder / f"resume-{items}.csv"
            with manifest.open("w") as out:
                out.writelines(f"media,bench/{i:09d}.mp4\n" for i in range(items))
            for old in (version == 1 for version in formats):
                results = folder / f"resume-{items}.results.jsonl"
                _results_file(results, items, old)
                size = results.stat().st_size
                argv = [sys.executable, "-m", "obs_workflow_async", "start-many", GRAPH]
                argv += ["--manifest", str(manifest), "--resume", str(results), "--no-progress"]
                measured = _run(argv, env)
                label = "format 1" if old else "format 2"
                print(
                    f"  {items:>9,} items ({label}, {size / items:.0f} B per item): peak RSS "
                    f"{measured['rss_mb']:.0f} MB, wall {measured['wall']:.2f}s, "
                    f"cpu {measured['cpu']:.2f}s",
                    flush=True,
                )
                results.unlink()
                Path(f"{results}.ambiguous").unlink(missing_ok=True)
            manifest.unlink()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="manifest rows per run")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (0: none)")
    parser.add_argument(
        "--resume-sizes",
        default="100000",
        help="results-file sizes whose resume memory is measured ('' for none; "
        "add 1000000 for the million)",
    )
    parser.add_argument(
        "--baseline",
        metavar="SOURCE_TREE",
        help="also run the CLI of this source tree (e.g. a worktree of main), interleaved",
    )
    parser.add_argument(
        "--formats",
        default="2,1",
        help="results file formats whose resume is measured (1: before format lines; "
        "a version without format 2 reads only 1)",
    )
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as folder:
        if args.rounds > 0:
            speed(args.rows, args.rounds, Path(folder), args.baseline)
        sizes = [int(s) for s in args.resume_sizes.split(",") if s.strip()]
        if sizes:
            formats = [int(f) for f in args.formats.split(",") if f.strip()]
            resume_memory(sizes, Path(folder), formats)


if __name__ == "__main__":
    main()
