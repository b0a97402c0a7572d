"""The command line as people use it: --version, -v, options before or after the
subcommand, credentials choice, the summary on stdout, a manifest on stdin,
--dry-run, the progress line on a terminal of 80 and 120 columns, portable signal
handling, and the standalone fake server in the background. In process, but for the
installed entry point, a real terminal and the server run from a shell."""

from __future__ import annotations

import asyncio
import fcntl
import io
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections import Counter
from pathlib import Path

import pytest

from obs_workflow_async import __version__
from obs_workflow_async._batch.models import BatchStats
from obs_workflow_async.cli.progress import ProgressPrinter
from obs_workflow_async.cli.signals import StopSignals
from obs_workflow_async.testing import FakeWorkflowServer, Fault
from tests.support.cli import CliResult, run_cli

CLI = [sys.executable, "-m", "obs_workflow_async"]


def _env(server: FakeWorkflowServer | None, **extra: str) -> dict[str, str | None]:
    """No ``OBS_`` variable and no ``COLUMNS`` but the fake's keys and ``extra``."""
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("OBS_")}
    env["COLUMNS"] = None
    if server is not None:
        env.update(
            OBS_ACCESS_KEY_ID=server.access_key_id, OBS_SECRET_ACCESS_KEY=server.secret_access_key
        )
    env.update(extra)
    return env


def _process_env(env: dict[str, str | None]) -> dict[str, str]:
    """``env`` over this process's environment, for a subprocess."""
    merged = {**os.environ, **env}
    return {k: v for k, v in merged.items() if v is not None}


def _cli(env: dict[str, str | None], *args: str, stdin: str | None = None) -> CliResult:
    return run_cli(*args, env=env, stdin=stdin)


def test_version() -> None:
    done = _cli(_env(None), "--version")
    assert done.returncode == 0 and done.stdout.strip() == f"obs-workflow {__version__}"


def test_the_installed_entry_point_exits_with_the_status_of_main() -> None:
    """The console script in a real process (``python -m``: ``test_cli_and_plugin``):
    ``--version`` (0) and a usage error (2, on stderr) are the process's exit status."""
    script = [str(Path(sys.executable).with_name("obs-workflow"))]
    version = subprocess.run(
        [*script, "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"obs-workflow {__version__}"
    usage = subprocess.run(
        [*script, "start", "g"], capture_output=True, text=True, timeout=60, check=False
    )
    assert usage.returncode == 2 and "--bucket" in usage.stderr, usage.stderr


def test_connection_options_before_or_after_the_subcommand(
    obs_fake_server: FakeWorkflowServer,
) -> None:
    server = obs_fake_server
    env = _env(server)  # no OBS_SERVER: --server must be taken from either place
    assert (
        _cli(
            env, "--server", server.url, "start", "g", "--bucket", "media", "--object", "k"
        ).returncode
        == 0
    )
    before = _cli(env, "--server", server.url, "list", "executions", "g")
    after = _cli(env, "list", "executions", "g", "--server", server.url)
    assert before.returncode == after.returncode == 0, (before.stderr, after.stderr)
    assert len(before.stdout.splitlines()) == len(after.stdout.splitlines()) == 1
    # a value after the subcommand wins over one before it
    both = _cli(env, "--server", "http://127.0.0.1:1", "list", "workflows", "--server", server.url)
    assert both.returncode == 0, both.stderr
    missing = _cli(env, "list", "workflows")
    assert missing.returncode == 2
    assert missing.stderr == "obs-workflow: pass --server URL or set OBS_SERVER\n"


def test_verbose_logs_to_stderr(obs_fake_server: FakeWorkflowServer) -> None:
    server = obs_fake_server
    env = _env(server, OBS_SERVER=server.url)
    quiet = _cli(env, "list", "workflows")
    info = _cli(env, "-v", "list", "workflows")
    debug = _cli(env, "list", "workflows", "-vv")
    assert quiet.returncode == info.returncode == debug.returncode == 0
    assert quiet.stderr == ""
    assert " DEBUG obs_workflow_async" in debug.stderr
    assert " DEBUG " not in info.stderr


def test_missing_credentials_in_cli_terms(obs_fake_server: FakeWorkflowServer) -> None:
    server = obs_fake_server
    env = _env(None, OBS_SERVER=server.url)
    done = _cli(env, "list", "workflows")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "obs-workflow: no credentials: set OBS_ACCESS_KEY_ID and OBS_SECRET_ACCESS_KEY (and "
        "OBS_SECURITY_TOKEN for temporary keys) or pass --credentials chain"
    )
    # the chain: the environment first (no metadata request when it answers) ...
    keyed = _env(server, OBS_SERVER=server.url)
    chain = _cli(
        keyed, "--credentials", "chain", "--ecs-endpoint", "http://127.0.0.1:1", "list", "workflows"
    )
    assert chain.returncode == 0, chain.stderr
    # ... then ECS metadata: unreachable here, so a clear error, nothing sent
    none = _cli(
        env, "list", "workflows", "--credentials", "ecs", "--ecs-endpoint", "http://127.0.0.1:1"
    )
    assert none.returncode == 2
    last = none.stderr.strip().splitlines()[-1]
    assert last.startswith("obs-workflow: no credentials from --credentials ecs: ")
    assert all(line.startswith("obs-workflow: ") for line in none.stderr.splitlines())
    oidc = _cli(env, "list", "workflows", "--credentials", "oidc")
    assert oidc.returncode == 2 and "HUAWEI_CLOUD_IDP_ID" in oidc.stderr
    assert server.calls["list_workflows"] == 1  # only the chain run listed


def test_summary_on_stdout_manifest_from_stdin_and_resume(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    server = obs_fake_server
    env = _env(server, OBS_SERVER=server.url)
    results = tmp_path / "r.jsonl"
    lines = "".join(f"media,v/{i}.mp4\n" for i in range(5))
    refused = _cli(env, "start-many", "g", "--manifest", "-", stdin=lines)
    assert refused.returncode == 2 and "--results" in refused.stderr
    first = _cli(env, "start-many", "g", "--manifest", "-", "--results", str(results), stdin=lines)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)  # the whole of stdout is the summary
    assert summary["started"] == 5
    more = lines + "media,v/5.mp4\n"
    again = _cli(
        env,
        "start-many",
        "g",
        "--manifest",
        "-",
        "--resume",
        str(results),
        "--no-progress",
        stdin=more,
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["skipped_already_started"] == 5
    changed = _cli(
        env,
        "start-many",
        "g",
        "--manifest",
        "-",
        "--resume",
        str(results),
        stdin="media,other.mp4\n",
    )
    assert changed.returncode == 2 and "manifest changed" in changed.stderr
    assert Counter(e.object_key for e in server.executions) == {f"v/{i}.mp4": 1 for i in range(6)}
    assert not list(tmp_path.glob("obs-workflow-*"))


def test_dry_run_sends_and_writes_nothing(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    server = obs_fake_server
    env = _env(server, OBS_SERVER=server.url)
    manifest = tmp_path / "m.csv"
    manifest.write_text("media,a\nmedia,b\nmedia,c,{bad json\n")
    dry = _cli(env, "start-many", "g", "--manifest", str(manifest), "--dry-run")
    assert dry.returncode == 1  # an invalid line
    plan = json.loads(dry.stdout)
    assert (plan["items"], plan["send"], plan["invalid"]) == (3, 2, 1)
    assert "m.csv:3: inputs are not JSON" in dry.stderr  # the file's line, from 1
    assert not (tmp_path / "m.csv.results.jsonl").exists()
    results = tmp_path / "r.jsonl"
    server.add_fault(Fault("drop"), operation="start", times=1)
    _cli(
        env,
        "start-many",
        "g",
        "--manifest",
        str(manifest),
        "--results",
        str(results),
        "--concurrency",
        "1",
        "--no-progress",
    )
    calls, size = dict(server.calls), results.stat().st_size
    resumed = _cli(
        env,
        "start-many",
        "g",
        "--manifest",
        str(manifest),
        "--resume",
        str(results),
        "--dry-run",
        "--server",
        "http://127.0.0.1:1",
    )
    plan = json.loads(resumed.stdout)
    assert (plan["skip_started"], plan["skip_ambiguous"], plan["send"]) == (1, 1, 0)
    assert dict(server.calls) == calls and results.stat().st_size == size


def _stats(done: int, total: int) -> BatchStats:
    return BatchStats(
        submitted=done + 64,
        in_flight=64,
        succeeded=done - 170,
        failed=170,
        ambiguous=12,
        retried=345,
        concurrency=64,
        rate_limit=200.0,
    )


@pytest.mark.parametrize("columns", [40, 80, 120, 200])
def test_progress_line_fits_the_terminal(columns: int) -> None:
    clock = [0.0]
    out = io.StringIO()
    printer = ProgressPrinter(out, 100_000, tty=True, width=columns, clock=lambda: clock[0])
    clock[0] = 62.0
    printer.update(_stats(51_170, 100_000))
    written = out.getvalue()
    assert written.startswith("\r") and written.endswith("\x1b[K")
    line = written[1:-3]
    assert len(line) <= columns - 1
    assert "51170/100000" in line
    if columns >= 80:
        assert "/s" in line and "elapsed 1m02s" in line and "ETA 59s" in line


def test_progress_plain_lines_when_not_a_tty() -> None:
    clock = [0.0]
    out = io.StringIO()
    printer = ProgressPrinter(out, 10, plain_every=2.0, clock=lambda: clock[0])
    for step in range(1, 11):
        clock[0] = step * 0.5
        printer.update(BatchStats(succeeded=step))
    printer.finish(BatchStats(succeeded=10))
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()
    assert len(lines) == 4  # 0.5 s, then every 2 s (2.5, 4.5), then the final one
    assert lines[-1].startswith("10/10 100%") and "ETA 0s" in lines[-1]


def _progress_on_a_pty(server: FakeWorkflowServer, tmp_path: Path, columns: int) -> list[str]:
    manifest = tmp_path / f"m{columns}.csv"
    manifest.write_text("".join(f"media,v/{columns}/{i}.mp4\n" for i in range(300)))
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    process = subprocess.Popen(
        [*CLI, "start-many", "g", "--manifest", str(manifest), "--concurrency", "2"],
        env=_process_env(_env(server, OBS_SERVER=server.url)),
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        assert ready, "no progress output"
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0 and json.loads(out)["started"] == 300
    text = b"".join(chunks).decode()
    return [re.sub(r"\x1b\[K", "", part) for part in re.split(r"[\r\n]+", text) if part]


@pytest.mark.parametrize("columns", [80, 120])
def test_progress_on_a_real_terminal_never_wraps(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path, columns: int
) -> None:
    server = obs_fake_server
    server.add_fault(Fault("delay", delay=0.003), operation="start", times=None)
    lines = _progress_on_a_pty(server, tmp_path, columns)
    assert lines and max(len(line) for line in lines) <= columns - 1
    assert lines[-1].startswith("[") or lines[-1].startswith("300/300")
    assert "300/300 100%" in lines[-1] and "ETA" in lines[-1]


def test_signal_fallback_without_add_signal_handler() -> None:
    class NoSignals(asyncio.SelectorEventLoop):
        def add_signal_handler(self, *args: object) -> None:
            raise NotImplementedError  # as on Windows

    loop = NoSignals()
    fired: list[str] = []
    try:
        previous = signal.getsignal(signal.SIGTERM)
        handlers = StopSignals(loop, lambda: fired.append("stop"))
        assert signal.getsignal(signal.SIGTERM) != previous
        os.kill(os.getpid(), signal.SIGTERM)
        loop.run_until_complete(asyncio.sleep(0.05))
        assert fired == ["stop"]
        assert signal.getsignal(signal.SIGTERM) == previous  # a second one acts as usual
        handlers.remove()
    finally:
        loop.close()


def test_fake_server_in_the_background_with_execution_duration() -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "obs_workflow_async.testing", "--execution-duration", "0.2"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,  # as under nohup or CI
    )
    try:
        assert server.stdout is not None
        url, ak, sk = server.stdout.readline().split()
        time.sleep(0.2)
        assert server.poll() is None  # stdin at EOF does not stop it
        env = _env(None, OBS_SERVER=url, OBS_ACCESS_KEY_ID=ak, OBS_SECRET_ACCESS_KEY=sk)
        done = _cli(
            env,
            "start",
            "g",
            "--bucket",
            "media",
            "--object",
            "k",
            "--wait",
            "--wait-timeout",
            "30",
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["execution_state"] == "SUCCESS"
    finally:
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=30)
    assert server.returncode == 0
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["executions"] == 1 and summary["duplicated_objects"] == 0
