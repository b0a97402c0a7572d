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
module imports only the error-body reader (``_error_body``, which imports nothing).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from ._error_body import ErrorBodyRules, read_error_body, writable
from ._error_body import ParsedErrorBody as ParsedErrorBody

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

_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
"""Control characters (C0, DEL, C1), line and paragraph separators, and the bidi
controls that can reorder what a terminal shows."""
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    short = _SHORT_ESCAPES.get(char)
    if short is not None:
        return short
    point = ord(char)
    return f"\\x{point:02x}" if point <= 0xFF else f"\\u{point:04x}"


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def visible(text: str, *, json_text: bool = False) -> str:
    """``text`` with every control character escaped (``\\r``, ``\\n``, ``\\x1b``,
    ``\\u2028``, ...), so that text from a service cannot forge a log line or drive a
    terminal. Everything else (any script, emoji) is kept as it is. With
    ``json_text``, ``text`` is one line of JSON and the escapes are JSON's (``\\u007f``),
    for what :func:`json.dumps` leaves raw (DEL, C1 controls, U+2028, bidi controls).

    :param text: The text to show.
    :param json_text: ``text`` is one line of JSON: escape as JSON does.
    """
    return _INVISIBLE.sub(_json_escape if json_text else _escape, text)


class ObsWorkflowError(Exception):
    """Root of every exception this package raises.

    ``str(error)`` never holds a raw control character (:func:`visible`): the text a
    service sent (its code, message, request id, reason) is shown escaped, so it
    cannot forge a log line. The attributes keep that text as it came.
    """

    def __str__(self) -> str:
        return visible(super().__str__())

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


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}

ERROR_CODE_CLASSES: dict[str, type[APIStatusError]] = {
    # Huawei Cloud API gateway (DWR v3): throttling and signature/clock codes, with any
    # 4xx status. A more specific status class (403) is kept; a 5xx stays a ServerError.
    "APIG.0308": RateLimitError,
    "APIGW.0308": RateLimitError,
    "APIG.0301": AuthenticationError,
    "APIGW.0301": AuthenticationError,
    "APIG.0303": AuthenticationError,
    "APIGW.0303": AuthenticationError,
}
"""Error codes that refine the class of a 4xx answer; extend it to map another API's
codes (the status class applies when it is a subclass of the code's). The status
decides the family: a code never makes a 5xx (or 1xx-3xx)
answer a :class:`RateLimitError`, nor a 4xx a :class:`ServerError`."""

ERROR_BODY_PREFIX = 64 * 1024
"""Characters of an error body that :func:`parse_error_body` reads; the rest is ignored."""

ERROR_BODY_RULES = ErrorBodyRules(
    pairs=(("code", "message"), ("error_code", "error_msg"), ("errorCode", "errorMsg")),
    xml_fields=(
        ("code", "Code"),
        ("message", "Message"),
        ("request_id", "RequestId"),
        ("host_id", "HostId"),
        ("resource", "Resource"),
    ),
    xml_unwrap='xmlns="http.*?"',
    limit=ERROR_BODY_PREFIX,
)
"""How :func:`parse_error_body` reads a body (the v2 API's, as esdk-obs-python reads
it): JSON ``code``/``message``/``request_id`` (each field the first of its keys
present: ``code``, ``error_code``, ``errorCode``), or the XML ``<Error>`` form read
as ElementTree reads it, its first ``xmlns="http..."`` declaration removed first, as
the SDK does."""


def parse_error_body(body: str) -> ParsedErrorBody:
    """Read ``code``/``message``/``request_id`` from a JSON or XML error body.

    Accepts the v2 form ``{code, message, request_id}``, ``{error_code, error_msg}``
    and ``<Error><Code/>...</Error>`` (:data:`ERROR_BODY_RULES`, read by the one
    error-body reader, ``obs_workflow_async._error_body``: XML as ElementTree reads
    it, no DTD, a body cut short read up to the cut); anything else gives an empty
    result. Never raises, and reads at most :data:`ERROR_BODY_PREFIX` characters (a
    longer JSON body is not parsed). The fields never hold a lone surrogate (replaced
    by U+FFFD). :class:`~obs_workflow_async.compat.WorkflowClient` reads error bodies
    with the same function, so both views of an answer agree.
    """
    return read_error_body(body, ERROR_BODY_RULES)


def _excerpt(body: str) -> str | None:
    """A short single-line excerpt of a non-JSON, non-XML body (a proxy's HTML page)."""
    words = body[:8192].split()
    return writable(" ".join(words)[:200]) if words else None


def _error_class(status: int, code: str | None) -> type[APIStatusError]:
    """The class of an error answer: the status decides the family, the code refines it.

    A 5xx is a :class:`ServerError` (503 :class:`ServiceUnavailableError`), a 1xx, 2xx
    or 3xx an :class:`APIStatusError`, whatever the code: a class users catch to send
    again (:class:`RateLimitError`, :class:`ServiceUnavailableError`) is never raised
    for an answer that may have started something. Only a 4xx answer takes the class
    of its code in :data:`ERROR_CODE_CLASSES` (``400`` + ``APIG.0308`` is a
    :class:`RateLimitError`), unless its status class is already as specific, and
    never a :class:`ServerError`. The code stays on the error (``.code``) either way.
    """
    cls = _STATUS_CLASSES.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else APIStatusError
    if not 400 <= status < 500 or not code:
        return cls
    by_code = ERROR_CODE_CLASSES.get(code)
    if by_code is None or issubclass(cls, by_code) or issubclass(by_code, ServerError):
        return cls
    return by_code


def error_for_status(
    *,
    status: int,
    reason: str | None,
    headers: Mapping[str, str],
    body: str,
    request_id: str | None,
    retries_taken: int,
    retry_after: float | None,
    method: str | None = None,
    url: str | None = None,
    parsed: ParsedErrorBody | None = None,
) -> APIStatusError:
    """Build the typed exception for an HTTP error answer (``parsed``: the body as the
    API's own reader read it, else :func:`parse_error_body`).

    :param status: The HTTP status code.
    :param reason: The HTTP reason phrase; ``None`` if the answer had none.
    :param headers: The answer's HTTP headers by name.
    :param body: The answer's body, decoded.
    :param request_id: The service's request id (``X-Request-ID``).
    :param retries_taken: Retries made before this answer.
    :param retry_after: Seconds the service asked to wait (``Retry-After``).
    :param method: The request's HTTP method, kept as the error's ``method``.
    :param url: The request's URL, kept as the error's ``url``.
    :param parsed: The body as the API's own reader read it; ``None``: parsed here.
    :returns: The exception (a subclass of ``APIStatusError`` by status and code).
    """
    if parsed is None:
        parsed = parse_error_body(body)
    cls = _error_class(status, parsed.code)
    message = parsed.message
    if message is None and parsed.code is None:
        # A proxy's HTML page or plain text: keep a short, single-line excerpt.
        message = _excerpt(body)
    return cls(
        status=status,
        code=parsed.code,
        message=message,
        request_id=request_id or parsed.request_id,
        headers=headers,
        body=body,
        reason=reason,
        retries_taken=retries_taken,
        retry_after=retry_after,
        host_id=parsed.host_id,
        resource=parsed.resource,
        method=method,
        url=url,
    )


def may_have_started(error: BaseException) -> bool:
    """The one rule: may the failed start have started a workflow on the service?

    ``False`` (definite: nothing started, safe to send again) only when

    - the arguments failed validation (:class:`InvalidRequestError`), the client was
      closed or had no credentials (nothing was built or sent);
    - the connection was never made, or nothing of the request was written
      (:class:`TransportError` with ``request_sent=False``), or what the call needed
      could not be discovered (:class:`DiscoveryError`: the call was never sent);
    - the service answered 4xx (429 included: it refused before acting), or 503
      (it documents that it did not act) once the retries were used up.

    Everything else *may have started*: any other 5xx, a 1xx or 3xx answer, any 2xx
    (whatever its body: :class:`ResponseParseError`), a timeout or a lost
    connection after sending, and anything unexpected (an unknown case defaults to
    "may have started").

    :param error: What the start raised (any exception).
    """
    if isinstance(
        error, InvalidRequestError | ClientClosedError | LoopMismatchError | CredentialsError
    ):
        return False
    if isinstance(error, WaitTimeoutError):
        return True  # not a start failure at all: the start succeeded before the wait
    if isinstance(error, DiscoveryError):
        return False  # the call was never sent: what it needed could not be found
    if isinstance(error, TransportError | StartCancelledError):
        return error.request_sent
    if isinstance(error, APIStatusError):
        return not (400 <= error.status < 500 or error.status == 503)
    return True
