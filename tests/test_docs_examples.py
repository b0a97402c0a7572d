"""Every ```python block in docs/ and the README runs as written, so none can rot.

- a script (it calls ``asyncio.run``/``uvloop.run``) runs as a script (``runpy``, as
  ``__main__``, in this process; in a fresh interpreter when it forks or changes
  what a process has only once, see ``FRESH_INTERPRETER``); for the scripts written
  for a real account, ``OBS_SERVER`` and the ``OBS_*`` keys point at a v2 fake and
  ``DWR_ENDPOINT``, ``HUAWEICLOUD_SDK_PROJECT_ID`` and the ``HUAWEICLOUD_SDK_*`` keys
  at a DWR v3 fake (their executions finish, as real ones do);
- a pytest file (it defines ``test_`` functions) runs under pytest with
  pytest-asyncio in strict mode (its default), with the package's plugin;
- a sketch (its first line says ``(sketch: ...)``: it needs a broker or a worker we
  do not run) must compile;
- anything else fails: a snippet a reader cannot run as written is not allowed.
"""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from obs_workflow_async.testing import FakeDwrServer, FakeWorkflowServer

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def blocks() -> list[tuple[str, str]]:
    found = []
    for page in [*sorted(DOCS.glob("*.md")), ROOT / "README.md"]:
        text = page.read_text(encoding="utf-8")
        for number, code in enumerate(BLOCK.findall(text), 1):
            if code.startswith("--8<--"):
                continue  # an included file from examples/, tested in tests/examples
            found.append((f"{page.name}#{number}", code))
    return found


def kind(code: str) -> str:
    first = code.splitlines()[0] if code.strip() else ""
    if "(sketch:" in first:
        return "sketch"
    if re.search(r"^(async )?def test_", code, re.MULTILINE):
        return "pytest"
    if re.search(r"^\s*(asyncio|uvloop)\.run\(", code, re.MULTILINE):
        return "script"
    return "fragment"


BLOCKS = blocks()
KINDS = {name: kind(code) for name, code in BLOCKS}


class Account(NamedTuple):
    """The fakes behind the variables a real account's scripts read."""

    v2: FakeWorkflowServer
    v3: FakeDwrServer


@pytest.fixture
def account() -> Iterator[Account]:
    """The fakes behind ``OBS_SERVER`` and ``DWR_ENDPOINT``: like a real account,
    their executions finish."""
    with (
        FakeWorkflowServer(execution_duration=0.05).run_in_thread() as v2,
        FakeDwrServer(execution_duration=0.05).run_in_thread() as v3,
    ):
        yield Account(v2, v3)


def env_for(account: Account) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(
        OBS_SERVER=account.v2.url,
        OBS_ACCESS_KEY_ID=account.v2.access_key_id,
        OBS_SECRET_ACCESS_KEY=account.v2.secret_access_key,
        DWR_ENDPOINT=account.v3.url,
        HUAWEICLOUD_SDK_PROJECT_ID=account.v3.PROJECT_ID,
        HUAWEICLOUD_SDK_AK=account.v3.access_key_id,
        HUAWEICLOUD_SDK_SK=account.v3.secret_access_key,
    )
    for variable in ("OBS_SECURITY_TOKEN", "HUAWEICLOUD_SDK_SECURITY_TOKEN"):
        env.pop(variable, None)
    return env


def test_there_are_examples_for_every_api_group() -> None:
    pages = {name.split("#")[0] for name, k in KINDS.items() if k == "script"}
    assert {"workflows.md", "executions.md", "trigger-policies.md", "testing.md"} <= pages
    assert {"README.md", "index.md", "getting-started.md"} <= pages  # the first ones read


FIRST_PAGES = ("README.md", "index.md", "getting-started.md")


@pytest.mark.parametrize("page", FIRST_PAGES)
def test_the_first_pages_show_both_apis(page: str) -> None:
    """The pages read first show v2 and DWR v3 side by side, each in scripts that run."""
    scripts = [c for n, c in BLOCKS if n.split("#")[0] == page and KINDS[n] == "script"]
    assert any("AsyncWorkflowClient(" in c for c in scripts), page
    assert any("AsyncDwrClient(" in c for c in scripts), page


def test_every_block_is_runnable() -> None:
    fragments = {name for name, k in KINDS.items() if k == "fragment"}
    assert not fragments, f"not a script, a pytest file or a (sketch: ...): {sorted(fragments)}"


# The scripts that run in a fresh interpreter, and why.
FRESH_INTERPRETER = {
    "fork-and-uvloop.md#1": "its pool spawns children that import the script as __main__",
    # the exporter's default stream is the sys.stdout of the first import, whichever
    # test imported it: the script prints where a real process prints
    "observability.md#2": "OpenTelemetry's ConsoleSpanExporter binds sys.stdout at import",
    # the semantic-convention opt-in is read once per process, at the first instrument()
    "observability.md#3": "the aiohttp instrumentation's opt-in and exporter, per process",
}
SCRIPTS = [(n, c) for n, c in BLOCKS if KINDS[n] == "script"]
SLOW_SCRIPTS = {"fork-and-uvloop.md#1"}  # a pool of four Pythons


@pytest.mark.parametrize(
    ("name", "code"),
    [(n, c) for n, c in SCRIPTS if n not in FRESH_INTERPRETER],
    ids=[n for n, _ in SCRIPTS if n not in FRESH_INTERPRETER],
)
def test_script_runs(
    name: str,
    code: str,
    tmp_path: Path,
    account: Account,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(script)])
    for variable, value in env_for(account).items():
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("OBS_SECURITY_TOKEN", raising=False)
    monkeypatch.delenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", raising=False)
    try:
        runpy.run_path(str(script), run_name="__main__")
    except SystemExit as exit_:
        assert exit_.code in (None, 0), f"{name} exited {exit_.code}"
    assert capsys.readouterr().out.strip(), f"{name} printed nothing"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        pytest.param(n, c, id=n, marks=[pytest.mark.slow] if n in SLOW_SCRIPTS else [])
        for n, c in SCRIPTS
        if n in FRESH_INTERPRETER
    ],
)
def test_script_runs_in_a_fresh_interpreter(
    name: str, code: str, tmp_path: Path, account: Account
) -> None:
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        cwd=tmp_path,
        env=env_for(account),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
    assert done.stdout.strip(), f"{name} printed nothing"


@pytest.mark.parametrize(
    ("name", "code"),
    [(n, c) for n, c in BLOCKS if KINDS[n] == "pytest"],
    ids=[n for n, _ in BLOCKS if KINDS[n] == "pytest"],
)
@pytest.mark.slow
def test_pytest_file_passes_in_strict_mode(
    name: str, code: str, tmp_path: Path, account: Account
) -> None:
    (tmp_path / "test_from_docs.py").write_text(code, encoding="utf-8")
    ini = "[pytest]\nfilterwarnings = error\nasyncio_default_fixture_loop_scope = function\n"
    (tmp_path / "pytest.ini").write_text(ini)  # a user's config, not ours
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "asyncio",
            "--asyncio-mode=strict",
            "-p",
            "obs_workflow_async.testing.pytest_plugin",
            "-p",
            "no:cacheprovider",
            "-q",
            "test_from_docs.py",
        ],
        cwd=tmp_path,
        env=env_for(account),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
    assert re.search(r"\b\d+ passed\b", done.stdout) and "skipped" not in done.stdout


@pytest.mark.parametrize(
    ("name", "code"),
    [(n, c) for n, c in BLOCKS if KINDS[n] == "sketch"],
    ids=[n for n, _ in BLOCKS if KINDS[n] == "sketch"],
)
def test_sketch_compiles(name: str, code: str) -> None:
    compile(code, name, "exec")
