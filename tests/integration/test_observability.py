"""Hooks for every step of every call, and the OpenTelemetry integration."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from obs_workflow_async import AsyncWorkflowClient, ServerError
from obs_workflow_async.hooks import RequestEvent
from obs_workflow_async.otel import OpenTelemetryHook
from obs_workflow_async.testing import FakeWorkflowServer, Fault
from tests.conftest import SECRETS


async def test_events_for_each_step() -> None:
    events: list[RequestEvent] = []
    async with FakeWorkflowServer() as server:
        server.add_fault(Fault("status", status=503, retry_after="0"), times=1)
        async with AsyncWorkflowClient(**server.client_kwargs(), hooks=[events.append]) as client:
            await client.start_workflow("g", "media", "k")
    kinds = [e.kind for e in events]
    assert kinds == [
        "call_started",
        "attempt_started",
        "attempt_finished",
        "retry_scheduled",
        "attempt_started",
        "attempt_finished",
        "call_finished",
    ]
    assert {e.call_id for e in events} == {events[0].call_id}
    assert events[2].status == 503 and events[5].status == 200
    assert events[3].delay == 0.0 and events[3].attempt == 2
    final = events[-1]
    assert (final.outcome, final.status, final.attempt) == ("ok", 200, 2)
    assert final.request_id and final.elapsed is not None and final.elapsed > 0
    assert final.path == "/v2/workflows/g" and final.url.endswith("/v2/workflows/g")
    assert all(secret not in repr(e) for e in events for secret in SECRETS)


async def test_hooks_as_metrics_and_a_broken_hook_is_harmless(
    caplog: pytest.LogCaptureFixture,
) -> None:
    statuses: Counter[int] = Counter()

    def metrics(event: RequestEvent) -> None:
        if event.kind == "attempt_finished" and event.status is not None:
            statuses[event.status] += 1

    def broken(event: RequestEvent) -> None:
        raise RuntimeError("metrics backend down")

    async with FakeWorkflowServer() as server:
        server.add_fault(Fault("status", status=500), times=1)
        async with AsyncWorkflowClient(**server.client_kwargs(), hooks=[broken, metrics]) as client:
            with pytest.raises(ServerError):
                await client.start_workflow("g", "media", "a")
            await asyncio.gather(*(client.start_workflow("g", "media", f"k{i}") for i in range(5)))
    assert statuses == {500: 1, 200: 5}
    assert "hook" in caplog.text and "failed" in caplog.text


async def test_opentelemetry_spans() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    async with FakeWorkflowServer() as server:
        server.add_fault(Fault("status", status=503, retry_after="0"), times=1)
        server.add_fault(Fault("status", status=404, code="WorkflowNotFound"), graph="gone")
        hook = OpenTelemetryHook(tracer_provider=provider)
        async with AsyncWorkflowClient(**server.client_kwargs(), hooks=[hook]) as client:
            ok = await client.start_workflow("g", "media", "k")
            with pytest.raises(Exception):  # noqa: B017 - NotFoundError
                await client.start_workflow("gone", "media", "k")
    spans = exporter.get_finished_spans()
    assert len(spans) == 2
    good, bad = spans
    assert good.kind is SpanKind.CLIENT and good.name == "ObsWorkflow.StartWorkflow"
    attributes = dict(good.attributes or {})
    assert attributes["rpc.method"] == "StartWorkflow"
    assert attributes["http.response.status_code"] == 200
    assert attributes["obs.request_id"] == ok.request_id
    assert attributes["http.request.resend_count"] == 1
    assert attributes["server.address"] == "127.0.0.1"
    assert attributes["obs.operation"] == "start_workflow"
    assert attributes["obs.workflow.graph_name"] == "g"
    assert [e.name for e in good.events] == ["retry"]
    assert bad.status.status_code is StatusCode.ERROR
    assert dict(bad.attributes or {})["error.type"] == "obs_workflow_async.errors.NotFoundError"
    assert dict(bad.attributes or {})["http.response.status_code"] == 404
    logging.getLogger(__name__).debug("spans: %s", [s.name for s in spans])


async def test_opentelemetry_call_span_is_current_and_shared_hooks_lose_nothing() -> None:
    """One hook shared by two clients with concurrent calls exports every span, and
    while a call runs its span is the current one (so per-attempt spans nest)."""
    from opentelemetry import trace

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    hook = OpenTelemetryHook(tracer_provider=provider)
    tracer = provider.get_tracer("test")
    current: list[str] = []

    def attempt_span(event: RequestEvent) -> None:
        if event.kind == "attempt_started":
            # what an aiohttp instrumentation would do: a span per attempt
            with tracer.start_as_current_span(f"attempt {event.attempt}"):
                current.append(trace.get_current_span().get_span_context().span_id.__str__())

    async with FakeWorkflowServer() as server:
        server.add_fault(Fault("delay", delay=0.02), times=None)
        kwargs = server.client_kwargs()
        async with (
            AsyncWorkflowClient(**kwargs, hooks=[hook, attempt_span]) as one,
            AsyncWorkflowClient(**kwargs, hooks=[hook, attempt_span]) as two,
        ):
            await asyncio.gather(
                one.start_workflow("g", "media", "a"),
                two.start_workflow("g", "media", "b"),
                one.get_workflow_template("missing-tpl"),
                return_exceptions=True,
            )
    spans = exporter.get_finished_spans()
    calls = [s for s in spans if not s.name.startswith("attempt")]
    attempts = [s for s in spans if s.name.startswith("attempt")]
    assert sorted(s.name for s in calls) == [
        "ObsWorkflow.GetWorkflowTemplate",
        "ObsWorkflow.StartWorkflow",
        "ObsWorkflow.StartWorkflow",
    ]
    by_id = {s.context.span_id: s for s in calls}
    assert len(attempts) == 3
    for attempt in attempts:
        assert attempt.parent is not None and attempt.parent.span_id in by_id
    assert trace.get_current_span() is trace.INVALID_SPAN  # nothing left attached
