"""The errors of one attempt, each built once: a transport failure, an HTTP error answer
(read by the API's dialect when it has its own error-body reader), an exhausted deadline."""

from __future__ import annotations

from collections.abc import Callable

from yarl import URL

from ._call import CallOptions, Failed, RequestSpec
from ._retry import classify_status, parse_retry_after
from .errors import (
    ParsedErrorBody,
    RequestTimeoutError,
    TransportError,
    error_for_status,
    parse_error_body,
)
from .transport import Answer, SendError

__all__ = ["deadline_error", "status_failure", "transport_error"]


def transport_error(
    failure: SendError,
    spec: RequestSpec,
    url: URL,
    retries: int,
    any_sent: bool,
    suffix: str,
) -> Failed:
    cls = RequestTimeoutError if failure.timed_out else TransportError
    error = cls(
        failure.message + suffix,
        method=spec.method,
        url=str(url.with_query(None)),
        request_sent=any_sent or failure.request_sent,
        retries_taken=retries,
    )
    return Failed(error, failure.failure, None, failure.cause)


def status_failure(
    answer: Answer,
    request_id: str | None,
    retries: int,
    spec: RequestSpec,
    url: URL,
    dialect: object,
) -> Failed:
    """Map an HTTP error answer to our error and its retry class."""
    text = answer.body.decode("utf-8", errors="replace")
    retry_after = parse_retry_after(answer.headers)
    # A dialect may read its API's error bodies its own way (DWR v3: as its SDK).
    reader: Callable[[str, int], ParsedErrorBody] | None = getattr(dialect, "read_error_body", None)
    parsed = reader(text, answer.status) if reader is not None else parse_error_body(text)
    error = error_for_status(
        status=answer.status,
        reason=answer.reason,
        headers=answer.headers,
        body=text,
        request_id=request_id or parsed.request_id,
        retries_taken=retries,
        retry_after=retry_after,
        method=spec.method,
        url=str(url.with_query(None)),
        parsed=parsed,
    )
    return Failed(error, classify_status(answer.status), retry_after, None)


def deadline_error(
    options: CallOptions,
    spec: RequestSpec,
    url: URL,
    any_sent: bool,
    retries: int,
    what: str = "",
) -> RequestTimeoutError:
    limit = (
        f"deadline of {options.deadline}s" if options.deadline is not None else "attempt timeout"
    )
    return RequestTimeoutError(
        f"{limit} exceeded{what}",
        method=spec.method,
        url=str(url.with_query(None)),
        request_sent=any_sent,
        retries_taken=retries,
    )


def ended_after_sending(
    exc: BaseException, spec: RequestSpec, url: URL, retries: int
) -> TransportError:
    """The error of a call that an earlier attempt may have reached the service with,
    ended by ``exc`` before a later attempt (the client closed while it waited to
    retry, no credentials for the retry): ``exc`` alone would say nothing was sent."""
    return TransportError(
        f"{type(exc).__name__} before retrying; an earlier attempt may have been processed",
        method=spec.method,
        url=str(url.with_query(None)),
        request_sent=True,
        retries_taken=retries,
    )


# -- the retry loop -------------------------------------------------------------------
