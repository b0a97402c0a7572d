#!/usr/bin/env python3
"""Project tasks that need nothing but python3 (>= 3.10).

    python3 dev.py demo    # set up .venv, run the demo against the embedded fake server
    python3 dev.py test    # set up .venv with the test tools, run the whole test suite
    python3 dev.py lint    # mypy --strict (package, examples, typing checks), pyright --strict,
                           # ruff check, ruff format --check
    python3 dev.py docs    # mkdocs build --strict into site/
    python3 dev.py package # build sdist and wheel; install the wheel in a clean venv; smoke test
    python3 dev.py bench   # benchmarks/bench_start.py (prints the comparison table)

Each command creates ``.venv`` on first use and reinstalls only when
``pyproject.toml`` changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"


def run(*cmd: str | os.PathLike[str]) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], cwd=ROOT, check=True)


def ensure_venv(extra: str) -> None:
    """Create .venv and install the project with ``extra`` when needed."""
    if sys.version_info < (3, 10):  # noqa: UP036 - dev.py may run on an older python3
        sys.exit("python >= 3.10 is required")
    if not PY.exists():
        run(sys.executable, "-m", "venv", VENV)
        run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".installed-{extra or 'runtime'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    target = f".[{extra}]" if extra else "."
    run(PY, "-m", "pip", "install", "--quiet", "-e", target)
    stamp.write_text(digest)


def package_smoke_test() -> None:
    """Build the sdist and the wheel, install the wheel alone into a clean venv, use it."""
    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    run(PY, "-m", "build", "--outdir", dist)
    wheels = sorted(dist.glob("*.whl"))
    if len(wheels) != 1 or not list(dist.glob("*.tar.gz")):
        sys.exit("expected one wheel and one sdist")
    with tempfile.TemporaryDirectory() as scratch:
        venv = Path(scratch) / "venv"
        run(sys.executable, "-m", "venv", venv)
        bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
        run(bin_dir / "python", "-m", "pip", "install", "--quiet", wheels[0])
        run(bin_dir / "python", "-c",
            "import obs_workflow_async as o, importlib.resources as r; "
            "assert r.files('obs_workflow_async').joinpath('py.typed').is_file(); "
            "print('installed', o.__version__)")  # fmt: skip
        run(bin_dir / "obs-workflow", "demo", "--count", "50")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "lint", "docs", "package", "bench"}:
        print(__doc__)
        return 2
    task, rest = argv[0], argv[1:]
    try:
        if task == "demo":
            ensure_venv("")
            run(PY, "-m", "obs_workflow_async", "demo", *rest)
        elif task == "test":
            ensure_venv("dev")
            run(PY, "-m", "pytest", *rest)
        elif task == "lint":
            ensure_venv("dev")
            run(PY, "-m", "mypy", "--strict", "obs_workflow_async")
            run(PY, "-m", "mypy", "--strict", "examples", "tests/typing")
            run(BIN / "pyright")
            run(PY, "-m", "ruff", "check", ".")
            run(PY, "-m", "ruff", "format", "--check", ".")
        elif task == "docs":
            ensure_venv("dev")
            run(BIN / "mkdocs", "build", "--strict", "--site-dir", "site")
        elif task == "package":
            ensure_venv("dev")
            package_smoke_test()
        else:
            ensure_venv("dev")
            run(PY, "benchmarks/bench_start.py", *rest)
    except subprocess.CalledProcessError as exc:
        return exc.returncode or 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
