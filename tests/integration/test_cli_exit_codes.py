"""The documented exit statuses: 0 done, 1 API or item failures, 2 usage errors (on
stderr, before anything is sent), 3 an execution that did not succeed (a wait that
timed out included), 130 interrupted (a real process: the signal is sent to it)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from obs_workflow_async import cli
from obs_workflow_async.testing import FakeWorkflowServer
from tests.support.cli import CliResult, run_cli, server_env


def _env(server: FakeWorkflowServer) -> dict[str, str]:
    return {
        **os.environ,
        "OBS_ACCESS_KEY_ID": server.access_key_id,
        "OBS_SECRET_ACCESS_KEY": server.secret_access_key,
        "OBS_SERVER": server.url,
    }


def _cli(server: FakeWorkflowServer, *args: str) -> CliResult:
    return run_cli(*args, env=server_env(server))


@pytest.fixture
def fake_env(
    obs_fake_server: FakeWorkflowServer, monkeypatch: pytest.MonkeyPatch
) -> FakeWorkflowServer:
    for name, value in _env(obs_fake_server).items():
        monkeypatch.setenv(name, value)
    return obs_fake_server


def test_usage_errors_exit_2_with_the_message_on_stderr(
    obs_fake_server: FakeWorkflowServer,
) -> None:
    server = obs_fake_server
    done = _cli(server, "start", "g", "--bucket", "media", "--object", "k", "--input", "novalue")
    assert done.returncode == 2
    assert done.stderr.startswith("obs-workflow: --input expects name=value")
    assert "Traceback" not in done.stderr and done.stdout == ""
    for args in (
        ["list", "executions"],
        ["get", "execution", "g"],
        ["start-many", "g", "--manifest", "/nonexistent/m.csv"],
    ):
        done = _cli(server, *args)
        assert done.returncode == 2, args
        assert done.stderr.startswith("obs-workflow: "), args
    assert _cli(server, "start", "g").returncode == 2  # argparse: --bucket missing
    assert server.calls == {}  # nothing was sent


def test_a_wait_that_times_out_exits_3_and_names_the_execution(
    fake_env: FakeWorkflowServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server = fake_env  # executions stay RUNNING
    assert cli.main(["start", "g", "--bucket", "media", "--object", "k"]) == 0
    name = json.loads(capsys.readouterr().out)["execution_name"]
    assert cli.main(["wait", "g", name, "--timeout", "0.2"]) == 3
    error = json.loads(capsys.readouterr().err)
    assert error["error"] == "WaitTimeoutError" and "request_sent" not in error
    assert (error["graph"], error["execution"], error["last_state"], error["timeout"]) == (
        "g",
        name,
        "RUNNING",
        0.2,
    )

    code = cli.main(
        ["start", "g", "--bucket", "media", "--object", "k2", "--wait", "--wait-timeout", "0.2"]
    )
    assert code == 3
    error = json.loads(capsys.readouterr().err)
    assert error["last_state"] == "RUNNING" and "request_sent" not in error
    assert len(server.executions) == 2  # started once each; they go on running


def test_an_api_failure_exits_1(fake_env: FakeWorkflowServer) -> None:
    assert cli.main(["get", "execution", "g", "no-such-execution"]) == 1


def test_an_interrupted_wait_exits_130(obs_fake_server: FakeWorkflowServer) -> None:
    server = obs_fake_server
    done = _cli(server, "start", "g", "--bucket", "media", "--object", "k")
    name = json.loads(done.stdout)["execution_name"]
    # A child inherits an ignored SIGINT (a suite started in the background by a shell
    # without job control ignores it): give the CLI Python's default, as a terminal would.
    restore_sigint = (
        "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "runpy.run_module('obs_workflow_async', run_name='__main__', alter_sys=True)"
    )
    waiting = subprocess.Popen(
        [sys.executable, "-c", restore_sigint, "wait", "g", name, "--timeout", "60"],
        env=_env(server),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # generous bounds: a Python starting on a starved machine takes seconds
        deadline = time.monotonic() + 120
        while server.calls["get_execution"] < 1:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        waiting.send_signal(signal.SIGINT)
        _, err = waiting.communicate(timeout=120)
    finally:  # whatever failed, no process or pipe outlives the test
        if waiting.poll() is None:
            waiting.kill()
        waiting.communicate()
    assert waiting.returncode == 130, err
    assert "Traceback" not in err
    assert len(server.executions) == 1
