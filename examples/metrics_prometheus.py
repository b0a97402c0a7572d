"""Prometheus metrics from the client's hooks: calls, latency, attempts and retries.

    from prometheus_client import CollectorRegistry, start_http_server

    registry = CollectorRegistry()
    metrics = WorkflowMetrics(registry)
    client = AsyncWorkflowClient(..., hooks=[metrics])
    start_http_server(9100, registry=registry)

Labels are low-cardinality on purpose: the operation (``start_workflow``,
``get_execution``, ...), the outcome (``ok``, ``error``, ``cancelled``), the error
class, and the status class (``2xx``, ``5xx``, ``none`` for no answer). Never label by
execution name, object key or request id: every value of a label is a new time
series.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from obs_workflow_async.hooks import RequestEvent

__all__ = ["WorkflowMetrics"]


class WorkflowMetrics:
    """A hook (``hooks=[WorkflowMetrics(registry)]``) that records every call."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.calls = Counter(
            "obs_workflow_calls",
            "Calls by operation, outcome and error class.",
            ["operation", "outcome", "error"],
            registry=registry,
        )
        self.duration = Histogram(
            "obs_workflow_call_duration_seconds",
            "Whole-call duration (retries and waits included) by operation.",
            ["operation"],
            registry=registry,
        )
        self.attempts = Counter(
            "obs_workflow_attempts",
            "HTTP attempts by operation and status class.",
            ["operation", "status_class"],
            registry=registry,
        )
        self.retries = Counter(
            "obs_workflow_retries",
            "Retries scheduled by operation.",
            ["operation"],
            registry=registry,
        )

    def __call__(self, event: RequestEvent) -> None:
        operation = event.operation or event.method
        if event.kind == "attempt_finished":
            status = f"{event.status // 100}xx" if event.status is not None else "none"
            self.attempts.labels(operation, status).inc()
        elif event.kind == "retry_scheduled":
            self.retries.labels(operation).inc()
        elif event.kind == "call_finished":
            error = type(event.error).__name__ if event.error is not None else ""
            self.calls.labels(operation, event.outcome or "", error).inc()
            if event.elapsed is not None:
                self.duration.labels(operation).observe(event.elapsed)
