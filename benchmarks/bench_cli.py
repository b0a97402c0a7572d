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
+ system, from ``wait4``) as median (min-max) over the rounds, and the per-round
ratios CLI/library (and baseline/library, CLI/baseline) as median (min-max).

``--baseline DIR``: the CLI of another source tree runs as a third side in the same
rounds. Every child runs from the temporary folder (never the current directory,
which ``-m`` and ``-c`` would put first on ``sys.path``) with ``PYTHONPATH`` set to
its own tree (this benchmark's tree for the library and the CLI, DIR for the
baseline); before the rounds each side's ``obs_workflow_async.__file__`` is checked
to lie in the tree it should (printed), so a baseline is never the current tree.

Resume memory: a synthetic complete results file of N items (every item
``started``) is resumed by ``start-many --resume`` (nothing left to send) in a fresh
process, ``--resume-rounds`` times (3); reported are its peak RSS (``ru_maxrss``),
wall and CPU as median (min-max) over those runs, with the file's size. Both the
current format and the older two-lines-per-item one are measured.

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

from harness import ServerProcess, spread

TREE = Path(__file__).resolve().parents[1]
"""The source tree this benchmark belongs to (the library and the CLI measured)."""

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


def _tree_env(env: dict[str, str], tree: Path) -> dict[str, str]:
    """``env`` with ``tree`` first on ``PYTHONPATH`` (children run from a temp dir)."""
    return {**env, "PYTHONPATH": str(tree)}


def imported_from(tree: Path, folder: Path) -> Path:
    """Where a child started as the sides are (``PYTHONPATH=tree``, from ``folder``)
    imports ``obs_workflow_async`` from; refuses one outside ``tree``."""
    found = subprocess.run(
        [sys.executable, "-c", "import obs_workflow_async as m; print(m.__file__)"],
        env=_tree_env(dict(os.environ), tree),
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    path = Path(found).resolve()
    if not path.is_relative_to(tree.resolve()):
        raise SystemExit(f"PYTHONPATH={tree} imports obs_workflow_async from {path}, not from it")
    return path


def _run(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> dict[str, float]:
    """Run ``argv`` (from ``cwd``, by default the temporary folder of its first file
    argument); its wall time, CPU (user + system) and peak RSS (MB)."""
    began = time.perf_counter()
    process = subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
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
    """The CLI of another source tree (``--baseline``)."""
    return _run_cli(manifest, _tree_env(env, Path(env["BENCH_BASELINE"])))


def run_cli(manifest: Path, env: dict[str, str]) -> dict[str, float]:
    """The CLI of this tree."""
    return _run_cli(manifest, _tree_env(env, TREE))


def _run_cli(manifest: Path, env: dict[str, str]) -> dict[str, float]:
    results = manifest.with_suffix(".results.jsonl")
    argv = [sys.executable, "-m", "obs_workflow_async", "start-many", GRAPH]
    argv += ["--manifest", str(manifest), "--results", str(results)]
    argv += ["--concurrency", str(CONCURRENCY), "--no-progress", "--overwrite"]
    measured = _run(argv, env, cwd=manifest.parent)
    measured["bytes_per_item"] = results.stat().st_size / _count_lines(manifest)
    with results.open("rb") as handle:
        measured["lines_per_item"] = sum(1 for _ in handle) / _count_lines(manifest)
    results.unlink()
    Path(f"{results}.ambiguous").unlink(missing_ok=True)
    return measured


def run_library(manifest: Path, env: dict[str, str]) -> dict[str, float]:
    argv = [sys.executable, "-c", LIBRARY_SCRIPT, str(manifest), GRAPH, str(CONCURRENCY)]
    return _run(argv, _tree_env(env, TREE), cwd=manifest.parent)


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def _spread(values: list[float], unit: str = "s") -> str:
    """``median (min-max)`` over the rounds."""
    return spread(values, ".2f", unit)


RUNNERS = {"library": run_library, "cli": run_cli, "baseline": run_baseline}


def speed(rows: int, rounds: int, folder: Path, baseline: str | None) -> None:
    print(f"start-many vs start_many: {rows:,} rows, {rounds} rounds, concurrency {CONCURRENCY}")
    print(f"library and cli: {imported_from(TREE, folder)}")
    if baseline:
        print(f"baseline: the CLI of {imported_from(Path(baseline), folder)}, same rounds")
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
    print("median (min-max) over the rounds:")
    for side in sides:
        cells = runs[side]
        print(f"{side:8} wall: {_spread([c['wall'] for c in cells])}")
        print(f"{side:8} cpu:  {_spread([c['cpu'] for c in cells])}")
    pairs = [(side, "library") for side in sides[1:]]
    if baseline:
        pairs.append(("cli", "baseline"))
    for side, base in pairs:
        for what in ("cpu", "wall"):
            per_round = [c[what] / b[what] for c, b in zip(runs[side], runs[base], strict=True)]
            print(f"{side}/{base} {what} per round: {_spread(per_round, 'x')}")
    for side in sides[1:]:
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


def resume_memory(sizes: list[int], folder: Path, formats: list[int], rounds: int) -> None:
    print(
        f"resume of a complete results file (nothing left to send), median (min-max) of "
        f"{rounds} runs; load average before: {_load()}"
    )
    server = ServerProcess()
    try:
        env = _env(server)
        for items in sizes:
            manifest = folder / f"resume-{items}.csv"
            with manifest.open("w") as out:
                out.writelines(f"media,bench/{i:09d}.mp4\n" for i in range(items))
            for old in (version == 1 for version in formats):
                results = folder / f"resume-{items}.results.jsonl"
                label = "format 1" if old else "format 2"
                runs = []
                for _ in range(rounds):
                    _results_file(results, items, old)
                    size = results.stat().st_size
                    argv = [sys.executable, "-m", "obs_workflow_async", "start-many", GRAPH]
                    argv += ["--manifest", str(manifest), "--resume", str(results)]
                    argv += ["--no-progress"]
                    runs.append(_run(argv, _tree_env(env, TREE), cwd=folder))
                    results.unlink()
                    Path(f"{results}.ambiguous").unlink(missing_ok=True)
                print(
                    f"  {items:>9,} items ({label}, {size / items:.0f} B per item): peak RSS "
                    f"{spread([r['rss_mb'] for r in runs], '.0f', ' MB')}, "
                    f"wall {_spread([r['wall'] for r in runs])}, "
                    f"cpu {_spread([r['cpu'] for r in runs])}",
                    flush=True,
                )
            manifest.unlink()
    finally:
        server.stop()
    print(f"load average after: {_load()}")


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
    parser.add_argument("--resume-rounds", type=int, default=3, help="runs of each resume measured")
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
            resume_memory(sizes, Path(folder), formats, args.resume_rounds)


if __name__ == "__main__":
    main()
