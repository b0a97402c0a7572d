"""The retry loop: credentials, signing, the deadline, backoff, hooks, and errors.

The client builds a :class:`RequestSpec` and calls :meth:`Pipeline.request`. For
each attempt the transport gets credentials (bounded by the deadline), prepares a
request that is signed when a connection slot is free, and hands it to its
:class:`~.transport.Transport` (one attempt on the wire). It builds each error once,
decides with :mod:`.retry` whether to try again, and reports every step to the
hooks through an observer (a no-op one when there are no hooks).

Its parts: the call's values in :mod:`._call` (:class:`RequestSpec`,
:class:`CallOptions` and :class:`RawResponse`, re-exported here), the observer in
:mod:`._observer`, the errors of an attempt in :mod:`._attempt_errors`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypeVar

from yarl import URL

from ._aiohttp_transport import MAX_RESPONSE_BYTES, AiohttpTransport
from ._attempt_errors import (
    deadline_error,
    ended_after_sending,
    status_failure,
    transport_error,
)
from ._call import (
    CallOptions,
    CallState,
    Failed,
    Outcome,
    RawResponse,
    RequestSpec,
    answer_request_id,
    log_fields,
)
from ._config import Endpoint, Proxy, RetryConfig, Runtime
from ._observer import NO_OBSERVER, HookObserver, Observer
from ._retry import Failure, backoff_delay, should_retry
from .credentials import Credentials, CredentialsCache
from .errors import may_have_started
from .hooks import Hook
from .transport import Answer, PreparedRequest, SendError, SlotWaitExpired, Transport

if TYPE_CHECKING:
    from ._fast_path import FastPath

__all__ = [
    "MAX_RESPONSE_BYTES",
    "CallOptions",
    "Dialect",
    "RawResponse",
    "RequestSpec",
    "Pipeline",
]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")


def _raw(raw: RawResponse) -> RawResponse:
    return raw


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
        self._fast: FastPath | None = None
        if not self._hooks and type(transport) is AiohttpTransport:
            from ._fast_path import FastPath  # the common call, flat (imports this module)

            self._fast = FastPath(self, transport)

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

    # -- the retry loop -------------------------------------------------------------------

    def call(
        self, spec: RequestSpec, read: Callable[[RawResponse], _T], options: CallOptions
    ) -> Awaitable[_T]:
        """:meth:`request`, then ``read`` of its 2xx answer: one coroutine for the
        common call (:mod:`._fast_path`)."""
        if self._fast is not None:  # no hooks, the default transport
            return self._fast.call(spec, read, options)
        return self._read(self.request(spec, options), read)

    @staticmethod
    async def _read(answer: Awaitable[RawResponse], read: Callable[[RawResponse], _T]) -> _T:
        return read(await answer)

    def request(self, spec: RequestSpec, options: CallOptions) -> Awaitable[RawResponse]:
        """Send ``spec`` with retries; return the 2xx answer or raise a typed error.

        Every attempt is built and signed afresh (new ``Date``). The attempt's clock
        starts once a pooled connection slot is free, so queueing behind
        ``max_connections`` never counts against the per-attempt timeout (it does
        count against the call's ``deadline``).
        """
        if self._fast is not None:  # no hooks, the default transport
            return self._fast.call(spec, _raw, options)
        if not self._hooks:  # nobody to tell when the call starts and ends
            return self._retry_loop(spec, options, NO_OBSERVER)
        url = self.url_for(spec)
        return self._attempts(
            spec, options, HookObserver(self._hooks, spec, url, self._clock, logger)
        )

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
        raise deadline_error(
            options, spec, url, any_sent, retries, " while waiting for credentials"
        )

    async def _attempts(
        self, spec: RequestSpec, options: CallOptions, observer: Observer
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
        observer: Observer,
        first: tuple[CallState, Outcome] | None = None,
    ) -> RawResponse:
        """The attempts of one call; ``first``: the call's state after a first attempt
        made elsewhere (:mod:`._fast_path`), and that attempt's judged outcome."""
        url = self.url_for(spec)
        if first is None:
            clock = self._clock
            call = CallState(None if options.deadline is None else clock() + options.deadline)
            outcome: Outcome | None = None
        else:
            call, outcome = first
        while True:
            if outcome is None:
                outcome = await (
                    self._retry(spec, options, observer, url, call)
                    if call.any_sent
                    else self._attempt(spec, options, observer, url, call)
                )
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
                    extra=log_fields(spec, call.retries, delay=delay, error=type(error).__name__),
                )
            await self._sleep(delay)
            outcome = None

    async def _retry(
        self,
        spec: RequestSpec,
        options: CallOptions,
        observer: Observer,
        url: URL,
        call: CallState,
    ) -> Outcome:
        """:meth:`_attempt` after an earlier attempt may have been processed: an error
        that says "nothing sent" (the client closed while the call waited to retry, no
        credentials for the retry) must not hide that earlier attempt."""
        try:
            return await self._attempt(spec, options, observer, url, call)
        except Exception as exc:
            if not may_have_started(exc):
                raise ended_after_sending(exc, spec, url, call.retries) from exc
            raise

    async def _attempt(
        self,
        spec: RequestSpec,
        options: CallOptions,
        observer: Observer,
        url: URL,
        call: CallState,
    ) -> Outcome:
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
            raise deadline_error(
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
        observer: Observer,
        url: URL,
        call: CallState,
        started: float,
    ) -> RawResponse | tuple[Failed, float | None]:
        elapsed = self._clock() - started
        request_id = answer_request_id(answer.headers)
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
                extra=log_fields(
                    spec, retries, status=answer.status, request_id=request_id, elapsed=elapsed
                ),
            )
        observer.attempt_finished(retries + 1, elapsed, answer, None)
        if answer.status < 300:
            return RawResponse(
                answer.status, answer.reason, answer.headers, answer.body, request_id, retries
            )
        failed = status_failure(answer, request_id, retries, spec, url, self._dialect)
        call.any_sent = call.any_sent or may_have_started(failed.error)
        delay = self._retry_delay(failed.failure, failed.retry_after, spec, options.retry, call)
        return failed, delay

    def _judge_failure(
        self,
        sent: SendError,
        spec: RequestSpec,
        options: CallOptions,
        observer: Observer,
        url: URL,
        call: CallState,
        elapsed: float,
    ) -> tuple[Failed, float | None]:
        deadline_at = call.deadline_at
        delay = self._retry_delay(sent.failure, None, spec, options.retry, call)
        out_of_time = (
            delay is None
            and sent.timed_out
            and deadline_at is not None
            and self._clock() >= deadline_at
        )
        suffix = f" (deadline of {options.deadline}s exceeded)" if out_of_time else ""
        failed = transport_error(sent, spec, url, call.retries, call.any_sent, suffix)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %s retry=%d",
                spec.method,
                url.raw_path_qs,
                sent.message,
                call.retries,
                extra=log_fields(
                    spec,
                    call.retries,
                    error=type(failed.error).__name__,
                    request_sent=call.any_sent or sent.request_sent,
                ),
            )
        call.any_sent = call.any_sent or sent.request_sent
        observer.attempt_finished(call.retries + 1, elapsed, None, failed.error)
        return failed, delay

    def _retry_delay(
        self,
        failure: Failure,
        retry_after: float | None,
        spec: RequestSpec,
        retry: RetryConfig,
        call: CallState,
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
