"""HTTP transport: the pooled aiohttp session, one signed attempt, and the retry loop.

The client builds a :class:`RequestSpec` and calls :meth:`Transport.request`; the
transport signs every attempt afresh (new ``Date``), sends it through one pooled
``aiohttp.ClientSession``, reads the answer (bounded), maps failures to the
exceptions of :mod:`.errors` and retries what :mod:`.retry` allows.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import re
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from typing import Literal, NamedTuple

import aiohttp
from yarl import URL

from . import signing
from .config import Endpoint, Proxy, RetryConfig, Timeout, VerifyLike, build_ssl_context
from .credentials import Credentials, CredentialsCache
from .errors import (
    APIStatusError,
    ClientClosedError,
    ObsWorkflowError,
    RedactedCause,
    RequestTimeoutError,
    TransportError,
    error_for_status,
    may_have_started,
    parse_error_body,
)
from .hooks import Hook, RequestEvent
from .retry import Failure, backoff_delay, classify_status, parse_retry_after, should_retry
from .slots import SlotGate

__all__ = ["CallOptions", "RawResponse", "RequestSpec", "Transport"]

logger = logging.getLogger("obs_workflow_async")

MAX_RESPONSE_BYTES = 10 * 1024 * 1024
"""Answers larger than this are refused without being read whole."""

_URL_CACHE_SIZE = 1024

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class RequestSpec(NamedTuple):
    """One logical call, before signing: what to send where."""

    method: str
    key: str
    """Unencoded resource path without the leading slash, e.g. ``v2/workflows/g``."""
    query: tuple[tuple[str, str | None], ...] = ()
    body: bytes | None = None
    bucket: str | None = None
    """Set for bucket-addressed (virtual-host) calls."""

    @property
    def idempotent(self) -> bool:
        return self.method in IDEMPOTENT_METHODS

    @property
    def path(self) -> str:
        """Path and query as sent to a virtual-host (or bucket-less) address."""
        return "/" + signing.encode_object_key(self.key) + signing.encode_query(self.query)

    def path_style_path(self) -> str:
        """Path and query with the bucket in the path (``/bucket[/key]``)."""
        key = "/" + signing.encode_object_key(self.key) if self.key else ""
        return f"/{self.bucket}{key}" + signing.encode_query(self.query)


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


class _BodyTooLarge(aiohttp.ClientPayloadError):
    """An answer over :data:`MAX_RESPONSE_BYTES`, refused without reading it whole."""


class _Failed(NamedTuple):
    """How one attempt failed: the public error, its retry class, and the cause."""

    error: APIStatusError | TransportError
    failure: Failure
    retry_after: float | None
    cause: BaseException | None


_INF = float("inf")
_CLOSING_TRANSPORT = "Cannot write to closing transport"
_URL_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]*@")


def _aiohttp_timeout(
    total: float | None, connect: float | None, read: float | None
) -> aiohttp.ClientTimeout:
    if total is not None:
        cap = total * 0.9 if total < 0.5 else total - 0.05
        connect = cap if connect is None else min(connect, cap)
    # ceil_threshold=inf: never round a timeout up to the next whole second.
    return aiohttp.ClientTimeout(
        total=total, connect=connect, sock_connect=connect, sock_read=read, ceil_threshold=_INF
    )


def _classify_exception(exc: BaseException) -> tuple[str, Failure, bool, bool]:
    """(message, retry class, request_sent, timed_out) of an exception raised by an attempt.

    "Not sent" is claimed only where aiohttp proves it: the failure happened while
    connecting (TCP, TLS, a proxy's CONNECT), or the very first write found the
    connection closing (our bodies are written together with the headers).
    """
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return "TLS certificate verification failed: {cause}", Failure.FINAL, False, False
    if isinstance(exc, aiohttp.ClientSSLError):
        return "TLS handshake failed: {cause}", Failure.FINAL, False, False
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return "timed out while connecting", Failure.NOT_SENT, False, True
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        final = Failure.FINAL if exc.status == 407 else Failure.NOT_SENT
        return f"the proxy refused the tunnel: HTTP {exc.status}", final, False, False
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "cannot connect: {cause}", Failure.NOT_SENT, False, False
    if isinstance(exc, aiohttp.ClientConnectionResetError) and str(exc) == _CLOSING_TRANSPORT:
        return "the pooled connection was closed before sending", Failure.NOT_SENT, False, False
    if isinstance(exc, _BodyTooLarge):
        # The service answered: retrying would fetch the same oversized answer.
        return str(exc), Failure.FINAL, True, False
    if isinstance(exc, aiohttp.SocketTimeoutError | asyncio.TimeoutError):
        return "timed out waiting for the response", Failure.AMBIGUOUS, True, True
    if isinstance(exc, aiohttp.ClientError | OSError):
        return "connection failed after sending: {cause}", Failure.AMBIGUOUS, True, False
    return "unexpected failure: {cause}", Failure.AMBIGUOUS, True, False


def _redacted_cause(exc: BaseException, secrets: Sequence[str | None]) -> RedactedCause:
    """A stand-in for ``exc``: its type and message, minus credentials; no traceback."""
    try:
        message = str(exc)
    except Exception:  # a hostile __str__
        message = ""
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    message = _URL_CREDENTIALS.sub("***@", message)[:500]
    return RedactedCause(type(exc).__name__, message)


def _retrieve(task: asyncio.Future[Credentials]) -> None:
    """Mark an abandoned fetch's outcome as seen (no "exception was never retrieved")."""
    if not task.cancelled():
        task.exception()


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _request_id(headers: Mapping[str, str]) -> str | None:
    return headers.get("x-request-id") or headers.get("x-obs-request-id")


class Transport:
    """Owns (or borrows) the ``aiohttp.ClientSession``; signs, sends and retries."""

    def __init__(
        self,
        *,
        endpoint: Endpoint,
        credentials: CredentialsCache,
        signature: signing.SignatureMode,
        region: str,
        verify: VerifyLike,
        max_connections: int,
        keepalive_timeout: float,
        user_agent: str,
        session: aiohttp.ClientSession | None = None,
        proxy: Proxy | None = None,
        trust_env: bool = False,
        hooks: Sequence[Hook] = (),
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.endpoint = endpoint
        self._credentials = credentials
        self._signature: signing.SignatureMode = signature
        self._region = region
        self._verify = verify
        self._max_connections = max_connections
        self._keepalive_timeout = keepalive_timeout
        self._user_agent = user_agent
        self._session = session
        self._owns_session = session is None
        self._proxy = proxy
        # Through a proxy, an https request tunnels (CONNECT carries the proxy's
        # credentials) while an http request is sent to the proxy itself (the request
        # carries them, unsigned).
        proxy_auth = (
            {"Proxy-Authorization": proxy.authorization}
            if proxy is not None and proxy.authorization
            else None
        )
        tunnel = endpoint.scheme == "https"
        self._proxy_headers = proxy_auth if tunnel else None
        self._static_secrets: tuple[str | None, ...] = (
            proxy.authorization if proxy is not None else None,
        )
        self._proxy_request_headers = None if tunnel else proxy_auth
        self._trust_env = trust_env
        self._hooks = tuple(hooks)
        self._call_ids = itertools.count(1)
        self._ssl: ssl.SSLContext | Literal[False] | None = None
        self._clock = clock
        self._wall_clock = wall_clock or _utc_now
        self._rng = rng or random.Random()
        self._host_header = endpoint.host_header
        # Like the SDK: bucket-addressed calls to an IPv4 server put the bucket in the path.
        self._path_style = endpoint.is_ipv4
        self._origin = endpoint.origin
        self._urls: dict[tuple[str | None, str, tuple[tuple[str, str | None], ...]], URL] = {}
        self._timeouts: dict[tuple[Timeout, float | None], aiohttp.ClientTimeout] = {}
        self._last_date: tuple[datetime, str] | None = None
        self._slots = SlotGate(max_connections)
        self._open_lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    # -- lifecycle -----------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def proxy(self) -> Proxy | None:
        return self._proxy

    async def open(self) -> aiohttp.ClientSession:
        """Create the pooled session inside the running loop (once)."""
        if self._closed:
            raise ClientClosedError("the client is closed; create a new AsyncWorkflowClient")
        loop = asyncio.get_running_loop()
        if self._loop is not None and self._loop is not loop:
            raise ClientClosedError(
                "the client is bound to another event loop; create one client per loop"
            )
        session = self._session
        if session is not None and self._ssl is not None:
            return session
        async with self._open_lock:
            if self._closed:
                raise ClientClosedError("the client is closed; create a new AsyncWorkflowClient")
            if self._ssl is None:
                if self.endpoint.scheme == "http" and not self.endpoint.is_loopback:
                    logger.warning(
                        "%s is plain HTTP: signatures, security tokens and bodies travel "
                        "unencrypted; use https://",
                        self._origin,
                    )
                if self.endpoint.scheme == "https" and self._verify is False:
                    logger.warning(
                        "TLS certificate verification is disabled for %s (verify=False)",
                        self._origin,
                    )
                if self.endpoint.scheme == "https":
                    # Loading CA files is blocking I/O: keep it off the event loop.
                    self._ssl = await asyncio.to_thread(build_ssl_context, self._verify)
                else:
                    self._ssl = False
            if self._session is None:
                connector = aiohttp.TCPConnector(
                    limit=self._max_connections,
                    limit_per_host=self._max_connections,
                    keepalive_timeout=self._keepalive_timeout,
                    ssl=self._ssl if self._ssl is not None else True,
                )
                self._session = aiohttp.ClientSession(
                    connector=connector,
                    timeout=aiohttp.ClientTimeout(total=None),
                    headers={"User-Agent": self._user_agent},
                    trust_env=self._trust_env,
                    auto_decompress=True,
                )
            self._loop = loop
            return self._session

    async def aclose(self) -> None:
        """Close the session if this transport created it. Idempotent."""
        if self._closed:
            return
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session and not session.closed:
            await session.close()
            # Let the transports' connection_lost callbacks run (aiohttp's advice).
            await asyncio.sleep(0)

    # -- one attempt -----------------------------------------------------------------

    def build_headers(
        self, spec: RequestSpec, now: datetime, credentials: Credentials | None = None
    ) -> dict[str, str]:
        """The signed headers of one attempt (with ``credentials``, else the current ones)."""
        headers: dict[str, str] = {"Content-Type": "application/json"}
        if spec.body is not None:
            headers["Content-Length"] = str(len(spec.body))
        host = self._host_header
        virtual_host = spec.bucket and not self._path_style
        headers["Host"] = f"{spec.bucket}.{host}" if virtual_host else host
        headers["Date"] = self._http_date(now)
        creds = credentials or self._credentials.current
        if creds is None:
            raise RuntimeError("no credentials fetched yet")  # pragma: no cover
        signing.add_signing_headers(self._signature, headers, creds.security_token)
        headers["Authorization"] = signing.sign(
            signing.SigningRequest(
                method=spec.method,
                key=spec.key,
                headers=headers,
                query=spec.query,
                bucket=spec.bucket,
                path_style=self._path_style,
            ),
            access_key_id=creds.access_key_id,
            secret_access_key=creds.secret_access_key,
            mode=self._signature,
            now=now,
            region=self._region,
        )
        if self._proxy_request_headers is not None:
            headers.update(self._proxy_request_headers)
        return headers

    def _http_date(self, now: datetime) -> str:
        """``Date`` header text; the formatting is reused within the same second."""
        second = now.replace(microsecond=0)
        cached = self._last_date
        if cached is not None and cached[0] == second:
            return cached[1]
        text = signing.format_http_date(second)
        self._last_date = (second, text)
        return text

    def url_for(self, spec: RequestSpec) -> URL:
        """The request URL, encoded exactly as signed (cached: the same few paths recur)."""
        cache_key = (spec.bucket, spec.key, spec.query)
        url = self._urls.get(cache_key)
        if url is None:
            origin = self._origin
            if spec.bucket and self._path_style:
                url = URL(origin + spec.path_style_path(), encoded=True)
            else:
                if spec.bucket:
                    scheme, _, rest = origin.partition("://")
                    origin = f"{scheme}://{spec.bucket}.{rest}"
                url = URL(origin + spec.path, encoded=True)
            if len(self._urls) >= _URL_CACHE_SIZE:
                self._urls.clear()
            self._urls[cache_key] = url
        return url

    def _client_timeout(self, timeout: Timeout, budget: float | None) -> aiohttp.ClientTimeout:
        """aiohttp's timeouts for one attempt (``budget``: what is left of the deadline).

        The connect phase (TCP, TLS, a proxy's CONNECT) is bounded strictly below the
        attempt's total, so a connection that never completes fails as a connect
        timeout (nothing sent) rather than as the total expiring mid-connect (which
        aiohttp reports as a bare timeout, indistinguishable from a read timeout).
        """
        if budget is None:
            cached = self._timeouts.get((timeout, None))
            if cached is None:
                cached = _aiohttp_timeout(timeout.total, timeout.connect, timeout.read)
                self._timeouts[(timeout, None)] = cached
            return cached
        total = budget if timeout.total is None else min(timeout.total, budget)
        return _aiohttp_timeout(total, timeout.connect, timeout.read)

    async def _read_body(self, response: aiohttp.ClientResponse) -> bytes:
        length = response.content_length
        if length is not None and length > MAX_RESPONSE_BYTES:
            raise _BodyTooLarge(
                f"response body of {length} bytes exceeds the {MAX_RESPONSE_BYTES}-byte limit"
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(65536):
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                raise _BodyTooLarge(f"response body exceeds the {MAX_RESPONSE_BYTES}-byte limit")
            chunks.append(chunk)
        return b"".join(chunks)

    def _transport_failure(
        self,
        exc: BaseException,
        spec: RequestSpec,
        url: URL,
        retries: int,
        secrets: tuple[str | None, ...],
    ) -> _Failed:
        """Map an aiohttp/OS exception to our error and its retry class.

        The aiohttp exception itself is not kept: its ``request_info`` holds the
        request headers (``Authorization``, the security token, ``Proxy-Authorization``)
        and its traceback the locals of aiohttp's frames. A :class:`RedactedCause`
        with its type and redacted message stands in for it.
        """
        message, failure, sent, timed_out = _classify_exception(exc)
        cause = _redacted_cause(exc, (*secrets, *self._static_secrets))
        if cause.args and message.endswith("{cause}"):
            message = message.replace("{cause}", str(cause.args[0]))
        cls = RequestTimeoutError if timed_out else TransportError
        error = cls(message, method=spec.method, url=str(url.with_query(None)),
                    request_sent=sent, retries_taken=retries)  # fmt: skip
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s %s -> %s retry=%d", spec.method, url.raw_path_qs, message, retries)
        return _Failed(error, failure, None, cause)

    @staticmethod
    def _status_failure(
        status: int, reason: str | None, headers: Mapping[str, str], body: bytes,
        request_id: str | None, retries: int,
    ) -> _Failed:  # fmt: skip
        """Map an HTTP error answer to our error and its retry class."""
        text = body.decode("utf-8", errors="replace")
        retry_after = parse_retry_after(headers)
        error = error_for_status(
            status=status,
            reason=reason,
            headers=headers,
            body=text,
            request_id=request_id or parse_error_body(text).request_id,
            retries_taken=retries,
            retry_after=retry_after,
        )
        return _Failed(error, classify_status(status), retry_after, None)

    # -- the retry loop -------------------------------------------------------------------

    def request(self, spec: RequestSpec, options: CallOptions) -> Awaitable[RawResponse]:
        """Send ``spec`` with retries; return the 2xx answer or raise a typed error.

        Every attempt is built and signed afresh (new ``Date``). The attempt's clock
        starts once a pooled connection slot is free, so queueing behind
        ``max_connections`` never counts against the per-attempt timeout (it does
        count against the call's ``deadline``). Without hooks this returns the
        attempts coroutine itself: no extra layer on the hot path.
        """
        if not self._hooks:
            return self._attempts(spec, options, None)
        return self._observed(spec, options)

    async def _observed(self, spec: RequestSpec, options: CallOptions) -> RawResponse:
        """:meth:`_attempts` with ``call_started`` / ``call_finished`` events around it.

        Every ``call_started`` has its ``call_finished``, whatever ends the call.
        """
        began = self._clock()
        url = self.url_for(spec)
        event = RequestEvent(
            "call_started", next(self._call_ids), spec.method, str(url.with_query(None)),
            url.raw_path_qs,
        )  # fmt: skip
        self._emit(event)
        try:
            raw = await self._attempts(spec, options, event)
        except ObsWorkflowError as error:
            self._emit(replace(event, kind="call_finished", outcome="error", error=error,
                               elapsed=self._clock() - began))  # fmt: skip
            raise
        except asyncio.CancelledError:
            self._emit(replace(event, kind="call_finished", outcome="cancelled",
                               elapsed=self._clock() - began))  # fmt: skip
            raise
        except BaseException:
            self._emit(replace(event, kind="call_finished", outcome="error",
                               elapsed=self._clock() - began))  # fmt: skip
            raise
        self._emit(replace(event, kind="call_finished", outcome="ok", status=raw.status,
                           request_id=raw.request_id, attempt=raw.retries_taken + 1,
                           elapsed=self._clock() - began))  # fmt: skip
        return raw

    def _emit(self, event: RequestEvent) -> None:
        for hook in self._hooks:
            try:
                hook(event)
            except Exception:
                logger.warning("hook %r failed on %s", hook, event.kind, exc_info=True)

    async def _credentials_within(
        self, limit: float | None, options: CallOptions, spec: RequestSpec, url: URL,
        any_sent: bool, retries: int,
    ) -> Credentials:  # fmt: skip
        """The credentials for an attempt, waiting at most ``limit`` seconds for a fetch.

        A fetch is shared by every caller (the cache's own business); this caller
        stops waiting when its limit passes, without cancelling the fetch for others.
        """
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
        error = self._deadline_error(options, spec, url, any_sent, retries)
        what = "deadline" if options.deadline is not None else "attempt timeout"
        error.message = f"{what} exceeded while waiting for credentials"
        raise error

    async def _attempts(
        self, spec: RequestSpec, options: CallOptions, event: RequestEvent | None
    ) -> RawResponse:
        retry = options.retry
        timeout = options.timeout
        clock = self._clock
        deadline_at = None if options.deadline is None else clock() + options.deadline
        retries = 0
        any_sent = False
        url = self.url_for(spec)
        while True:
            session = self._session
            if session is None or self._ssl is None or self._loop is not asyncio.get_running_loop():
                session = await self.open()
            # Credentials first (bounded by the deadline, else by the attempt's total),
            # then a connection slot (bounded by the deadline): no slot is held while
            # a credentials fetch is awaited.
            creds = self._credentials.fresh()
            if creds is None:
                limit = timeout.total if deadline_at is None else deadline_at - clock()
                creds = await self._credentials_within(limit, options, spec, url, any_sent, retries)
            if not self._slots.try_acquire() and not await self._slots.acquire(
                None if deadline_at is None else deadline_at - clock()
            ):
                expired = self._deadline_error(options, spec, url, any_sent, retries)
                expired.message += " while waiting for a free connection"
                raise expired
            failed: _Failed | None = None
            try:
                budget = None if deadline_at is None else deadline_at - clock()
                if budget is not None and budget <= 0:
                    raise self._deadline_error(options, spec, url, any_sent, retries)
                client_timeout = self._client_timeout(timeout, budget)
                if event is not None:
                    self._emit(replace(event, kind="attempt_started", attempt=retries + 1))
                started = clock()
                try:
                    async with session.request(
                        spec.method,
                        url,
                        data=spec.body,
                        headers=self.build_headers(spec, self._wall_clock(), creds),
                        timeout=client_timeout,
                        allow_redirects=False,
                        ssl=self._ssl,
                        proxy=self._proxy.url if self._proxy is not None else None,
                        proxy_headers=self._proxy_headers,
                    ) as response:
                        length = response.content_length
                        if length is not None and length <= MAX_RESPONSE_BYTES:
                            body = await response.read()
                        else:
                            body = await self._read_body(response)
                        status = response.status
                        reason = response.reason
                        headers = response.headers
                except Exception as exc:  # every failure maps to our errors
                    failed = self._transport_failure(
                        exc, spec, url, retries, (creds.security_token,)
                    )
                elapsed = clock() - started
            finally:
                self._slots.release()
            if failed is None:
                request_id = _request_id(headers)
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug(
                        "%s %s -> %d request_id=%s elapsed=%.1fms retry=%d",
                        spec.method, url.raw_path_qs, status, request_id, elapsed * 1000, retries,
                    )  # fmt: skip
                if event is not None:
                    self._emit(
                        replace(event, kind="attempt_finished", attempt=retries + 1,
                                status=status, request_id=request_id, elapsed=elapsed)
                    )  # fmt: skip
                if status < 300:
                    return RawResponse(status, reason, headers, body, request_id, retries)
                failed = self._status_failure(status, reason, headers, body, request_id, retries)
                any_sent = any_sent or may_have_started(failed.error)
            elif event is not None:
                self._emit(replace(event, kind="attempt_finished", attempt=retries + 1,
                                   error=failed.error, elapsed=elapsed))  # fmt: skip
            error = failed.error
            if options.on_failed_attempt is not None:
                try:
                    options.on_failed_attempt(error)
                except Exception:
                    logger.warning("on_failed_attempt callback failed", exc_info=True)
            delay = self._retry_delay(failed, spec, retry, retries, deadline_at)
            if isinstance(error, TransportError):
                any_sent = any_sent or error.request_sent
                error.request_sent = any_sent
                if (
                    delay is None
                    and deadline_at is not None
                    and isinstance(error, RequestTimeoutError)
                    and clock() >= deadline_at
                ):
                    error.message += f" (deadline of {options.deadline}s exceeded)"
            if delay is None:
                raise error from failed.cause
            retries += 1
            if event is not None:
                self._emit(replace(event, kind="retry_scheduled", attempt=retries + 1,
                                   delay=delay, error=error))  # fmt: skip
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s %s: retry %d in %.3fs after %s",
                    spec.method, url.raw_path_qs, retries, delay, type(error).__name__,
                )  # fmt: skip
            await asyncio.sleep(delay)

    @staticmethod
    def _deadline_error(
        options: CallOptions, spec: RequestSpec, url: URL, any_sent: bool, retries: int
    ) -> RequestTimeoutError:
        return RequestTimeoutError(
            f"deadline of {options.deadline}s exceeded",
            method=spec.method,
            url=str(url.with_query(None)),
            request_sent=any_sent,
            retries_taken=retries,
        )

    def _retry_delay(
        self,
        failed: _Failed,
        spec: RequestSpec,
        retry: RetryConfig,
        retries: int,
        deadline_at: float | None,
    ) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` to give up."""
        if retries >= retry.max_retries or not should_retry(
            failed.failure, idempotent=spec.idempotent, config=retry
        ):
            return None
        if failed.retry_after is not None:
            if failed.retry_after > retry.retry_after_cap:
                return None
            delay = failed.retry_after
        else:
            delay = backoff_delay(retries + 1, retry, self._rng)
        if deadline_at is not None and self._clock() + delay >= deadline_at:
            return None
        return delay
