"""The exception hierarchy: everything the client raises derives from :class:`ObsWorkflowError`.

::

    ObsWorkflowError
    ├── InvalidRequestError (ValueError)     an argument broke a rule; nothing was sent
    ├── CredentialsError                     no usable keys; nothing was sent
    ├── ClientClosedError (RuntimeError)     the client is closed
    ├── LoopMismatchError (RuntimeError)     the client was used from another event loop
    ├── APIStatusError                       the service answered an error status
    │   ├── BadRequestError                  400
    │   ├── AuthenticationError              401
    │   │   └── PermissionDeniedError        403
    │   ├── NotFoundError                    404
    │   ├── ConflictError                    409
    │   ├── RateLimitError                   429
    │   └── ServerError                      5xx
    │       └── ServiceUnavailableError      503
    ├── TransportError                       no (complete) answer; ``request_sent``
    │   └── RequestTimeoutError (TimeoutError)
    ├── DiscoveryError                       a value the call needs could not be found; not sent
    ├── WaitTimeoutError (TimeoutError)      an awaited execution did not finish in time
    ├── ExecutionFailedError                 an awaited execution did not succeed
    ├── ResponseParseError                   a 2xx whose body is not the expected JSON
    ├── StartCancelledError                  a batch item cancelled in flight
    └── UnexpectedError                      anything unforeseen (``__cause__``)

:func:`may_have_started` decides, for any of them, whether a failed start may still
have started a workflow. The aiohttp or OS exception behind a :class:`TransportError`
is replaced by a :class:`RedactedCause` (no request headers, no frames).
``asyncio.CancelledError`` is never caught, wrapped or swallowed. ``str()`` of every
error shows the service's text with control characters escaped (:func:`visible`);
the attributes (``message``, ``code``, ...) keep it as it came. Of the package this
module imports only the error text (``_error_text``: reading and escaping it) and the
error-body reader (``_error_body``, which imports nothing); the rules choosing a class
(:func:`error_for_status`, :data:`ERROR_CODE_CLASSES`) and :func:`may_have_started`
are in ``_error_rules``, imported on first use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ._error_body import ParsedErrorBody as ParsedErrorBody
from ._error_text import ERROR_BODY_PREFIX as ERROR_BODY_PREFIX
from ._error_text import ERROR_BODY_RULES as ERROR_BODY_RULES
from ._error_text import parse_error_body, visible

if TYPE_CHECKING:
    from ._error_rules import ERROR_CODE_CLASSES, error_for_status, may_have_started

__all__ = [
    "APIStatusError",
    "ExecutionFailedError",
    "WaitTimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "CredentialsError",
    "DiscoveryError",
    "ERROR_CODE_CLASSES",
    "ErrorDetail",
    "InvalidRequestError",
    "LoopMismatchError",
    "NotFoundError",
    "ObsWorkflowError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTimeoutError",
    "ResponseParseError",
    "ServerError",
    "ServiceUnavailableError",
    "StartCancelledError",
    "TransportError",
    "UnexpectedError",
    "error_for_status",
    "may_have_started",
    "parse_error_body",
    "visible",
]


def _rebuild(cls: type[BaseException], args: tuple[object, ...]) -> BaseException:
    """An exception of ``cls`` with ``args``, without calling its ``__init__`` (its
    attributes are restored from the pickled state afterwards)."""
    exc = cls.__new__(cls, *args)
    exc.args = args  # OSError's __new__ (TimeoutError) leaves them to __init__
    return exc


class ObsWorkflowError(Exception):
    """Root of every exception this package raises.

    ``str(error)`` never holds a raw control character (:func:`visible`): the text a
    service sent (its code, message, request id, reason) is shown escaped, so it
    cannot forge a log line. The attributes keep that text as it came.
    """

    def __str__(self) -> str:
        return visible(super().__str__())

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled as its class, ``args`` and attributes, rebuilt without calling
        # ``__init__`` (whose keyword-only arguments ``args`` does not hold): an error
        # crossing a process boundary keeps ``request_sent`` and every other field.
        return (_rebuild, (type(self), self.args), self.__dict__)

    @property
    def may_have_started(self) -> bool:
        """Whether the failed call may have started a workflow (:func:`may_have_started`)."""
        return may_have_started(self)


class ClientClosedError(ObsWorkflowError, RuntimeError):
    """The client was closed (or is bound to another event loop) and cannot send."""


class LoopMismatchError(ObsWorkflowError, RuntimeError):
    """The client was used from another event loop than the one it first ran in.

    A client (its pooled connections) belongs to one loop: create one per loop, for
    example one per ``asyncio.run``.
    """


class CredentialsError(ObsWorkflowError):
    """No usable credentials: raised before any request is sent."""


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """One failed validation rule."""

    field: str
    rule: str

    def __str__(self) -> str:
        return f"{self.field}: {self.rule}"


class InvalidRequestError(ObsWorkflowError, ValueError):
    """An argument broke a documented rule; nothing was sent.

    ``errors`` lists every broken rule; ``field`` is the first one's field name.
    """

    def __init__(self, errors: list[ErrorDetail]) -> None:
        self.errors: tuple[ErrorDetail, ...] = tuple(errors)
        self.field: str = errors[0].field if errors else ""
        super().__init__("; ".join(str(e) for e in errors) or "invalid request")

    def __str__(self) -> str:
        return visible("invalid request: " + "; ".join(str(e) for e in self.errors))


class TransportError(ObsWorkflowError):
    """The request did not complete at the HTTP level (connect failure, reset, timeout).

    ``request_sent`` tells whether the request may have reached the service: when
    it is ``True`` the outcome is *ambiguous* (a workflow may have been started), when
    ``False`` the service cannot have acted on it.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        url: str,
        request_sent: bool,
        retries_taken: int = 0,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url
        self.request_sent = request_sent
        self.retries_taken = retries_taken

    def __str__(self) -> str:
        sent = "request may have been processed" if self.request_sent else "request not sent"
        return visible(
            f"{self.message} ({self.method} {self.url}; {sent}; "
            f"retries taken: {self.retries_taken})"
        )


class RequestTimeoutError(TransportError, TimeoutError):
    """A per-attempt timeout or the call's deadline expired."""


class WaitTimeoutError(ObsWorkflowError, TimeoutError):
    """An execution did not reach a terminal state within the wait's timeout.

    ``graph_name``, ``execution_name``, ``timeout`` and ``last_state`` (as last
    polled) name it; the execution itself goes on running on the service. It is not
    a :class:`TransportError`: nothing failed on the wire.
    """

    def __init__(
        self,
        *,
        graph_name: str,
        execution_name: str,
        timeout: float,
        last_state: str | None,
    ) -> None:
        self.message: str = (
            f"execution {execution_name} of workflow {graph_name} did not finish within "
            f"{timeout:g}s (last state: {last_state or 'unknown'})"
        )
        super().__init__(self.message)
        self.graph_name = graph_name
        self.execution_name: str = execution_name
        self.timeout = timeout
        self.last_state = last_state

    def __str__(self) -> str:
        return visible(self.message)


class UnexpectedError(ObsWorkflowError):
    """Something the library did not foresee went wrong while handling a call.

    The original exception is ``__cause__``. Whether anything was started is not
    known, so :func:`may_have_started` is ``True`` for it.
    """


class StartCancelledError(ObsWorkflowError):
    """A batch item still in flight when its run was left (``break``, an exception,
    cancellation, ``aclose()``); it was cancelled.

    ``request_sent`` is ``False`` only when its start had not begun at all; otherwise
    the start may have reached the service, so :func:`may_have_started` is ``True``.
    """

    def __init__(self, message: str, *, request_sent: bool) -> None:
        super().__init__(message)
        self.request_sent = request_sent


class DiscoveryError(ObsWorkflowError):
    """A value the call needs could not be found out, so the call was **not sent**.

    Raised by :class:`~obs_workflow_async.dwr.AsyncDwrClient` when asking IAM for the
    project id fails (an error answer, a timeout, a lost connection, an oversized or
    unreadable answer, the call's deadline): nothing was sent to DWR, so
    ``request_sent`` is ``False`` and :func:`may_have_started` is ``False`` (safe to
    call again; the next call asks IAM again). ``__cause__`` is the discovery
    request's own error (``cause`` too), whose class tells what went wrong.
    """

    request_sent = False
    """Always ``False``: the call this error ends was never sent."""

    def __init__(self, message: str, *, cause: ObsWorkflowError | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.cause = cause
        self.retries_taken: int = getattr(cause, "retries_taken", 0)
        """Retries of the discovery request."""


class RedactedCause(Exception):  # noqa: N818 - it stands in for another exception
    """Stands in for the aiohttp or OS exception behind a :class:`TransportError`.

    It keeps that exception's type name (``type_name``) and message with credentials
    removed, and nothing else: no request headers (aiohttp's ``RequestInfo`` holds
    the ``Authorization`` and security-token headers), no traceback and so no frame
    locals. It is what ``TransportError.__cause__`` holds.
    """

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(f"{type_name}: {message}" if message else type_name)
        self.type_name = type_name

    def __str__(self) -> str:
        return visible(super().__str__())

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self.args), self.__dict__)


class _StateRun(Protocol):
    @property
    def status(self) -> str | None: ...


class _State(Protocol):
    @property
    def value(self) -> str: ...


class FinishedExecution(Protocol):
    """What :class:`ExecutionFailedError` reads of an execution
    (:class:`~obs_workflow_async.models.ExecutionDetail` is one)."""

    @property
    def graph_urn(self) -> str | None: ...

    @property
    def execution_name(self) -> str: ...

    @property
    def execution_state(self) -> _State: ...

    @property
    def state_map(self) -> Mapping[str, _StateRun]: ...


class ExecutionFailedError(ObsWorkflowError):
    """An awaited execution ended in a state other than SUCCESS (``raise_on_failure=True``).

    ``execution`` is the final :class:`~obs_workflow_async.models.ExecutionDetail`.
    """

    def __init__(self, execution: FinishedExecution) -> None:
        self.execution = execution
        self.graph_urn: str | None = execution.graph_urn
        self.execution_name: str = execution.execution_name
        self.state: str = str(execution.execution_state.value)
        failed = [
            name
            for name, run in execution.state_map.items()
            if run.status and run.status.upper() in ("FAILED", "FAIL")
        ]
        where = f" in state {', '.join(failed)}" if failed else ""
        super().__init__(f"execution {self.execution_name} ended {self.state}{where}")


class APIStatusError(ObsWorkflowError):
    """The service answered with an HTTP error status.

    ``code``, ``message`` and ``request_id`` come from the error body (JSON or the
    generic OBS XML form) or the headers; ``body`` is the raw text (bounded).
    """

    def __init__(
        self,
        *,
        status: int,
        code: str | None,
        message: str | None,
        request_id: str | None,
        headers: Mapping[str, str],
        body: str,
        reason: str | None = None,
        retries_taken: int = 0,
        retry_after: float | None = None,
        host_id: str | None = None,
        resource: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.headers: dict[str, str] = {k.lower(): v for k, v in headers.items()}
        self.body = body
        self.reason = reason
        self.retries_taken = retries_taken
        self.retry_after = retry_after
        self.host_id = host_id
        self.resource = resource
        self.method = method
        """The request's method (``POST``, ``GET``, ...)."""
        self.url = url
        """The request's URL without its query string."""
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return visible(
            f"HTTP {self.status} {self.code or '-'}: {self.message or self.reason or '-'} "
            f"(request id: {self.request_id or '-'})"
        )


class BadRequestError(APIStatusError):
    """400: the service rejected the request's content."""


class AuthenticationError(APIStatusError):
    """401 or 403: credentials, signature, clock or permissions."""


class PermissionDeniedError(AuthenticationError):
    """403: signature mismatch, clock skew, access denied."""


class NotFoundError(APIStatusError):
    """404: no such workflow, bucket or API."""


class ConflictError(APIStatusError):
    """409: a conflicting operation."""


class RateLimitError(APIStatusError):
    """429: too many requests."""


class ServerError(APIStatusError):
    """5xx: the service failed."""


class ServiceUnavailableError(ServerError):
    """503: the service is overloaded; it did not act on the request."""


class ResponseParseError(ObsWorkflowError):
    """A 2xx answer whose body is not the JSON the call expects."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        request_id: str | None,
        body: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.request_id = request_id
        self.body = body
        self.headers: dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return visible(
            f"unexpected response body for HTTP {self.status}: {self.message} "
            f"(request id: {self.request_id or '-'})"
        )


# The rules picking a class for an answer, and may_have_started, use the classes above:
# they live in ._error_rules (which imports this module) and are imported on first use.
_RULES = frozenset({"ERROR_CODE_CLASSES", "error_for_status", "may_have_started"})

if not TYPE_CHECKING:  # type checkers see the imports above

    def __getattr__(name: str) -> object:
        if name not in _RULES:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from . import _error_rules

        value = getattr(_error_rules, name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *_RULES})
