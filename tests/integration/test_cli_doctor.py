"""``obs-workflow doctor``: passes against both fakes, and names the failing check
(with its fix) for each broken setup: wrong keys, a server down, a skewed clock, no
authorization. What was sent is counted on the fake's side."""

from __future__ import annotations

import json
import socket
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from aiohttp import web

from obs_workflow_async.testing import FakeWorkflowServer, Fault
from obs_workflow_async.testing.dwr_server import FakeDwrServer
from tests.support.cli import CliResult, run_cli, server_env


def _v3(server: FakeDwrServer, *args: str, **env: str | None) -> CliResult:
    options = ["--api", "v3", "--server", server.url, "--project-id", server.PROJECT_ID]
    return run_cli("doctor", *options, *args, env={**server_env(server, with_url=False), **env})


def _lines(result: CliResult) -> dict[str, str]:
    """check name -> its line (``ok``/``WARN``/``FAIL``/``skip`` first)."""
    found = {}
    for line in result.stdout.splitlines():
        if not line.startswith(" "):
            status, name, *_ = line.split()
            found[name] = status
    return found


def test_passes_against_the_v2_fake(obs_fake_server: FakeWorkflowServer) -> None:
    done = run_cli("doctor", env=server_env(obs_fake_server))
    assert done.returncode == 0, done.stdout + done.stderr
    assert _lines(done) == dict.fromkeys(
        ["endpoint", "credentials", "clock", "signature", "authorization"], "ok"
    )
    assert "from env (OBS_ACCESS_KEY_ID" in done.stdout
    assert obs_fake_server.secret_access_key not in done.stdout + done.stderr
    assert obs_fake_server.calls["list_workflows"] == 1  # one cheap signed read


def test_passes_against_the_v3_fake(dwr_fake_server: FakeDwrServer) -> None:
    dwr_fake_server.authorized = True
    done = _v3(dwr_fake_server, "--output", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True and report["api"] == "v3"
    assert [c["status"] for c in report["checks"]] == ["ok"] * 5
    assert dwr_fake_server.calls["get_authorization"] == 1


def test_wrong_keys_fail_the_signature_check_with_its_fix(
    obs_fake_server: FakeWorkflowServer,
) -> None:
    env = {**server_env(obs_fake_server), "OBS_SECRET_ACCESS_KEY": "not-the-secret"}
    done = run_cli("doctor", env=env)
    assert done.returncode == 1
    lines = _lines(done)
    assert (lines["credentials"], lines["signature"], lines["authorization"]) == (
        "ok",
        "FAIL",
        "skip",
    )
    assert "SignatureDoesNotMatch" in done.stdout
    assert "fix: the keys are wrong" in done.stdout
    assert "not-the-secret" not in done.stdout + done.stderr


def test_wrong_keys_on_v3(dwr_fake_server: FakeDwrServer) -> None:
    dwr_fake_server.authorized = True
    done = _v3(dwr_fake_server, OBS_SECRET_ACCESS_KEY="not-the-secret")
    assert done.returncode == 1 and _lines(done)["signature"] == "FAIL"
    assert "APIGW.0301" in done.stdout and "fix:" in done.stdout


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_server_down_fails_the_endpoint_check() -> None:
    env = {
        "OBS_SERVER": f"http://127.0.0.1:{_closed_port()}",
        "OBS_ACCESS_KEY_ID": "AK",
        "OBS_SECRET_ACCESS_KEY": "SK",
        "OBS_SECURITY_TOKEN": None,
    }
    done = run_cli("doctor", env=env)
    assert done.returncode == 1
    lines = _lines(done)
    assert lines["endpoint"] == "FAIL" and lines["signature"] == "skip"
    assert "TCP connect failed" in done.stdout and "fix: check --server" in done.stdout


def test_no_credentials_fail_with_the_variables_to_set(
    obs_fake_server: FakeWorkflowServer,
) -> None:
    env = {**server_env(obs_fake_server), "OBS_ACCESS_KEY_ID": None}
    done = run_cli("doctor", env=env)
    assert done.returncode == 1 and _lines(done)["credentials"] == "FAIL"
    assert "OBS_ACCESS_KEY_ID" in done.stdout
    assert obs_fake_server.calls.get("list_workflows", 0) == 0  # nothing signed was sent


class _SkewedFake(FakeWorkflowServer):
    """A fake whose ``Date`` header is ``skew`` off (its signature check is not)."""

    def __init__(self, skew: timedelta) -> None:
        super().__init__()
        self.skew = skew

    def app(self) -> web.Application:
        app = super().app()

        async def skewed(request: web.Request, response: web.StreamResponse) -> None:
            del request
            moment = datetime.now(timezone.utc) + self.skew
            response.headers["Date"] = format_datetime(moment, usegmt=True)

        app.on_response_prepare.append(skewed)
        return app


@pytest.mark.parametrize(
    ("skew", "status", "code"),
    [(timedelta(hours=1), "FAIL", 1), (timedelta(minutes=-8), "WARN", 0)],
)
def test_a_skewed_clock_is_shown_with_its_offset(skew: timedelta, status: str, code: int) -> None:
    server = _SkewedFake(skew)
    with server.run_in_thread():
        done = run_cli("doctor", env=server_env(server))
    assert done.returncode == code, done.stdout
    assert _lines(done)["clock"] == status
    offset = round(skew.total_seconds())
    assert any(f"offset {offset + d:+d}s" in done.stdout for d in (-2, -1, 0, 1))


def test_v3_without_authorization_fails_with_its_fix(dwr_fake_server: FakeDwrServer) -> None:
    done = _v3(dwr_fake_server)
    assert done.returncode == 1
    lines = _lines(done)
    assert lines["signature"] == "ok" and lines["authorization"] == "FAIL"
    assert "create_authorization" in done.stdout


def test_v2_permission_refused_fails_the_authorization_check(
    obs_fake_server: FakeWorkflowServer,
) -> None:
    obs_fake_server.add_fault(Fault("status", status=403), operation="list_workflows")
    done = run_cli("doctor", env=server_env(obs_fake_server))
    assert done.returncode == 1
    lines = _lines(done)
    assert (lines["signature"], lines["authorization"]) == ("ok", "FAIL")
    assert "AccessDenied" in done.stdout and "fix: grant" in done.stdout


def test_https_against_a_plain_http_endpoint_says_so(obs_fake_server: FakeWorkflowServer) -> None:
    env = {**server_env(obs_fake_server), "OBS_SERVER": "https://" + obs_fake_server.url[7:]}
    done = run_cli("doctor", env=env)
    assert done.returncode == 1 and _lines(done)["endpoint"] == "FAIL"
    assert "TLS handshake failed" in done.stdout and "is it http://?" in done.stdout
    assert obs_fake_server.requests == []  # nothing reached the service as HTTP


def test_the_chain_names_the_provider_that_answered(obs_fake_server: FakeWorkflowServer) -> None:
    done = run_cli("doctor", "--credentials", "chain", env=server_env(obs_fake_server))
    assert done.returncode == 0, done.stdout
    assert "from chain: env (OBS_ACCESS_KEY_ID/OBS_SECRET_ACCESS_KEY)" in done.stdout
    assert obs_fake_server.secret_access_key not in done.stdout + done.stderr
