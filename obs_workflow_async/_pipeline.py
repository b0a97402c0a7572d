"""The retry loop: credentials, signing, the deadline, backoff, hooks, and errors.

The client builds a :class:`RequestSpec` and calls :meth:`Pipeline.request`. For
each attempt the transport gets credentials (bounded by the deadline), prepares a
request that is signed when a connection slot is free, and hands it to its
:class:`~.transport.Transport` (one attempt on the wire). It builds each error once,
decides with :mod:`.retry` whether to try again, and reports every step to the
hooks through an observer (a no-op one when there are no hooks).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import NamedTuple, Protocol

from yarl import URL

from . import _signing as signing
from ._aiohttp_transport import MAX_RESPONSE_BYTES, AiohttpTransport
from ._config import Endpoint, Proxy, RetryConfig, Runtime, Timeout
from ._retry import Failure, backoff_delay, classify_status, parse_retry_after, should_retry
from .credentials import Credentials, CredentialsCache
from .errors import (
    APIStatusError,
    ObsWorkflowError,
    ParsedErrorBody,
    RequestTimeoutError,
    TransportError,
    error_for_status,
    may_have_started,
    parse_error_body,
)
from .hooks import Hook, RequestEvent
from .transport import Answer, PreparedRequest, SendError, SlotWaitExpired, Transport

__all__ = [
    "MAX_RESPONSE_BYTES",
    "CallOptions",
    "Dialect",
    "RawResponse",
    "RequestSpec",
    "Pipeline",
]

logger = logging.getLogger(__name__)

_URL_CACHE_SIZE = 1024

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})

_CALL_IDS = itertools.count(1)
"""Call ids, unique across every client of the process (hooks shared by clients)."""


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


class _CallState:
    """What one call carries from attempt to attempt."""

    __slots__ = ("any_sent", "deadline_at", "retries", "waited")

    def __init__(self, deadline_at: float | None) -> None:
        self.deadline_at = deadline_at
        self.retries = 0
        self.waited = 0.0
        """Seconds slept between attempts so far (against ``RetryConfig.max_retry_wait``)."""
        self.any_sent = False
        """Whether any attempt so far may have reached the service."""


class _Failed(NamedTuple):
    """How one attempt failed: the public error, its retry class, and the cause."""

    error: APIStatusError | TransportError
    failure: Failure
    retry_after: float | None
    cause: BaseException | None


_Outcome = RawResponse | tuple[_Failed, float | None]
"""What one attempt came to: the 2xx answer, or how it failed and the delay before the
next attempt (``None``: no next attempt)."""


def _log_fields(spec: RequestSpec, retries: int, **fields: object) -> dict[str, object]:
    """Structured fields of a log record (``record.operation``, ``record.attempt``, ...)."""
    return {
        "operation": spec.operation or spec.method,
        "graph_name": spec.graph_name,
        "method": spec.method,
        "attempt": retries + 1,
        **fields,
    }


def _request_id(headers: Mapping[str, str]) -> str | None:
    return headers.get("x-request-id") or headers.get("x-obs-request-id")


class _Observer:
    """Reports the steps of one call to nobody (the no-hooks case)."""

    __slots__ = ()

    def call_started(self) -> None:
        pass

    def attempt_started(self, attempt: int) -> None:
        pass

    def attempt_finished(
        self, attempt: int, elapsed: float, answer: Answer | None, error: ObsWorkflowError | None
    ) -> None:
        pass

    def retry_scheduled(self, attempt: int, delay: float, error: ObsWorkflowError) -> None:
        pass

    def call_finished(self, raw: RawResponse | None, exc: BaseException | None) -> None:
        pass


_NO_OBSERVER = _Observer()


class _HookObserver(_Observer):
    """Turns the steps of one call into :class:`RequestEvent` s for the hooks."""

    __slots__ = ("_began", "_clock", "_event", "_hooks")

    def __init__(
        self,
        hooks: tuple[Hook, ...],
        spec: RequestSpec,
        url: URL,
        clock: Callable[[], float],
    ) -> None:
        self._hooks = hooks
        self._clock = clock
        self._began = clock()
        self._event = RequestEvent(
            "call_started",
            next(_CALL_IDS),
            spec.method,
            str(url.with_query(None)),
            url.raw_path_qs,
            operation=spec.operation or spec.method,
            graph_name=spec.graph_name,
        )

    def _emit(self, event: RequestEvent) -> None:
        for hook in self._hooks:
            try:
                hook(event)
            except Exception:
                logger.warning("hook %r failed on %s", hook, event.kind, exc_info=True)

    def call_started(self) -> None:
        self._emit(self._event)

    def attempt_started(self, attempt: int) -> None:
        self._emit(replace(self._event, kind="attempt_started", attempt=attempt))

    def attempt_finished(
        self, attempt: int, elapsed: float, answer: Answer | None, error: ObsWorkflowError | None
    ) -> None:
        status = answer.status if answer is not None else None
        request_id = _request_id(answer.headers) if answer is not None else None
        self._emit(
            replace(
                self._event,
                kind="attempt_finished",
                attempt=attempt,
                status=status,
                request_id=request_id,
                elapsed=elapsed,
                error=error,
            )
        )

    def retry_scheduled(self, attempt: int, delay: float, error: ObsWorkflowError) -> None:
        self._emit(
            replace(self._event, kind="retry_scheduled", attempt=attempt, delay=delay, error=error)
        )

    def call_finished(self, raw: RawResponse | None, exc: BaseException | None) -> None:
        elapsed = self._clock() - self._began
        if raw is not None:
            event = replace(
                self._event,
                kind="call_finished",
                outcome="ok",
                status=raw.status,
                request_id=raw.request_id,
                attempt=raw.retries_taken + 1,
                elapsed=elapsed,
            )
        elif isinstance(exc, asyncio.CancelledError):
            event = replace(self._event, kind="call_finished", outcome="cancelled", elapsed=elapsed)
        else:
            error = exc if isinstance(exc, ObsWorkflowError) else None
            event = replace(
                self._event, kind="call_finished", outcome="error", error=error, elapsed=elapsed
            )
        self._emit(event)


def _retrieve(task: asyncio.Future[Credentials]) -> None:
    """Mark an abandoned fetch's outcome as seen (no "exception was never retrieved")."""
    if not task.cancelled():
        task.exception()


class Dialect(Protocol):
    """How a :class:`RequestSpec` becomes a signed HTTP request for one API (v2 OBS, ...)."""

    def url_for(self, spec: RequestSpec) -> URL:
        """The request URL, encoded exactly as signed."""
        ...

    def headers(self, spec: RequestSpec, now: datetime, credentials: Credentials) -> dict[str, str]:
        """The signed headers of one attempt at ``now``."""
        ...


class Pipeline:
    """Signs, sends (through its transport) and retries; see the module docstring."""

    def __init__(
        self,
        *,
        endpoint: Endpoint,
        credentials: CredentialsCache,
        dialect: Dialect,
        transport: Transport,
        proxy: Proxy | None = None,
        hooks: Sequence[Hook] = (),
        runtime: Runtime | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.transport = transport
        self.proxy = proxy
        self._credentials = credentials
        self._dialect = dialect
        self._hooks = tuple(hooks)
        runtime = runtime or Runtime()
        self._clock = runtime.clock
        self._wall_clock = runtime.wall_clock
        self._sleep = runtime.sleep
        self._random = runtime.random
        self._fast: Callable[[RequestSpec, CallOptions], Awaitable[RawResponse]] | None = None
        if not self._hooks and type(transport) is AiohttpTransport:
            from ._fast_path import FastPath  # the common call, flat (imports this module)

            self._fast = FastPath(self, transport).request

    # -- lifecycle -----------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self.transport.closed

    async def open(self) -> None:
        await self.transport.open()

    async def aclose(self) -> None:
        await self.transport.aclose()

    # -- building one attempt --------------------------------------------------------

    def url_for(self, spec: RequestSpec) -> URL:
        """The request URL, encoded exactly as signed."""
        return self._dialect.url_for(spec)

    def build_headers(
        self, spec: RequestSpec, now: datetime, credentials: Credentials | None = None
    ) -> dict[str, str]:
        """The signed headers of one attempt (with ``credentials``, else the current ones)."""
        creds = credentials or self._credentials.current
        if creds is None:
            raise RuntimeError("no credentials fetched yet")  # pragma: no cover
        return self._dialect.headers(spec, now, creds)

    def _prepare(self, spec: RequestSpec, url: URL, creds: Credentials) -> PreparedRequest:
        dialect = self._dialect

        def sign() -> dict[str, str]:
            return dialect.headers(spec, self._wall_clock(), creds)

        return PreparedRequest(spec.method, url, spec.body, sign, (creds.security_token,))

    # -- errors, built once --------------------------------------------------------------

    def _transport_error(
        self,
        failure: SendError,
        spec: RequestSpec,
        url: URL,
        retries: int,
        any_sent: bool,
        suffix: str,
    ) -> _Failed:
        cls = RequestTimeoutError if failure.timed_out else TransportError
        error = cls(
            failure.message + suffix,
            method=spec.method,
            url=str(url.with_query(None)),
            request_sent=any_sent or failure.request_sent,
            retries_taken=retries,
        )
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %s retry=%d",
                spec.method,
                url.raw_path_qs,
                failure.message,
                retries,
                extra=_log_fields(
                    spec, retries, error=type(error).__name__, request_sent=error.request_sent
                ),
            )
        return _Failed(error, failure.failure, None, failure.cause)

    def _status_failure(
        self, answer: Answer, request_id: str | None, retries: int, spec: RequestSpec, url: URL
    ) -> _Failed:
        """Map an HTTP error answer to our error and its retry class."""
        text = answer.body.decode("utf-8", errors="replace")
        retry_after = parse_retry_after(answer.headers)
        # A dialect may read its API's error bodies its own way (DWR v3: as its SDK).
        reader: Callable[[str, int], ParsedErrorBody] | None = getattr(
            self._dialect, "read_error_body", None
        )
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
        return _Failed(error, classify_status(answer.status), retry_after, None)

    @staticmethod
    def _deadline_error(
        options: CallOptions,
        spec: RequestSpec,
        url: URL,
        any_sent: bool,
        retries: int,
        what: str = "",
    ) -> RequestTimeoutError:
        limit = (
            f"deadline of {options.deadline}s"
            if options.deadline is not None
            else "attempt timeout"
        )
        return RequestTimeoutError(
            f"{limit} exceeded{what}",
            method=spec.method,
            url=str(url.with_query(None)),
            request_sent=any_sent,
            retries_taken=retries,
        )

    # -- the retry loop -------------------------------------------------------------------

    def request(self, spec: RequestSpec, options: CallOptions) -> Awaitable[RawResponse]:
        """Send ``spec`` with retries; return the 2xx answer or raise a typed error.

        Every attempt is built and signed afresh (new ``Date``). The attempt's clock
        starts once a pooled connection slot is free, so queueing behind
        ``max_connections`` never counts against the per-attempt timeout (it does
        count against the call's ``deadline``).
        """
        if self._fast is not None:  # no hooks, the default transport
            return self._fast(spec, options)
        if not self._hooks:  # nobody to tell when the call starts and ends
            return self._retry_loop(spec, options, _NO_OBSERVER)
        url = self.url_for(spec)
        return self._attempts(spec, options, _HookObserver(self._hooks, spec, url, self._clock))

    async def _credentials_for(
        self,
        deadline_at: float | None,
        options: CallOptions,
        spec: RequestSpec,
        url: URL,
        any_sent: bool,
        retries: int,
    ) -> Credentials:
        """The credentials of an attempt when none are fresh: wait for a fetch at most
        until the deadline (else for the attempt's total). A fetch is shared by every
        caller (the cache's business); this caller stops waiting without cancelling it
        for the others."""
        limit = options.timeout.total if deadline_at is None else deadline_at - self._clock()
        fetch = asyncio.ensure_future(self._credentials.get())
        if limit is None:
            return await fetch
        try:
            done, _ = await asyncio.wait((fetch,), timeout=max(limit, 0.0))
        except asyncio.CancelledError:
            fetch.cancel()
            fetch.add_done_callback(_retrieve)
            raise
        if fetch in done:
            return fetch.result()
        fetch.cancel()
        fetch.add_done_callback(_retrieve)
        raise self._deadline_error(
            options, spec, url, any_sent, retries, " while waiting for credentials"
        )

    async def _attempts(
        self, spec: RequestSpec, options: CallOptions, observer: _Observer
    ) -> RawResponse:
        observer.call_started()
        try:
            raw = await self._retry_loop(spec, options, observer)
        except BaseException as exc:
            observer.call_finished(None, exc)
            raise
        observer.call_finished(raw, None)
        return raw

    async def _retry_loop(
        self,
        spec: RequestSpec,
        options: CallOptions,
        observer: _Observer,
        first: tuple[_CallState, _Outcome] | None = None,
    ) -> RawResponse:
        """The attempts of one call; ``first``: the call's state after a first attempt
        made elsewhere (:mod:`._fast_path`), and that attempt's judged outcome."""
        url = self.url_for(spec)
        if first is None:
            clock = self._clock
            call = _CallState(None if options.deadline is None else clock() + options.deadline)
            outcome: _Outcome | None = None
        else:
            call, outcome = first
        while True:
            if outcome is None:
                outcome = await self._attempt(spec, options, observer, url, call)
            if isinstance(outcome, RawResponse):
                return outcome
            failed, delay = outcome
            error = failed.error
            if options.on_failed_attempt is not None:
                try:
                    options.on_failed_attempt(error)
                except Exception:
                    logger.warning("on_failed_attempt callback failed", exc_info=True)
            if delay is None:
                raise error from failed.cause
            call.retries += 1
            call.waited += delay
            observer.retry_scheduled(call.retries + 1, delay, error)
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s %s: retry %d in %.3fs after %s",
                    spec.method,
                    url.raw_path_qs,
                    call.retries,
                    delay,
                    type(error).__name__,
                    extra=_log_fields(spec, call.retries, delay=delay, error=type(error).__name__),
                )
            await self._sleep(delay)
            outcome = None

    async def _attempt(
        self,
        spec: RequestSpec,
        options: CallOptions,
        observer: _Observer,
        url: URL,
        call: _CallState,
    ) -> _Outcome:
        """One attempt: its credentials, the send, and what its answer or failure means
        (the 2xx answer, or the failure with the delay before the next attempt)."""
        creds = self._credentials.fresh()
        if creds is None:
            creds = await self._credentials_for(
                call.deadline_at, options, spec, url, call.any_sent, call.retries
            )
        observer.attempt_started(call.retries + 1)
        started = self._clock()
        try:
            answer = await self.transport.send(
                self._prepare(spec, url, creds), options.timeout, call.deadline_at
            )
        except SlotWaitExpired:
            answer = None
        except SendError as failure:
            failure.__traceback__ = None  # its frames hold the signed headers
            elapsed = self._clock() - started
            return self._judge_failure(failure, spec, options, observer, url, call, elapsed)
        if answer is None:
            raise self._deadline_error(
                options,
                spec,
                url,
                call.any_sent,
                call.retries,
                " while waiting for a free connection",
            )
        return self._judge_answer(answer, spec, options, observer, url, call, started)

    def _judge_answer(
        self,
        answer: Answer,
        spec: RequestSpec,
        options: CallOptions,
        observer: _Observer,
        url: URL,
        call: _CallState,
        started: float,
    ) -> RawResponse | tuple[_Failed, float | None]:
        elapsed = self._clock() - started
        request_id = _request_id(answer.headers)
        retries = call.retries
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %d request_id=%s elapsed=%.1fms retry=%d",
                spec.method,
                url.raw_path_qs,
                answer.status,
                request_id,
                elapsed * 1000,
                retries,
                extra=_log_fields(
                    spec, retries, status=answer.status, request_id=request_id, elapsed=elapsed
                ),
            )
        observer.attempt_finished(retries + 1, elapsed, answer, None)
        if answer.status < 300:
            return RawResponse(
                answer.status, answer.reason, answer.headers, answer.body, request_id, retries
            )
        failed = self._status_failure(answer, request_id, retries, spec, url)
        call.any_sent = call.any_sent or may_have_started(failed.error)
        delay = self._retry_delay(failed.failure, failed.retry_after, spec, options.retry, call)
        return failed, delay

    def _judge_failure(
        self,
        sent: SendError,
        spec: RequestSpec,
        options: CallOptions,
        observer: _Observer,
        url: URL,
        call: _CallState,
        elapsed: float,
    ) -> tuple[_Failed, float | None]:
        deadline_at = call.deadline_at
        delay = self._retry_delay(sent.failure, None, spec, options.retry, call)
        out_of_time = (
            delay is None
            and sent.timed_out
            and deadline_at is not None
            and self._clock() >= deadline_at
        )
        suffix = f" (deadline of {options.deadline}s exceeded)" if out_of_time else ""
        failed = self._transport_error(sent, spec, url, call.retries, call.any_sent, suffix)
        call.any_sent = call.any_sent or sent.request_sent
        observer.attempt_finished(call.retries + 1, elapsed, None, failed.error)
        return failed, delay

    def _retry_delay(
        self,
        failure: Failure,
        retry_after: float | None,
        spec: RequestSpec,
        retry: RetryConfig,
        call: _CallState,
    ) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` to give up: out of
        retries, not retryable, a ``Retry-After`` over ``retry_after_cap``, a sleep that
        would pass ``max_retry_wait`` in total, or one that would cross the deadline."""
        retries = call.retries
        if retries >= retry.max_retries or not should_retry(
            failure, idempotent=spec.idempotent, config=retry
        ):
            return None
        if retry_after is not None:
            if retry_after > retry.retry_after_cap:
                return None
            delay = retry_after
        else:
            delay = backoff_delay(retries + 1, retry, self._random)
        if retry.max_retry_wait is not None and call.waited + delay > retry.max_retry_wait:
            return None
        deadline_at = call.deadline_at
        if deadline_at is not None and self._clock() + delay >= deadline_at:
            return None
        return delay
