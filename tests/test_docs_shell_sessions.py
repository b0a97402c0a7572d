"""The shell sessions of the first pages run as written, against the shipped fake.

A ```bash block of the README, the home page or Getting started whose first line
starts the fake (``python -m obs_workflow_async.testing ... &``) is a session a reader
pastes into a shell: it runs here in ``bash -e``, in a fresh directory, with
``python`` this interpreter and ``obs-workflow`` the package's command, and no
``OBS_*``, ``HUAWEICLOUD_SDK_*`` or config file of the machine's. It must exit 0, the
workflow it starts must succeed, and the fake's summary (its last line, written when
the session stops it) must count one execution, started once. Each of these pages
with a session has one for v2 and one for DWR v3 (``--api v3``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", ROOT / "docs" / "index.md", ROOT / "docs" / "getting-started.md"]
BASH = re.compile(r"^```bash\n(.*?)^```", re.DOTALL | re.MULTILINE)
STARTS_THE_FAKE = "python -m obs_workflow_async.testing"


def sessions() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        for number, code in enumerate(BASH.findall(page.read_text(encoding="utf-8")), 1):
            if code.startswith(STARTS_THE_FAKE):
                found.append((f"{page.name}#bash{number}", code))
    return found


SESSIONS = sessions()


def test_each_page_with_a_session_has_one_per_api() -> None:
    pages = {name.split("#")[0] for name, _ in SESSIONS}
    assert {"README.md", "getting-started.md"} <= pages
    for page in pages:
        codes = [code for name, code in SESSIONS if name.startswith(f"{page}#")]
        assert any("--api v3" not in code for code in codes), f"{page}: no v2 session"
        assert any(code.startswith(f"{STARTS_THE_FAKE} --api v3") for code in codes), page


def _shell_env(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, command in {
        "python": f'exec "{sys.executable}" "$@"',
        "obs-workflow": f'exec "{sys.executable}" -m obs_workflow_async "$@"',
    }.items():
        script = bin_dir / name
        script.write_text(f"#!/bin/sh\n{command}\n", encoding="utf-8")
        script.chmod(0o755)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OBS_", "HUAWEICLOUD_SDK_", "HUAWEI_CLOUD_", "OIDC_"))
    }
    env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # no profile of this machine's
    return env


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell session")
@pytest.mark.slow
@pytest.mark.parametrize(("name", "code"), SESSIONS, ids=[name for name, _ in SESSIONS])
def test_session_runs_as_written(name: str, code: str, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    shell = subprocess.Popen(
        ["bash", "-e", "-c", code],
        cwd=work,
        env=_shell_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the fake is in its group: nothing outlives the test
    )
    try:
        out, err = shell.communicate(timeout=300)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(shell.pid, signal.SIGKILL)
        shell.wait()
    assert shell.returncode == 0, f"{name} failed:\n{out}\n{err}"
    final = json.loads(out[: out.index("\n}\n") + 2]) if "\n}\n" in out else json.loads(out)
    assert final["execution_state"].upper() == "SUCCESS", out
    lines = (work / "fake.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2, lines  # where it listened, then its summary
    summary = json.loads(lines[-1])
    assert summary["executions"] == 1
    assert summary["duplicated_objects"] == 0
