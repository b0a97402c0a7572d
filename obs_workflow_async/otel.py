"""OpenTelemetry tracing: one CLIENT span per call (install the ``otel`` extra).

    from obs_workflow_async.otel import OpenTelemetryHook

    client = AsyncWorkflowClient(..., hooks=[OpenTelemetryHook()])

Each call becomes a span named after the HTTP method, with the standard HTTP client
attributes (``http.request.method``, ``url.full``, ``server.address``,
``server.port``, ``http.response.status_code``, ``error.type``), the service's
request id (``obs.request_id``), the number of attempts (``http.request.resend_count``
counts the retries) and an event per retry. Failed calls get an ERROR status.
This module imports ``opentelemetry``; nothing else in the package does.
"""

from __future__ import annotations

from opentelemetry import trace
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
        self._spans: dict[int, Span] = {}

    def __call__(self, event: RequestEvent) -> None:
        if event.kind == "call_started":
            url = URL(event.url)
            self._spans[event.call_id] = self._tracer.start_span(
                event.method,
                kind=SpanKind.CLIENT,
                attributes={
                    "http.request.method": event.method,
                    "url.full": event.url,
                    "server.address": url.host or "",
                    "server.port": url.port or 0,
                },
            )
            return
        span = self._spans.get(event.call_id)
        if span is None:
            return
        if event.kind == "attempt_finished" and event.status is not None:
            span.set_attribute("http.response.status_code", event.status)
        elif event.kind == "retry_scheduled":
            span.add_event(
                "retry",
                {"attempt": event.attempt, "delay_s": event.delay or 0.0,
                 "error.type": type(event.error).__name__ if event.error else ""},
            )  # fmt: skip
        elif event.kind == "call_finished":
            del self._spans[event.call_id]
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
