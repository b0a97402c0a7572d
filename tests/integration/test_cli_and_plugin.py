"""The command line (demo, start) and the shipped pytest fixture."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from obs_workflow_async import AsyncWorkflowClient, cli
from obs_workflow_async.testing import FakeWorkflowServer, Fault


def test_demo_starts_hundreds_and_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--count", "250"]) == 0
    out = capsys.readouterr().out
    assert "started:    250" in out
    assert "failed:     0" in out
    assert "250 executions" in out
    assert "execution_name:" in out and "request_id:" in out


@pytest.fixture
def fake_env(
    obs_fake_server: FakeWorkflowServer, monkeypatch: pytest.MonkeyPatch
) -> FakeWorkflowServer:
    """The fake's credentials in the environment, as the CLI reads them."""
    monkeypatch.setenv("OBS_ACCESS_KEY_ID", obs_fake_server.access_key_id)
    monkeypatch.setenv("OBS_SECRET_ACCESS_KEY", obs_fake_server.secret_access_key)
    return obs_fake_server


def test_start_prints_the_result_as_json(
    fake_env: FakeWorkflowServer, capsys: pytest.CaptureFixture[str]
) -> None:
    obs_fake_server = fake_env
    code = cli.main(
        [
            "start",
            "graph-1",
            "--bucket",
            "my-bucket",
            "--object",
            "videos/a.mp4",
            "--input",
            "resolution=720p",
            "--input",
            "fps=30",
            "--server",
            obs_fake_server.url,
        ]
    )
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    (execution,) = obs_fake_server.executions
    assert printed["execution_name"] == execution.execution_name
    assert "request_id" not in printed  # call metadata: on stderr with -v, not in the resource
    assert execution.inputs == {"resolution": "720p", "fps": 30}


def test_start_error_prints_status_code_message_request_id(
    fake_env: FakeWorkflowServer, capsys: pytest.CaptureFixture[str]
) -> None:
    obs_fake_server = fake_env
    obs_fake_server.add_fault(Fault("status", status=404, code="SYS.0003", message="no such"))
    code = cli.main(
        ["start", "g", "--bucket", "my-bucket", "--object", "k", "--server", obs_fake_server.url]
    )
    assert code == 1
    error = json.loads(capsys.readouterr().err)
    assert error["status"] == 404 and error["code"] == "SYS.0003"
    assert error["message"] == "no such" and error["request_id"]


def test_start_without_credentials_fails_before_sending(
    obs_fake_server: FakeWorkflowServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("OBS_ACCESS_KEY_ID", "OBS_SECRET_ACCESS_KEY", "OBS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    code = cli.main(
        ["start", "g", "--bucket", "my-bucket", "--object", "k", "--server", obs_fake_server.url]
    )
    assert code == 2  # a usage error: nothing was sent
    err = capsys.readouterr().err  # in command-line terms
    assert err.startswith("obs-workflow: no credentials: set OBS_ACCESS_KEY_ID")
    assert "--credentials chain" in err
    assert obs_fake_server.requests == []


def test_start_with_an_invalid_name_fails_before_sending(
    obs_fake_server: FakeWorkflowServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OBS_ACCESS_KEY_ID", "AK")
    monkeypatch.setenv("OBS_SECRET_ACCESS_KEY", "SK")
    code = cli.main(
        [
            "start",
            "--bucket",
            "my-bucket",
            "--object",
            "k",
            "--server",
            obs_fake_server.url,
            "--",
            "-bad",
        ]
    )
    assert code == 2  # a usage error: nothing was sent
    assert capsys.readouterr().err.startswith("obs-workflow: invalid GRAPH: ")
    assert obs_fake_server.requests == []


def test_module_entry_point_runs_the_demo() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "obs_workflow_async", "demo", "--count", "50"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "started:    50" in done.stdout


async def test_the_shipped_fixture_works_in_async_tests(
    obs_fake_server: FakeWorkflowServer,
) -> None:
    async with AsyncWorkflowClient(**obs_fake_server.client_kwargs()) as client:
        result = await client.start_workflow("g", "my-bucket", "k")
    assert [e.execution_name for e in obs_fake_server.executions] == [result.execution_name]


def _run_cli(server: FakeWorkflowServer, *args: str) -> int:
    return cli.main([*args, "--server", server.url])


def test_list_get_wait_restore_and_start_wait(
    fake_env: FakeWorkflowServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server = fake_env
    server.store.execution_duration = 0.05
    server.store.outcome = lambda e: (
        "FAILED" if e.object_key == "bad" and not e.restores else "SUCCESS"
    )

    assert _run_cli(server, "start", "g", "--bucket", "media", "--object", "ok", "--wait") == 0
    done = json.loads(capsys.readouterr().out)
    assert done["execution_state"] == "SUCCESS"
    assert _run_cli(server, "start", "g", "--bucket", "media", "--object", "bad", "--wait") == 3
    failed = json.loads(capsys.readouterr().out)
    assert failed["execution_state"] == "FAILED"

    assert _run_cli(server, "list", "executions", "g", "--state", "FAILED") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["execution_name"] for line in lines] == [failed["execution_name"]]
    assert _run_cli(server, "list", "executions", "g", "--limit", "1") == 0
    assert len(capsys.readouterr().out.splitlines()) == 1
    assert _run_cli(server, "list", "workflows") == 0
    assert json.loads(capsys.readouterr().out)["name"] == "g"

    assert _run_cli(server, "get", "execution", "g", failed["execution_name"]) == 0
    assert json.loads(capsys.readouterr().out)["execution_state"] == "FAILED"
    assert _run_cli(server, "restore", "g", failed["execution_name"]) == 0
    assert json.loads(capsys.readouterr().out)["execution_name"] == failed["execution_name"]
    assert _run_cli(server, "wait", "g", failed["execution_name"]) == 0
    assert json.loads(capsys.readouterr().out)["execution_state"] == "SUCCESS"

    assert _run_cli(server, "get", "workflow", "nope") == 1
    assert json.loads(capsys.readouterr().err)["status"] == 404
