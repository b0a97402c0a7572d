"""OpenTelemetry tracing: one CLIENT span per call (install the ``otel`` extra).

    from obs_workflow_async.otel import OpenTelemetryHook

    client = AsyncWorkflowClient(..., hooks=[OpenTelemetryHook()])

Each call becomes a span that follows the OpenTelemetry RPC conventions, as the
botocore instrumentation does for AWS (``S3.ListBuckets``): named
``{rpc.service}.{rpc.method}``, ``ObsWorkflow.StartWorkflow`` for the v2 API and
``Dwr.StartWorkflow`` for DWR v3 (``Iam.DiscoverProjectId`` for the v3 client's
project lookup), with ``rpc.system`` (``huaweicloud-api``), ``rpc.service``,
``rpc.method``, ``server.address``, ``server.port``, ``error.type`` (the fully
qualified class name of the error, ``obs_workflow_async.errors.NotFoundError``), the
last answer's ``http.response.status_code``, ``http.request.resend_count`` (the
retries), the service's request id (``obs.request_id``), the operation and workflow
(``obs.operation``, ``obs.workflow.graph_name``) and an event per retry. Failed and
cancelled calls get an ERROR status.

The span is current while the call runs, so the spans of the aiohttp client
instrumentation (``opentelemetry-instrumentation-aiohttp-client``), one per attempt
with the HTTP attributes (method, URL, status), nest under it: one RPC span per
call, one HTTP span per attempt. One hook may serve many clients: call ids are
unique per process. This module imports ``opentelemetry``; nothing else in the
package does.
"""

from __future__ import annotations

from contextvars import Token

from opentelemetry import context, trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer, TracerProvider
from yarl import URL

from ._version import __version__
from .hooks import RequestEvent

__all__ = ["RPC_SYSTEM", "OpenTelemetryHook", "error_type", "rpc_names"]

RPC_SYSTEM = "huaweicloud-api"
"""``rpc.system`` of every span (as ``aws-api`` for the AWS SDKs)."""
V2_SERVICE = "ObsWorkflow"
V3_SERVICE = "Dwr"
IAM_SERVICE = "Iam"


def rpc_names(event: RequestEvent) -> tuple[str, str]:
    """``(rpc.service, rpc.method)`` of a call: ``("ObsWorkflow", "StartWorkflow")`` for
    the v2 API, ``("Dwr", "StartWorkflow")`` for DWR v3 (its paths start ``/v3/``).

    :param event: The call's :class:`~obs_workflow_async.hooks.RequestEvent` (its operation
        and URL name the service and method).
    :returns: ``(rpc.service, rpc.method)``.
    """
    operation = event.operation or event.method
    method = "".join(part[:1].upper() + part[1:] for part in operation.split("_"))
    if operation == "discover_project_id":
        return IAM_SERVICE, method
    path = URL(event.url).path
    return (V3_SERVICE if path.startswith("/v3/") else V2_SERVICE), method


def error_type(error: BaseException | type[BaseException]) -> str:
    """The fully qualified class name, as the conventions ask of ``error.type``
    (``obs_workflow_async.errors.NotFoundError``; builtins keep their bare name).

    :param error: The exception raised, or its class.
    :returns: The class's qualified name, prefixed by its module unless a builtin.
    """
    cls = error if isinstance(error, type) else type(error)
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


class OpenTelemetryHook:
    """A hook that turns each call into a span (see the module docstring).

    :param tracer_provider: Where the spans go; ``None``: the global provider.
    """

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
                    "error.type": error_type(event.error) if event.error else "",
                },
            )
        elif event.kind == "call_finished":
            del self._spans[event.call_id]
            context.detach(token)
            _finish(span, event)

    def _start(self, event: RequestEvent) -> None:
        """Open the call's span and make it current."""
        url = URL(event.url)
        service, method = rpc_names(event)
        attributes: dict[str, str | int] = {
            "rpc.system": RPC_SYSTEM,
            "rpc.service": service,
            "rpc.method": method,
            "server.address": url.host or "",
            "server.port": url.port or 0,
            "obs.operation": event.operation or event.method,
        }
        if event.graph_name:
            attributes["obs.workflow.graph_name"] = event.graph_name
        span = self._tracer.start_span(
            f"{service}.{method}", kind=SpanKind.CLIENT, attributes=attributes
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
        span.set_attribute("error.type", error_type(event.error))
        span.set_status(Status(StatusCode.ERROR, str(event.error)))
    elif event.outcome == "cancelled":
        span.set_attribute("error.type", "asyncio.CancelledError")
        span.set_status(Status(StatusCode.ERROR, "cancelled"))
    span.end()
