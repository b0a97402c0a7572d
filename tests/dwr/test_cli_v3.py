"""``obs-workflow start-many --api v3`` and ``settle --api v3``: the same resumable batch,
results file and settling on the DWR v3 API (server-side counts from the v3 fake)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from obs_workflow_async.testing import Fault
from obs_workflow_async.testing.dwr_server import FakeDwrServer
from tests.support.cli import CliResult, run_cli, server_env


def _cli(server: FakeDwrServer, *args: str) -> CliResult:
    options = ["--api", "v3", "--server", server.url, "--project-id", server.PROJECT_ID]
    return run_cli(*args, *options, env=server_env(server, with_url=False))


def test_start_many_resume_and_settle_on_v3(dwr_fake_server: FakeDwrServer, tmp_path: Path) -> None:
    server = dwr_fake_server
    manifest = tmp_path / "m.csv"
    objects = [f"v/{i:02d}.mp4" for i in range(12)]
    manifest.write_text("".join(f"media,{o}\n" for o in objects))
    results = tmp_path / "r.jsonl"
    server.add_fault(Fault("drop"), operation="start", times=2)  # started, answer lost
    first = _cli(
        server,
        "start-many",
        "g",
        "--manifest",
        str(manifest),
        "--results",
        str(results),
        "--no-progress",
        "--concurrency",
        "1",
    )
    assert first.returncode == 1, first.stderr
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert (summary["started"], summary["ambiguous"]) == (10, 2)
    settled = _cli(server, "settle", str(results), "--settle-delay", "0")
    assert settled.returncode == 0, settled.stderr
    assert json.loads(settled.stdout)["started"] == 2
    again = _cli(
        server,
        "start-many",
        "g",
        "--manifest",
        str(manifest),
        "--resume",
        str(results),
        "--no-progress",
        "--retry-ambiguous",
    )
    assert again.returncode == 0, again.stderr
    started = Counter(e.object_key for e in server.executions)
    assert sorted(started) == objects and max(started.values()) == 1  # each exactly once


def test_every_command_serves_v3(dwr_fake_server: FakeDwrServer) -> None:
    """Once refused ("--api v3 serves settle and start-many only"): now served."""
    done = _cli(dwr_fake_server, "list", "workflows", "--quiet")
    assert done.returncode == 0, done.stderr
    assert len(dwr_fake_server.requests) == 1  # one v3 listing, nothing refused
