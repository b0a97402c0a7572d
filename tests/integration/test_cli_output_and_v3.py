"""Command-level conventions of ``obs-workflow``: ``--output``/``--quiet`` on every
command with the resource and the call metadata apart, ``--api v3`` on every
command, and ``start-many``'s counts, line numbers, ``-v`` detail and resume
progress. Counted on the fake's side where something is sent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from obs_workflow_async.cli import build_parser
from obs_workflow_async.testing import FakeWorkflowServer, Fault
from obs_workflow_async.testing.dwr_server import FakeDwrServer
from tests.support.cli import CliResult, run_cli, server_env

COMMANDS = {
    "start": ["start", "g", "--bucket", "media", "--object", "k"],
    "get": ["get", "workflow", "g"],
    "list": ["list", "workflows"],
    "wait": ["wait", "g", "e"],
    "start-many": ["start-many", "g", "--manifest", "m.csv"],
    "settle": ["settle", "r.jsonl"],
    "restore": ["restore", "g", "e"],
    "doctor": ["doctor"],
}


def _v3(server: FakeDwrServer, *args: str) -> CliResult:
    options = ["--api", "v3", "--server", server.url, "--project-id", server.PROJECT_ID]
    return run_cli(*args, *options, env=server_env(server, with_url=False))


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_takes_output_quiet_and_api(command: str) -> None:
    given = ["--api", "v3", "--project-id", "p", "--region", "r", "--output", "table", "-q"]
    args = build_parser().parse_args([*COMMANDS[command], *given])
    assert (args.api, args.project_id, args.region) == ("v3", "p", "r")
    assert (args.output, args.quiet) == ("table", True)
    before = build_parser().parse_args(["--output", "text", *COMMANDS[command]])
    assert before.output == "text"  # before the subcommand too


def test_json_output_is_the_resource_and_metadata_goes_to_stderr_with_v(
    obs_fake_server: FakeWorkflowServer,
) -> None:
    env = server_env(obs_fake_server)
    done = run_cli("start", "graph-1", "--bucket", "media", "--object", "a.mp4", "-v", env=env)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    (execution,) = obs_fake_server.executions
    assert printed["execution_name"] == execution.execution_name
    assert not {"request_id", "retries_taken", "headers"} & set(printed)
    meta = [line for line in done.stderr.splitlines() if line.startswith("obs-workflow: meta ")]
    assert json.loads(meta[0].removeprefix("obs-workflow: meta ")) == {
        "request_id": execution.request_id,
        "retries_taken": 0,
    }
    got = run_cli("get", "execution", "graph-1", execution.execution_name, env=env)
    assert "request_id" not in json.loads(got.stdout) and "meta" not in got.stderr


def test_text_table_and_quiet(obs_fake_server: FakeWorkflowServer) -> None:
    env = server_env(obs_fake_server)
    quiet = run_cli("start", "graph-1", "--bucket", "media", "--object", "a.mp4", "-q", env=env)
    (execution,) = obs_fake_server.executions
    assert quiet.stdout == execution.execution_name + "\n"
    name = execution.execution_name
    text = run_cli("get", "execution", "graph-1", name, "--output", "text", env=env)
    assert f"execution_name: {name}" in text.stdout.splitlines()
    table = run_cli("list", "executions", "graph-1", "-o", "table", env=env)
    header, row = table.stdout.splitlines()
    assert header.split()[0] == "EXECUTION_NAME" and row.split()[0] == name
    names = run_cli("list", "executions", "graph-1", "--quiet", env=env)
    assert names.stdout.split() == [name]


def test_start_get_list_wait_restore_on_v3(dwr_fake_server: FakeDwrServer) -> None:
    server = dwr_fake_server
    started = _v3(server, "start", "g", "--bucket", "media", "--object", "a.mp4", "-q")
    assert started.returncode == 0, started.stderr
    (execution,) = server.executions
    name = started.stdout.strip()
    assert name == execution.execution_name
    got = _v3(server, "get", "execution", "g", name)
    assert json.loads(got.stdout)["execution_name"] == name
    listed = _v3(server, "list", "executions", "g", "--state", "running", "-q")
    assert listed.stdout.split() == [name]
    waited = _v3(server, "wait", "g", name, "--timeout", "0.01")
    assert waited.returncode == 3 and "WaitTimeoutError" in waited.stderr
    templates = _v3(server, "list", "templates", "--template-kind", "public", "-q")
    assert templates.stdout.split() == [t["name"] for t in server.public_templates]
    restored = _v3(server, "restore", "g", name)
    assert restored.returncode in (0, 1)  # a running execution: the fake's answer, not a refusal
    assert "--api v3 serves" not in restored.stderr
    assert server.calls["start"] == 1 and server.calls["restore_execution"] == 1


def _manifest(tmp_path: Path) -> Path:
    """4 items: one good, three a real start refuses (one only by the name rules)."""
    path = tmp_path / "m.csv"
    path.write_text('bucket,object\nmedia,a.mp4\nBad_Bucket,b.mp4\nmedia\nmedia,c,{"x"\n')
    return path


def test_dry_run_counts_exactly_as_the_run(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    env = server_env(obs_fake_server)
    manifest = _manifest(tmp_path)
    dry = run_cli("start-many", "g", "--manifest", str(manifest), "--dry-run", env=env)
    plan = json.loads(dry.stdout)
    assert (plan["items"], plan["send"], plan["invalid"]) == (4, 1, 3)
    assert f"{manifest}:3: bucket" in dry.stderr  # Bad_Bucket: caught by the name rules
    assert f"{manifest}:4:" in dry.stderr and f"{manifest}:5:" in dry.stderr  # file lines
    assert obs_fake_server.requests == []
    run = run_cli("start-many", "g", "--manifest", str(manifest), "--no-progress", env=env)
    summary = json.loads(run.stdout)
    assert (summary["started"], summary["failed"], summary["invalid"]) == (1, 0, 3)
    counted = [k for k in summary if k not in ("items", "results", "ambiguous_list")]
    assert sum(v for k, v in summary.items() if k in counted and type(v) is int) == 4
    assert summary["items"] == 4
    assert len(obs_fake_server.executions) == 1
    results = Path(str(summary["results"])).read_text().splitlines()
    invalid = [json.loads(line) for line in results if '"invalid"' in line]
    assert sorted(record["line"] for record in invalid) == [3, 4, 5]


def test_dry_run_from_stdin_needs_no_results(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    done = run_cli(
        "start-many",
        "g",
        "--manifest",
        "-",
        "--dry-run",
        env=server_env(obs_fake_server),
        stdin="media,a.mp4\nBad_Bucket,b\n",
    )
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["invalid"] == 1
    assert "-:2: bucket" in done.stderr


def test_verbose_start_many_prints_one_line_per_item(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    manifest = _manifest(tmp_path)
    done = run_cli(
        "start-many",
        "g",
        "--manifest",
        str(manifest),
        "--no-progress",
        "-v",
        env=server_env(obs_fake_server),
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("obs-workflow: ")]
    per_item = [line for line in lines if f"{manifest}:" in line]
    assert len(per_item) == 4
    (execution,) = obs_fake_server.executions
    assert f"obs-workflow: {manifest}:2: started {execution.execution_name}" in per_item


def test_resume_progress_counts_the_whole_manifest(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    env = server_env(obs_fake_server)
    manifest = tmp_path / "m.csv"
    manifest.write_text("".join(f"media,v/{i}.mp4\n" for i in range(5)))
    results = tmp_path / "r.jsonl"
    obs_fake_server.add_fault(Fault("status", status=400), operation="start", times=1)
    first = run_cli(
        "start-many", "g", "--manifest", str(manifest), "--results", str(results), env=env
    )
    assert json.loads(first.stdout)["failed"] == 1
    again = run_cli(
        "start-many", "g", "--manifest", str(manifest), "--resume", str(results), env=env
    )
    assert again.returncode == 0, again.stderr
    assert "5/5 100%" in again.stderr  # 4 done before + 1 now, not "1/1"
    assert len(obs_fake_server.executions) == 5


def test_shell_fake_serves_v3(tmp_path: Path) -> None:
    fake = subprocess.Popen(
        [sys.executable, "-m", "obs_workflow_async.testing", "--api", "v3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert fake.stdout is not None
        url, access, secret, project = fake.stdout.readline().split()
        env = {"OBS_ACCESS_KEY_ID": access, "OBS_SECRET_ACCESS_KEY": secret}
        done = run_cli("doctor", "--api", "v3", "--server", url, "--project-id", project, env=env)
        assert done.returncode == 0, done.stdout
    finally:
        fake.terminate()
        out, err = fake.communicate(timeout=60)
    assert "--project-id" in err
    calls = json.loads(out.strip().splitlines()[-1])["calls"]
    assert calls["get_authorization"] == 1


def test_v3_from_the_environment_alone(dwr_fake_server: FakeDwrServer) -> None:
    env = {
        **server_env(dwr_fake_server),
        "OBS_WORKFLOW_API": "v3",
        "OBS_WORKFLOW_PROJECT_ID": dwr_fake_server.PROJECT_ID,
    }
    done = run_cli("start", "g", "--bucket", "media", "--object", "a.mp4", "-q", env=env)
    assert done.returncode == 0, done.stderr
    assert [e.execution_name for e in dwr_fake_server.executions] == [done.stdout.strip()]
    doctor = run_cli("doctor", env=env)
    assert "FAIL authorization" in doctor.stdout and "ok   signature" in doctor.stdout
