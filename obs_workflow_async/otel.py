"""OpenTelemetry tracing: one CLIENT span per call (install the ``otel`` extra).

    from obs_workflow_async.otel import OpenTelemetryHook

    client = AsyncWorkflowClient(..., hooks=[OpenTelemetryHook()])

Each call becomes a span named after the API operation (``start_workflow``,
``get_execution``, ...), current while the call runs (so spans of an aiohttp
instrumentation, one per attempt, nest under it), with the standard HTTP client
attributes (``http.request.method``, ``url.full``, ``server.address``,
``server.port``, ``http.response.status_code``, ``error.type``), the service's
request id (``obs.request_id``), the number of attempts (``http.request.resend_count``
counts the retries), the operation and workflow (``obs.operation``,
``obs.workflow.graph_name``) and an event per retry. Failed calls get an ERROR
status. One hook may serve many clients: call ids are unique per process.
This module imports ``opentelemetry``; nothing else in the package does.
"""

from __future__ import annotations

from contextvars import Token

from opentelemetry import context, trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer, TracerProvider
from yarl import URL

from ._version import __version__
from .hooks import RequestEvent

__all__ = ["OpenTelemetryHook"]


class OpenTelemetryHook:
    """A hook that turns each call into a span (see the module docstring)."""

    def __init__(self, tracer_provider: TracerProvider | None = None) -> None:
        self._tracer: Tracer = trace.get_tracer(
            "obs_workflow_async", __version__, tracer_provider=tracer_provider
        )
        self._spans: dict[int, tuple[Span, Token[Context]]] = {}

    def __call__(self, event: RequestEvent) -> None:
        if event.kind == "call_started":
            self._start(event)
            return
        entry = self._spans.get(event.call_id)
        if entry is None:
            return
        span, token = entry
        if event.kind == "attempt_finished" and event.status is not None:
            span.set_attribute("http.response.status_code", event.status)
        elif event.kind == "retry_scheduled":
            span.add_event(
                "retry",
                {
                    "attempt": event.attempt,
                    "delay_s": event.delay or 0.0,
                    "error.type": type(event.error).__name__ if event.error else "",
                },
            )
        elif event.kind == "call_finished":
            del self._spans[event.call_id]
            context.detach(token)
            _finish(span, event)

    def _start(self, event: RequestEvent) -> None:
        """Open the call's span and make it current."""
        url = URL(event.url)
        attributes: dict[str, str | int] = {
            "http.request.method": event.method,
            "url.full": event.url,
            "server.address": url.host or "",
            "server.port": url.port or 0,
            "obs.operation": event.operation or event.method,
        }
        if event.graph_name:
            attributes["obs.workflow.graph_name"] = event.graph_name
        span = self._tracer.start_span(
            event.operation or event.method, kind=SpanKind.CLIENT, attributes=attributes
        )
        # The hook runs inside the call's task: the span is current until the call ends.
        token = context.attach(trace.set_span_in_context(span))
        self._spans[event.call_id] = (span, token)


def _finish(span: Span, event: RequestEvent) -> None:
    """Record how the call ended and end its span."""
    if event.attempt > 1:
        span.set_attribute("http.request.resend_count", event.attempt - 1)
    request_id = event.request_id or getattr(event.error, "request_id", None)
    if request_id:
        span.set_attribute("obs.request_id", request_id)
    if event.status is not None:
        span.set_attribute("http.response.status_code", event.status)
    if event.outcome == "error" and event.error is not None:
        span.set_attribute("error.type", type(event.error).__name__)
        span.set_status(Status(StatusCode.ERROR, str(event.error)))
    elif event.outcome == "cancelled":
        span.set_attribute("error.type", "CancelledError")
        span.set_status(Status(StatusCode.ERROR, "cancelled"))
    span.end()
