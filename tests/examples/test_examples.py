"""Every example in examples/ runs against the fake server, so none can rot."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from fastapi.testclient import TestClient as FastAPITestClient

from examples import aiohttp_app, batch_script, fastapi_app, start_and_wait
from obs_workflow_async import AsyncWorkflowClient
from obs_workflow_async.testing import FakeWorkflowServer, Fault


def test_fastapi_lifespan_owns_one_client(obs_fake_server: FakeWorkflowServer) -> None:
    app = fastapi_app.create_app(**obs_fake_server.client_kwargs())
    with FastAPITestClient(app) as http:
        first = http.post("/uploads", json={"bucket": "media", "object_key": "a.mp4"})
        second = http.post("/uploads", json={"bucket": "media", "object_key": "b.mp4"})
        invalid = http.post("/uploads", json={"bucket": "Bad Bucket", "object_key": "c.mp4"})
        client = app.state.workflows
    assert first.status_code == second.status_code == 201
    assert first.json()["execution_name"] == obs_fake_server.executions[0].execution_name
    assert invalid.status_code == 422 and "bucket" in invalid.json()["detail"]
    assert client.closed  # the lifespan closed it
    # one client for both uploads; each start on a connection of its own (reliability.md)
    assert len(obs_fake_server.peers) == 2


async def test_aiohttp_cleanup_ctx_owns_one_client() -> None:
    async with FakeWorkflowServer() as server:
        server.add_fault(Fault("status", status=500), times=1)
        app = aiohttp_app.create_app(dict(server.client_kwargs()))
        async with TestClient(TestServer(app)) as http:
            failed = await http.post("/uploads", json={"bucket": "media", "object_key": "x"})
            ok = await http.post("/uploads", json={"bucket": "media", "object_key": "y"})
            bad = await http.post("/uploads", json={"bucket": "media", "object_key": ""})
            assert failed.status == 502 and ok.status == 201 and bad.status == 422
            client = app[aiohttp_app.WORKFLOWS]
        assert client.closed
        assert [e.object_key for e in server.executions] == ["y"]


async def test_batch_script(capsys: pytest.CaptureFixture[str]) -> None:
    async with FakeWorkflowServer() as server:
        server.add_fault(Fault("drop"), times=1)
        async with AsyncWorkflowClient(**server.client_kwargs()) as client:
            keys = [f"v/{i}.mp4" for i in range(200)]
            started, ambiguous = await batch_script.run(
                client, batch_script.requests("transcode", "media", keys), len(keys), 16
            )
    assert started == 199 and len(ambiguous) == 1
    assert len(server.executions) == 200  # the dropped one did start: hence "ambiguous"
    assert "200/200" in capsys.readouterr().err


async def test_batch_script_main(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with FakeWorkflowServer() as server:
        for name, value in (
            ("OBS_SERVER", server.url),
            ("OBS_ACCESS_KEY_ID", server.access_key_id),
            ("OBS_SECRET_ACCESS_KEY", server.secret_access_key),
        ):
            monkeypatch.setenv(name, value)
        keys = tmp_path / "keys.txt"
        keys.write_text("a.mp4\nb.mp4\n\nc.mp4\n")
        code = await batch_script.main([str(keys), "--graph", "g", "--bucket", "media"])
        assert code == 0 and len(server.executions) == 3


async def test_start_and_wait(capsys: pytest.CaptureFixture[str]) -> None:
    def outcome(execution: object) -> str:
        return "FAILED" if getattr(execution, "object_key", "") == "broken.mp4" else "SUCCESS"

    server = FakeWorkflowServer(execution_duration=0.05, outcome=outcome)
    async with server, AsyncWorkflowClient(**server.client_kwargs()) as client:
        good = await start_and_wait.start_and_report(client, "g", "media", "a.mp4", 0.02)
        bad = await start_and_wait.start_and_report(client, "g", "media", "broken.mp4", 0.02)
    assert good.succeeded and not bad.succeeded
    out = capsys.readouterr().out
    assert "SUCCESS" in out and "FAILED (failed in process)" in out


def test_examples_are_importable_without_side_effects() -> None:
    assert "examples.fastapi_app" in sys.modules  # imported above, nothing ran


async def test_prometheus_metrics_recipe() -> None:
    from prometheus_client import CollectorRegistry

    from examples.metrics_prometheus import WorkflowMetrics

    registry = CollectorRegistry()
    metrics = WorkflowMetrics(registry)
    async with FakeWorkflowServer() as server:
        server.add_fault(Fault("status", status=503, retry_after="0"), times=1)
        server.add_fault(Fault("status", status=404, code="WorkflowNotFound"), graph="gone")
        async with AsyncWorkflowClient(**server.client_kwargs(), hooks=[metrics]) as client:
            for i in range(3):
                await client.start_workflow("g", "media", f"k{i}")
            with pytest.raises(Exception):  # noqa: B017 - NotFoundError
                await client.start_workflow("gone", "media", "k")

    def value(name: str, **labels: str) -> float:
        found = registry.get_sample_value(name, labels)
        return 0.0 if found is None else found

    ok = {"operation": "start_workflow", "outcome": "ok", "error": ""}
    assert value("obs_workflow_calls_total", **ok) == 3
    failed = {"operation": "start_workflow", "outcome": "error", "error": "NotFoundError"}
    assert value("obs_workflow_calls_total", **failed) == 1
    assert value("obs_workflow_retries_total", operation="start_workflow") == 1
    assert value("obs_workflow_attempts_total", operation="start_workflow", status_class="5xx") == 1
    assert value("obs_workflow_attempts_total", operation="start_workflow", status_class="4xx") == 1
    assert value("obs_workflow_call_duration_seconds_count", operation="start_workflow") == 4
    # no label carries an execution name, object key or request id
    names = {e.execution_name for e in server.executions}
    for family in registry.collect():
        for sample in family.samples:
            assert not set(sample.labels.values()) & names
