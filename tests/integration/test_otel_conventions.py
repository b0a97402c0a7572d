"""Spans follow the OpenTelemetry RPC conventions, distinct for v2 and v3, and the
aiohttp client instrumentation's per-attempt HTTP spans nest under the call's span."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from obs_workflow_async import AsyncWorkflowClient, NotFoundError
from obs_workflow_async.dwr import AsyncDwrClient
from obs_workflow_async.otel import OpenTelemetryHook, error_type
from obs_workflow_async.testing import FakeDwrServer, FakeWorkflowServer, Fault

ROOT = Path(__file__).resolve().parents[2]


def recorder() -> tuple[OpenTelemetryHook, InMemorySpanExporter, TracerProvider]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return OpenTelemetryHook(tracer_provider=provider), exporter, provider


def attrs(span: ReadableSpan) -> dict[str, object]:
    return dict(span.attributes or {})


async def test_v2_spans_are_named_service_dot_operation() -> None:
    hook, exporter, provider = recorder()
    async with FakeWorkflowServer() as server:
        server.add_fault(Fault("status", status=404, code="WorkflowNotFound"), graph="gone")
        async with AsyncWorkflowClient(**server.client_kwargs(), hooks=[hook]) as client:
            await client.start_workflow("g", "media", "k")
            await client.list_workflows()
            with pytest.raises(NotFoundError):
                await client.start_workflow("gone", "media", "k")
    started, listed, missing = exporter.get_finished_spans()
    provider.shutdown()
    assert [s.name for s in (started, listed, missing)] == [
        "ObsWorkflow.StartWorkflow",
        "ObsWorkflow.ListWorkflows",
        "ObsWorkflow.StartWorkflow",
    ]
    assert started.kind is SpanKind.CLIENT
    assert {k: v for k, v in attrs(started).items() if k.startswith(("rpc.", "server."))} == {
        "rpc.system": "huaweicloud-api",
        "rpc.service": "ObsWorkflow",
        "rpc.method": "StartWorkflow",
        "server.address": "127.0.0.1",
        "server.port": server.port,
    }
    assert "error.type" not in attrs(started)
    assert missing.status.status_code is StatusCode.ERROR
    assert attrs(missing)["error.type"] == "obs_workflow_async.errors.NotFoundError"
    assert attrs(missing)["http.response.status_code"] == 404


async def test_v3_spans_are_distinct_from_v2() -> None:
    hook, exporter, provider = recorder()
    async with (
        FakeDwrServer() as server,
        AsyncDwrClient(**server.dwr_client_kwargs(), hooks=[hook]) as client,
    ):
        await client.start_workflow("graph-1", "bucket-a", "in/a.mp4")
    (span,) = exporter.get_finished_spans()
    provider.shutdown()
    assert span.name == "Dwr.StartWorkflow"
    assert attrs(span)["rpc.service"] == "Dwr"
    assert attrs(span)["rpc.method"] == "StartWorkflow"
    assert attrs(span)["rpc.system"] == "huaweicloud-api"


def test_error_type_is_the_fully_qualified_class_name() -> None:
    assert error_type(NotFoundError) == "obs_workflow_async.errors.NotFoundError"
    assert error_type(ValueError("x")) == "ValueError"


SCRIPT = textwrap.dedent(
    """
    import asyncio, json

    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from obs_workflow_async import AsyncWorkflowClient
    from obs_workflow_async.otel import OpenTelemetryHook
    from obs_workflow_async.testing import FakeWorkflowServer, Fault


    async def main() -> None:
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        AioHttpClientInstrumentor().instrument(tracer_provider=provider)
        hook = OpenTelemetryHook(tracer_provider=provider)
        async with FakeWorkflowServer() as server:
            server.add_fault(Fault("status", status=503, retry_after="0"), times=1)
            async with AsyncWorkflowClient(**server.client_kwargs(), hooks=[hook]) as client:
                await client.start_workflow("g", "media", "k")
        AioHttpClientInstrumentor().uninstrument()
        print(json.dumps([
            {
                "name": s.name,
                "kind": s.kind.name,
                "id": s.context.span_id,
                "parent": s.parent.span_id if s.parent else None,
                "attributes": dict(s.attributes or {}),
            }
            for s in exporter.get_finished_spans()
        ]))


    asyncio.run(main())
    """
)


def test_aiohttp_instrumentation_spans_nest_under_the_call_span() -> None:
    """With OTEL_SEMCONV_STABILITY_OPT_IN=http (read once per process: a fresh one),
    each attempt is an HTTP CLIENT span with the stable attributes, child of the RPC
    span; the RPC span carries no URL (that is the HTTP span's)."""
    pytest.importorskip("opentelemetry.instrumentation.aiohttp_client")
    env = dict(os.environ, OTEL_SEMCONV_STABILITY_OPT_IN="http")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    spans = json.loads(done.stdout)
    (call,) = [s for s in spans if s["name"] == "ObsWorkflow.StartWorkflow"]
    attempts = [s for s in spans if s is not call]
    assert len(attempts) == 2  # the 503, then the start
    assert all(a["parent"] == call["id"] and a["kind"] == "CLIENT" for a in attempts)
    assert [a["attributes"]["http.response.status_code"] for a in attempts] == [503, 200]
    assert all(a["attributes"]["http.request.method"] == "POST" for a in attempts)
    assert all("url.full" in a["attributes"] for a in attempts)  # the stable names
    assert call["attributes"]["rpc.method"] == "StartWorkflow"
    assert call["attributes"]["http.request.resend_count"] == 1
    assert "url.full" not in call["attributes"]
