#!/usr/bin/env python3
"""Project tasks that need nothing but python3 (>= 3.10).

    python3 dev.py demo    # set up .venv, run the demo against the embedded fake server
    python3 dev.py test    # set up .venv with the test tools, run the whole test suite
                           # (random order; --under-load N: beside N CPU-burning processes)
    python3 dev.py lint    # mypy --strict (package, examples, typing checks), pyright --strict,
                           # ruff check, ruff format --check, pyright --verifytypes >= 98%
    python3 dev.py docs    # mkdocs build --strict into site/
    python3 dev.py package # build sdist and wheel; check their contents; install the wheel
                           # in a clean venv; smoke test
    python3 dev.py bench   # benchmarks/bench_start.py (prints the comparison table)
    python3 dev.py pythons # list the Pythons >= 3.10 found on this machine
    python3 dev.py matrix  # the suite on every other Python found, and the lowest-dependencies
                           # run (oldest Python, aiohttp and pydantic at their floors), in parallel

Each command creates its virtualenv on first use (``.venv``; ``.venvs/`` for the
matrix) and reinstalls only when ``pyproject.toml`` changes. Tooling comes from
the PEP 735 dependency groups in ``pyproject.toml`` (``pip install --group``,
pip >= 25.1: every venv's pip is upgraded first).
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENVS = ROOT / ".venvs"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
EXTRAS = "otel"  # the package's optional features the test suite covers (the examples'
# own needs, FastAPI and prometheus-client, come from the test dependency group)
MIN_PYTHON = (3, 10)
# The matrix (other Pythons, lowest dependencies) runs what depends on the interpreter
# and on the dependencies' versions: the unit tests (models, validation, signing,
# parsers, the slot gate, the retry loop) and the integration tests of the wire,
# asyncio and credentials behaviour (cancellation, deadlines, may-have-started, TLS,
# batches). What is about scale or about other programs (the CLI's subprocesses, the
# differential comparisons with the official SDKs, the docs run as scripts, 10,000
# starts under faults) runs once, in `dev.py test`; so do the tests marked slow (long
# scenarios: thousands of starts, hundreds of generated cases).
MATRIX_SELECT = (
    "tests/unit",
    "tests/integration/test_never_hang.py",
    "tests/integration/test_may_have_started.py",
    "tests/integration/test_errors_and_retries.py",
    "tests/integration/test_secrets_in_errors.py",
    "tests/integration/test_credentials.py",
    "tests/integration/test_tls_and_proxy.py",
    "tests/integration/test_workflow_api.py",
    "tests/dwr/test_client.py",
    # the guarded connector and the bounded decoder hook aiohttp's internals: every
    # aiohttp from the floor up
    "tests/integration/test_stale_answers.py",
    "tests/integration/test_decompression_bomb.py",
)


# Coverage is measured on the newest Python (sys.monitoring makes it cheap there), over
# the matrix's selection and COVERAGE_SELECT, with a floor: today's 87.7% less run-to-run
# variation (a few lines that depend on timing); raise it as coverage rises, never lower it.
COVERAGE_FLOOR = 87.0
# The coverage run adds what exercises the CLI, settling and batches (in-process, pure
# Python) and the contract suite to the matrix's selection: the selection alone leaves
# the CLI and settle modules unmeasured.
COVERAGE_SELECT = (
    "tests/contract",
    "tests/integration/test_batch.py",
    "tests/integration/test_batch_source_blocked.py",
    "tests/integration/test_cli_conventions.py",
    "tests/integration/test_cli_doctor.py",
    "tests/integration/test_cli_output_and_v3.py",
    "tests/integration/test_cli_operator_edges.py",
    "tests/integration/test_cli_settle.py",
    "tests/integration/test_settle.py",
    "tests/integration/test_settle_clock_steps.py",
    "tests/integration/test_settle_hostile_listers.py",
)
COVERAGE_ARGS = [
    "--cov=obs_workflow_async",
    "--cov-report=term:skip-covered",
    f"--cov-fail-under={COVERAGE_FLOOR}",
]


def run(*cmd: str | os.PathLike[str], cwd: Path = ROOT, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, check=True)


def bin_dir(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def ensure_venv(
    extras: str = "",
    groups: tuple[str, ...] = (),
    *,
    venv: Path = VENV,
    python: str = sys.executable,
    pins: tuple[str, ...] = (),
) -> Path:
    """Create ``venv`` with ``python`` and install the project, ``extras`` and ``groups``.

    ``pins`` are extra requirements installed in the same resolution (the
    lowest-dependencies run pins the floors with them). Returns the venv's python.
    """
    if sys.version_info < MIN_PYTHON:  # dev.py may run on an older python3
        sys.exit("python >= 3.10 is required")
    py = bin_dir(venv) / "python"
    uv = uv_binary()
    if not py.exists():
        if uv is not None:
            run(uv, "venv", "--quiet", "--seed", "--python", python, venv)
        else:
            run(python, "-m", "venv", venv)
            # `pip install --group` needs pip >= 25.1
            run(py, "-m", "pip", "install", "--quiet", "--upgrade", "pip>=25.1")
    key = "\n".join([(ROOT / "pyproject.toml").read_text(), extras, *groups, *pins])
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    stamp = venv / ".installed"
    if stamp.exists() and stamp.read_text() == digest:
        return py
    target = f".[{extras}]" if extras else "."
    group_args = [arg for group in groups for arg in ("--group", group)]
    if uv is not None:
        # --compile-bytecode: as pip does (no compiling at every import; warnings stay quiet)
        run(
            uv,
            "pip",
            "install",
            "--quiet",
            "--compile-bytecode",
            "--python",
            py,
            "-e",
            target,
            *group_args,
            *pins,
        )
    else:
        run(py, "-m", "pip", "install", "--quiet", "-e", target, *group_args, *pins)
    stamp.write_text(digest)
    return py


def uv_binary() -> Path | None:
    """uv (from PyPI, in ``.venvs/uv``) installs a venv in seconds instead of minutes;
    ``None`` (plain pip) if it cannot be had or ``DEV_NO_UV`` is set."""
    if os.environ.get("DEV_NO_UV"):
        return None
    boot = VENVS / "uv"
    uv = bin_dir(boot) / ("uv.exe" if os.name == "nt" else "uv")
    if uv.exists():
        return uv
    try:
        subprocess.run([sys.executable, "-m", "venv", str(boot)], check=True)
        subprocess.run(
            [str(bin_dir(boot) / "python"), "-m", "pip", "install", "--quiet", "uv"], check=True
        )
    except (OSError, subprocess.CalledProcessError):
        print("dev.py: uv unavailable; installing with pip", file=sys.stderr)
        return None
    return uv if uv.exists() else None


def dev_venv() -> Path:
    return ensure_venv(EXTRAS, ("dev",))


def python_version(executable: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [executable, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
        major, minor = (int(part) for part in out.split())
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    return major, minor


def find_pythons() -> dict[tuple[int, int], str]:
    """One interpreter per minor version >= 3.10: PATH first, then pyenv's and uv's installs."""
    candidates: list[str] = [sys.executable]
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if "shims" in directory:  # pyenv shims fail for versions that are not selected
            continue
        candidates += sorted(glob.glob(os.path.join(directory, "python3.[0-9]*")))
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    for pattern in (
        os.path.join(pyenv_root, "versions", "*", "bin", "python3"),
        os.path.expanduser("~/.local/share/uv/python/*/bin/python3"),
    ):
        candidates += sorted(glob.glob(pattern))
    found: dict[tuple[int, int], str] = {}
    for candidate in candidates:
        if not re.fullmatch(r"python3(\.\d+)?", Path(candidate).name):
            continue  # python3.11-config and the like
        if not os.access(candidate, os.X_OK):
            continue
        version = python_version(candidate)
        if version and version >= MIN_PYTHON and version not in found:
            found[version] = candidate
    return dict(sorted(found.items()))


def dependency_floors() -> tuple[str, ...]:
    """``name==floor`` for each runtime dependency in pyproject.toml (``name>=floor``)."""
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.MULTILINE | re.DOTALL)
    if block is None:
        sys.exit("no dependencies in pyproject.toml")
    pins = []
    for requirement in re.findall(r'"([^"]+)"', block.group(1)):
        match = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)\s*>=\s*([^,;\s]+).*", requirement)
        if match is None:
            sys.exit(f"dependency without a floor: {requirement}")
        pins.append(f"{match.group(1)}=={match.group(2)}")
    return tuple(pins)


def matrix(pytest_args: list[str], jobs: int) -> int:
    """The suite on every Python found but the one running dev.py, plus the lowest run."""
    pytest_args = [*MATRIX_SELECT, "-m", "not slow", *pytest_args]
    pythons = find_pythons()
    current = sys.version_info[:2]
    print("Pythons found:", ", ".join(f"{a}.{b} ({p})" for (a, b), p in pythons.items()))
    if len(pythons) < 2:
        print("fewer than two Pythons >= 3.10 on this machine", file=sys.stderr)
        return 1
    runs: list[tuple[str, list[str]]] = []
    me = [sys.executable, str(Path(__file__).resolve())]
    newest = max(pythons)
    for (major, minor), executable in pythons.items():
        if (major, minor) != current:
            extra = [*COVERAGE_SELECT, *COVERAGE_ARGS] if (major, minor) == newest else []
            runs.append(
                (f"python {major}.{minor}", [*me, "test-on", executable, *pytest_args, *extra])
            )
    lowest = next(iter(pythons.values()))
    runs.append(
        (
            f"lowest dependencies ({', '.join(dependency_floors())})",
            [*me, "lowest", lowest, *pytest_args],
        )
    )
    logs = VENVS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    pending = list(enumerate(runs))
    active: list[tuple[int, subprocess.Popen[bytes], float, Path]] = []
    results: dict[int, tuple[int, float, Path]] = {}
    while pending or active:
        while pending and len(active) < jobs:
            index, (name, cmd) = pending.pop(0)
            log = logs / f"run{index}.log"
            print(f"started: {name}  (log: {log.relative_to(ROOT)})", flush=True)
            with log.open("wb") as out:
                process = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
            active.append((index, process, time.monotonic(), log))
        time.sleep(0.5)
        for entry in list(active):
            index, process, started, log = entry
            if process.poll() is not None:
                active.remove(entry)
                results[index] = (process.returncode, time.monotonic() - started, log)
                tail = log.read_text(errors="replace").strip().splitlines()[-1:]
                status = "ok" if process.returncode == 0 else f"FAILED ({process.returncode})"
                print(
                    f"{status}: {runs[index][0]} in {results[index][1]:.0f} s: {tail}", flush=True
                )
    failed = [i for i, (code, _, _) in results.items() if code]
    for index in failed:
        print(f"\n===== {runs[index][0]}: last lines of {results[index][2]}")
        print("\n".join(results[index][2].read_text(errors="replace").splitlines()[-60:]))
    return 1 if failed else 0


def package_smoke_test(py: Path) -> None:
    """Build the sdist and the wheel (from the sdist), check what each ships, install the
    wheel alone into a clean venv and use it."""
    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    run(py, "-m", "build", "--outdir", dist)
    wheels = sorted(dist.glob("*.whl"))
    sdists = sorted(dist.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        sys.exit("expected one wheel and one sdist")
    with tarfile.open(sdists[0]) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    # the sdist ships no tests (MANIFEST.in): they need the repository's layout and tooling
    shipped_tests = sorted(n for n in names if n.startswith(("tests/", "docs/", "examples/")))
    missing = {
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "_obs_workflow_async_pytest.py",
        "obs_workflow_async/py.typed",
    } - names
    if shipped_tests or missing:
        sys.exit(f"sdist: unexpected {shipped_tests}, missing {sorted(missing)}")
    with tempfile.TemporaryDirectory() as scratch:
        venv = Path(scratch) / "venv"
        python = bin_dir(venv) / "python"
        uv = uv_binary()
        if uv is not None:
            run(uv, "venv", "--quiet", "--python", sys.executable, venv)
            run(uv, "pip", "install", "--quiet", "--python", python, wheels[0])
        else:
            run(sys.executable, "-m", "venv", venv)
            run(python, "-m", "pip", "install", "--quiet", wheels[0])
        run(
            python,
            "-c",
            "import obs_workflow_async as o, importlib.resources as r, importlib.metadata as m; "
            "assert r.files('obs_workflow_async').joinpath('py.typed').is_file(); "
            "(ep,) = [e for e in m.entry_points(group='pytest11') if e.name == o.__name__]; "
            "assert ep.value == '_obs_workflow_async_pytest', ep; "
            "print('installed', o.__version__)",
        )
        run(bin_dir(venv) / "obs-workflow", "demo", "--count", "50")


def task_demo(rest: list[str]) -> int | None:
    run(ensure_venv(), "-m", "obs_workflow_async", "demo", *rest)
    return None


# A CPU burner for `dev.py test --under-load N`: it stops by itself when dev.py goes
# away (its parent changes) or after an hour, so no run can leave one behind.
BURNER = (
    "import os, time\n"
    "parent, end = os.getppid(), time.monotonic() + 3600\n"
    "while os.getppid() == parent and time.monotonic() < end:\n"
    "    sum(range(100_000))\n"
)


def task_test(rest: list[str]) -> int | None:
    """The whole suite, on three workers (pytest-xdist; ``-n 0`` for one process: a
    third of a two-worker run's time waits on sockets, timers and child processes, so
    three keep two cores busy), in a
    random order (pytest-randomly prints the seed; ``--randomly-seed=N`` repeats one,
    ``-p no:randomly`` keeps the file order). ``--under-load N`` runs it beside N
    processes that burn CPU, as on a busy machine. The package is byte-compiled first:
    the CLI tests start a Python per run, and with PYTHONDONTWRITEBYTECODE set each
    would compile the package again. For the same reason pytest runs without
    PYTHONDONTWRITEBYTECODE: it caches its assertion rewrites (of the tests, and of
    every package that ships a pytest plugin: hypothesis, anyio, xdist, this one)
    beside the bytecode, and without that cache each worker, and each pytest the
    tests start, rewrites them all again (about 0.8 s of CPU each)."""
    burners_wanted = 0
    if "--under-load" in rest:
        at = rest.index("--under-load")
        try:
            burners_wanted = int(rest[at + 1])
        except (IndexError, ValueError):
            sys.exit("usage: dev.py test --under-load N [pytest args]")
        rest = rest[:at] + rest[at + 2 :]
        if not 0 <= burners_wanted <= 64:
            sys.exit("--under-load: between 0 and 64 processes")
    py = dev_venv()
    run(py, "-m", "compileall", "-q", "obs_workflow_async")
    workers = [] if any(a.startswith("-n") for a in rest) else ["-n", "3"]
    burners = [subprocess.Popen([sys.executable, "-c", BURNER]) for _ in range(burners_wanted)]
    if burners:
        print(f"dev.py: running beside {len(burners)} CPU-burning processes", flush=True)
    try:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        run(py, "-m", "pytest", *workers, *rest, env=env)
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    return None


def timed(name: str, task: Callable[[list[str]], int | None]) -> Callable[[list[str]], int | None]:
    """``task``, ending with the line ``dev.py NAME: N s`` (passed or not): the README's
    test command is to take under 2 minutes on an idle 2-core machine."""

    def timed_task(rest: list[str]) -> int | None:
        started = time.monotonic()
        try:
            return task(rest)
        finally:
            print(f"dev.py {name}: {time.monotonic() - started:.0f} s", flush=True)

    return timed_task


def task_test_on(rest: list[str]) -> int | None:
    """test-on PYTHON [pytest args]: the suite in .venvs/pyX.Y."""
    version = python_version(rest[0])
    venv = VENVS / f"py{version[0]}.{version[1]}" if version else VENVS / "py"
    py = ensure_venv(EXTRAS, ("test",), venv=venv, python=rest[0])
    if version and version >= (3, 12):
        os.environ.setdefault("COVERAGE_CORE", "sysmon")  # coverage through sys.monitoring
    run(py, "-m", "pytest", "-p", "no:cacheprovider", *rest[1:])
    return None


def task_lowest(rest: list[str]) -> int | None:
    """lowest PYTHON [pytest args]: the runtime dependencies at their floors."""
    py = ensure_venv(
        EXTRAS, ("test",), venv=VENVS / "lowest", python=rest[0], pins=dependency_floors()
    )
    run(py, "-m", "pip", "list", "--format=freeze")
    run(py, "-m", "pytest", "-p", "no:cacheprovider", *rest[1:])
    return None


def task_pythons(rest: list[str]) -> int | None:
    for (major, minor), executable in find_pythons().items():
        print(f"{major}.{minor}  {executable}")
    return None


def task_matrix(rest: list[str]) -> int | None:
    return matrix(rest, jobs=int(os.environ.get("DEV_MATRIX_JOBS", "2")))


def task_lint(rest: list[str]) -> int | None:
    py = dev_venv()
    run(py, "-m", "mypy", "--strict", "obs_workflow_async", "_obs_workflow_async_pytest.py")
    run(py, "-m", "mypy", "--strict", "examples", "tests/typing")
    run(bin_dir(VENV) / "pyright")
    run(py, "-m", "ruff", "check", ".")
    run(py, "-m", "ruff", "format", "--check", ".")
    check_type_completeness()
    return None


TYPE_COMPLETENESS_FLOOR = 98.0  # today 100%: pyright --verifytypes obs_workflow_async


def check_type_completeness() -> None:
    """``pyright --verifytypes obs_workflow_async --ignoreexternal`` (what a user's type
    checker sees of the public API) at or above the floor. pyright does not follow the
    editable install of ``.venv``, so the package is installed normally in
    ``.venvs/verifytypes`` first."""
    venv = VENVS / "verifytypes"
    py = bin_dir(venv) / "python"
    uv = uv_binary()
    if not py.exists():
        if uv is not None:
            run(uv, "venv", "--quiet", "--python", sys.executable, venv)
        else:
            run(sys.executable, "-m", "venv", venv)
    if uv is not None:
        install = [uv, "pip", "install", "--quiet", "--python", py]
        run(*install, "--reinstall-package", "obs-workflow-async", ".[otel]")
    else:
        run(py, "-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps", ".")
        run(py, "-m", "pip", "install", "--quiet", ".[otel]")
    env = dict(os.environ, VIRTUAL_ENV=str(venv))
    env["PATH"] = os.pathsep.join([str(bin_dir(venv)), env.get("PATH", "")])
    args = ["--verifytypes", "obs_workflow_async", "--ignoreexternal"]
    done = subprocess.run(
        [str(bin_dir(VENV) / "pyright"), *args],
        cwd=tempfile.gettempdir(),  # not the checkout: the installed package is checked
        env=env,
        capture_output=True,
        text=True,
    )
    found = re.search(r"Type completeness score: ([0-9.]+)%", done.stdout)
    score = float(found.group(1)) if found else 0.0
    print(f"type completeness (pyright --verifytypes): {score}%", flush=True)
    if score < TYPE_COMPLETENESS_FLOOR:
        sys.exit(f"{done.stdout[-4000:]}\ntype completeness {score}% < {TYPE_COMPLETENESS_FLOOR}%")


def task_docs(rest: list[str]) -> int | None:
    dev_venv()
    run(BIN / "mkdocs", "build", "--strict", "--site-dir", "site")
    role = re.compile(r":(class|meth|func|mod|attr|exc|data):`")
    leaked = [p for p in (ROOT / "site").rglob("*.html") if role.search(p.read_text())]
    if leaked:
        sys.exit(f"Sphinx roles shown as text in {[str(p) for p in leaked]}")
    third_party = third_party_requests(ROOT / "site")
    if third_party:
        sys.exit(f"the site loads third-party resources: {third_party[:5]}")
    return None


# What a page would fetch from elsewhere when opened: a script, a stylesheet (web fonts
# included), an image or a frame from another origin, or material's GitHub "source"
# widget (its script calls api.github.com when the page has one). Links a reader clicks
# (and text that names a host) are fine.
_FETCHED = re.compile(
    r"<(?:script|img|iframe|source)\b[^>]*\bsrc=\"https?://[^\"]+\""
    r"|<link\b(?![^>]*rel=\"canonical\")[^>]*\bhref=\"https?://[^\"]+\""
    r"|data-md-component=\"source\""
)


def third_party_requests(site: Path) -> list[str]:
    """``page: what`` for every request a built page would make to another origin."""
    found = []
    for page in sorted(site.rglob("*.html")):
        for match in _FETCHED.finditer(page.read_text(encoding="utf-8")):
            found.append(f"{page.relative_to(site)}: {match.group(0)[:120]}")
    return found


def task_package(rest: list[str]) -> int | None:
    package_smoke_test(dev_venv())
    return None


def task_bench(rest: list[str]) -> int | None:
    run(dev_venv(), "benchmarks/bench_start.py", *rest)
    return None


TASKS = {
    "demo": task_demo,
    "test": timed("test", task_test),
    "test-on": task_test_on,
    "lowest": task_lowest,
    "pythons": task_pythons,
    "matrix": task_matrix,
    "lint": task_lint,
    "docs": task_docs,
    "package": task_package,
    "bench": task_bench,
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in TASKS:
        print(__doc__)
        return 2
    try:
        return TASKS[argv[0]](argv[1:]) or 0
    except subprocess.CalledProcessError as exc:
        return exc.returncode or 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
