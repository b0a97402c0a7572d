"""One call's values: what to send (:class:`RequestSpec`), how (:class:`CallOptions`),
the 2xx answer (:class:`RawResponse`), and what the retry loop carries from attempt to
attempt. :mod:`._pipeline` re-exports the first three, where the clients import them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from . import _signing as signing
from ._config import RetryConfig, Timeout
from ._retry import Failure
from .errors import APIStatusError, TransportError

__all__ = [
    "IDEMPOTENT_METHODS",
    "CallOptions",
    "CallState",
    "Failed",
    "Outcome",
    "RawResponse",
    "RequestSpec",
    "log_fields",
    "answer_request_id",
]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class RequestSpec(NamedTuple):
    """One logical call, before signing: what to send where."""

    method: str
    key: str
    """Unencoded resource path without the leading slash, e.g. ``v2/workflows/g``."""
    query: tuple[tuple[str, str | None], ...] = ()
    body: bytes | None = None
    target: str | None = None
    """What the call is addressed to within the endpoint, placed by the API's dialect
    (the OBS dialect: a bucket, as a virtual host or the path's first segment); ``None``
    for a call to the endpoint itself."""
    operation: str = ""
    """The API operation (``start_workflow``, ...): a low-cardinality label for hooks."""
    graph_name: str | None = None
    """The workflow the call concerns, if any (a label for hooks)."""

    @property
    def idempotent(self) -> bool:
        return self.method in IDEMPOTENT_METHODS

    @property
    def path(self) -> str:
        """Path and query as sent to the endpoint (or a ``target`` placed in the host)."""
        return "/" + signing.encode_object_key(self.key) + signing.encode_query(self.query)


class CallOptions(NamedTuple):
    """The effective timeout, deadline and retry settings of one call."""

    timeout: Timeout
    retry: RetryConfig
    deadline: float | None = None
    """Seconds across all attempts and backoff sleeps of the call, or ``None``."""
    on_failed_attempt: Callable[[APIStatusError | TransportError], None] | None = None
    """Called with the error of every failed attempt, retried or not (batch throttling)."""


class RawResponse(NamedTuple):
    """A successful (2xx) answer."""

    status: int
    reason: str | None
    headers: Mapping[str, str]
    """Case-insensitive (aiohttp's ``CIMultiDictProxy``); not copied."""
    body: bytes
    request_id: str | None
    retries_taken: int = 0


class CallState:
    """What one call carries from attempt to attempt."""

    __slots__ = ("any_sent", "deadline_at", "retries", "waited")

    def __init__(self, deadline_at: float | None) -> None:
        self.deadline_at = deadline_at
        self.retries = 0
        self.waited = 0.0
        """Seconds slept between attempts so far (against ``RetryConfig.max_retry_wait``)."""
        self.any_sent = False
        """Whether any attempt so far may have reached the service."""


class Failed(NamedTuple):
    """How one attempt failed: the public error, its retry class, and the cause."""

    error: APIStatusError | TransportError
    failure: Failure
    retry_after: float | None
    cause: BaseException | None


Outcome = RawResponse | tuple[Failed, float | None]
"""What one attempt came to: the 2xx answer, or how it failed and the delay before the
next attempt (``None``: no next attempt)."""


def log_fields(spec: RequestSpec, retries: int, **fields: object) -> dict[str, object]:
    """Structured fields of a log record (``record.operation``, ``record.attempt``, ...)."""
    return {
        "operation": spec.operation or spec.method,
        "graph_name": spec.graph_name,
        "method": spec.method,
        "attempt": retries + 1,
        **fields,
    }


def answer_request_id(headers: Mapping[str, str]) -> str | None:
    return headers.get("x-request-id") or headers.get("x-obs-request-id")
