#!/usr/bin/env python3
"""Start-up cost: importing the package and running ``obs-workflow --version``/``--help``.

    .venv/bin/python benchmarks/bench_import.py                  # 21 rounds
    .venv/bin/python benchmarks/bench_import.py --rounds 41
    .venv/bin/python benchmarks/bench_import.py --src ../other-checkout   # another tree

Every figure comes from a fresh interpreter. The cases run interleaved (round 1:
bare, deps, package, ..., round 2: the same, ...), so whatever else the machine is
doing hits them alike; each round's cost of a case is its time minus that round's
bare interpreter (``python -c pass``), and the tables give the median, min and max of
those costs over the rounds, as wall time and as the child's CPU time (user + system,
which the machine's load disturbs less). The ratios are medians of the per-round
ratios:

- ``package / deps``: importing ``obs_workflow_async`` against importing its
  dependencies (``import aiohttp, pydantic``); the target is at most 1.15;
- ``client / deps``: the same for ``from obs_workflow_async import AsyncWorkflowClient``
  (what a program that uses the client pays);
- ``dwr client / deps``: the same for ``from obs_workflow_async.dwr import AsyncDwrClient``
  (v3);
- ``--version`` and ``--help``: the console script's cost over a bare interpreter;
  the target is at most 150 ms.

``--src DIR`` puts DIR first on the children's ``PYTHONPATH`` (a checkout of another
commit, for a before/after comparison with the same interpreter and dependencies);
the console script is then run as ``python -c`` of its own entry point, so it too
imports from DIR. Bytecode is written (``PYTHONDONTWRITEBYTECODE`` is dropped for the
children) and the warm-up rounds are not counted, so no measured round compiles
sources, as with an installed package. The load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from harness import print_table

ENTRY = "import sys; from obs_workflow_async.cli import main; sys.argv[0] = 'obs-workflow'; "


def cases(python: str, script: str | None) -> dict[str, list[str]]:
    """The command lines measured, by name (``bare`` first: the others are costs over it)."""

    def cli(flag: str) -> list[str]:
        if script is not None:
            return [script, flag]
        return [python, "-c", ENTRY + f"sys.exit(main([{flag!r}]))"]

    return {
        "bare": [python, "-c", "pass"],
        "deps": [python, "-c", "import aiohttp, pydantic"],
        "package": [python, "-c", "import obs_workflow_async"],
        "client": [python, "-c", "from obs_workflow_async import AsyncWorkflowClient"],
        "dwr client": [python, "-c", "from obs_workflow_async.dwr import AsyncDwrClient"],
        "--version": cli("--version"),
        "--help": cli("--help"),
    }


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(argv: Sequence[str], env: dict[str, str], cwd: str) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh process running ``argv``."""
    cpu_before = children_cpu()
    began = time.perf_counter()
    subprocess.run(
        argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
    )
    wall = time.perf_counter() - began
    return wall, children_cpu() - cpu_before


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def summary(values: Sequence[float], scale: float = 1000.0) -> dict[str, float]:
    return {
        "median": statistics.median(values) * scale,
        "min": min(values) * scale,
        "max": max(values) * scale,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--warmup", type=int, default=2, help="rounds not counted (caches)")
    parser.add_argument("--src", type=Path, help="import obs_workflow_async from this tree")
    args = parser.parse_args()

    env = dict(os.environ)
    # As installed (pip and uv write .pyc files): the warm-up rounds write any missing
    # bytecode, so no round pays for compiling the sources.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    script = shutil.which("obs-workflow", path=str(Path(sys.executable).parent))
    if args.src is not None:
        src = str(args.src.resolve())
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
        script = None  # the installed script would import the installed tree
    commands = cases(sys.executable, script)
    # Children run in an empty directory: `python -c` puts its working directory first
    # on sys.path, which would shadow --src (or the installed tree) with a checkout.
    cwd = tempfile.mkdtemp(prefix="bench-import-")
    import_from = subprocess.run(
        [sys.executable, "-c", "import obs_workflow_async as m; print(m.__file__)"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    print(f"python {sys.version.split()[0]}; obs_workflow_async from {import_from}")
    print(f"load average before: {load()}  ({os.cpu_count()} cores)")
    wall: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for round_number in range(args.warmup + args.rounds):
        measured = {name: run_once(argv, env, cwd) for name, argv in commands.items()}
        if round_number < args.warmup:
            continue
        for name, (w, c) in measured.items():
            wall[name].append(w)
            cpu[name].append(c)
    print(f"load average after:  {load()}")
    os.rmdir(cwd)
    print(f"{args.rounds} rounds; costs are over a bare interpreter in the same round (ms)")
    print()

    columns = [("median", "median", 10), ("min", "min", 10), ("max", "max", 10)]
    for title, figures in (("wall", wall), ("cpu", cpu)):
        rows = [{"case": f"bare interpreter ({title})", **summary(figures["bare"])}]
        for name in list(commands)[1:]:
            costs = [t - b for t, b in zip(figures[name], figures["bare"], strict=True)]
            rows.append({"case": f"{name} ({title})", **summary(costs)})
        print_table([("case", "case", 24), *columns], rows)
        print()

    ratio_rows = []
    for title, figures in (("wall", wall), ("cpu", cpu)):
        bare = figures["bare"]
        deps = [d - b for d, b in zip(figures["deps"], bare, strict=True)]
        for name in ("package", "client", "dwr client"):
            ratios = [
                (t - b) / d if d > 0 else float("nan")
                for t, b, d in zip(figures[name], bare, deps, strict=True)
            ]
            ratio_rows.append({"ratio": f"{name} / deps ({title})", **summary(ratios, scale=1.0)})
    print_table(
        [("ratio", "ratio", 24), *columns],
        [
            {k: (f"{v:.2f}" if isinstance(v, float) else v) for k, v in row.items()}
            for row in ratio_rows
        ],
    )


if __name__ == "__main__":
    main()
