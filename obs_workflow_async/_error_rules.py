"""Which exception an HTTP error answer becomes (the status decides the family, the code
refines it), and :func:`may_have_started`, the one rule on whether a failed start may
have started a workflow. Pure functions over the classes of :mod:`.errors`, which
re-exports every name here."""

from __future__ import annotations

from collections.abc import Mapping

from ._error_body import ParsedErrorBody
from ._error_text import excerpt, parse_error_body
from .errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    CredentialsError,
    DiscoveryError,
    InvalidRequestError,
    LoopMismatchError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    StartCancelledError,
    TransportError,
    WaitTimeoutError,
)

__all__ = ["ERROR_CODE_CLASSES", "error_for_status", "may_have_started"]


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
        message = excerpt(body)
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
