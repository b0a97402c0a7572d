"""The default transport: one attempt on the wire over a pooled aiohttp session (TLS,
proxy, connection slots, the body cap), and what each failure means for "was anything
sent?".

It implements the public contract of :mod:`obs_workflow_async.transport`: the retry
loop (:mod:`._pipeline`) hands it a :class:`~obs_workflow_async.transport.PreparedRequest`
and gets back an :class:`~obs_workflow_async.transport.Answer` (any HTTP status) or a
:class:`~obs_workflow_async.transport.SendError` saying how the attempt failed.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from types import CodeType
from typing import Literal

import aiohttp
from yarl import URL

from ._body import (
    ACCEPT_ENCODING,
    MAX_RESPONSE_BYTES,
    BodyTooLarge,
    UndecodableBody,
    read_body,
)
from ._config import Endpoint, Proxy, Timeout, VerifyLike, build_ssl_context
from ._connections import (
    GuardedConnector,
    OneShotConnector,
    exchange_was_clean,
    failed_connecting,
    internals_checked,
)
from ._slots import SlotGate
from .errors import ClientClosedError, LoopMismatchError, RedactedCause
from .transport import Answer, Failure, PreparedRequest, SendError, SlotWaitExpired

__all__ = [
    "ANSWER_MIXED_UP",
    "MAX_RESPONSE_BYTES",
    "AiohttpTransport",
    "AnswerMixedUp",
    "WRAPPING_REQUEST",
    "request_of",
    "send_error",
]

logger = logging.getLogger(__name__)

_INF = float("inf")
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_CLOSING_TRANSPORT = "Cannot write to closing transport"
_URL_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]*@")


def _wrapping_request() -> object:
    """aiohttp's ``ClientSession.request`` where all it does is wrap the coroutine of
    ``ClientSession._request`` in a ``_RequestContextManager`` (3.10 to 3.14): awaiting
    that coroutine is then awaiting ``request``'s result, without the wrapper, its
    ``**kwargs`` copy and the extra step at every resumption. A fresh ``object()``
    (never a session class's ``request``) for any other aiohttp, or for a ``request``
    replaced before this module was imported."""
    request = aiohttp.ClientSession.request
    code: CodeType | None = getattr(request, "__code__", None)
    if (
        not internals_checked()
        or code is None
        or not inspect.iscoroutinefunction(getattr(aiohttp.ClientSession, "_request", None))
        or set(code.co_names) != {"_RequestContextManager", "_request"}
    ):
        return object()
    return request


WRAPPING_REQUEST = _wrapping_request()
""":func:`_wrapping_request`: a session whose class's ``request`` is this one is sent
on with ``session._request`` (:func:`request_of`)."""


def request_of(
    session: aiohttp.ClientSession,
) -> Callable[..., Awaitable[aiohttp.ClientResponse]]:
    """What sends a request on ``session``: ``session.request``, or, where that only
    wraps it and the session's class keeps it (:data:`WRAPPING_REQUEST`),
    ``session._request``, looked up now: a patched ``_request`` (aioresponses', for
    one) is the one called, as ``request`` would have called it."""
    if type(session).request is WRAPPING_REQUEST:
        return session._request
    return session.request


def aiohttp_timeout(
    total: float | None, connect: float | None, read: float | None
) -> aiohttp.ClientTimeout:
    """aiohttp's timeouts for one attempt.

    The connect phase (TCP, TLS, a proxy's CONNECT) is bounded strictly below the
    attempt's total, so a connection that never completes fails as a connect
    timeout (nothing sent) rather than as the total expiring mid-connect (which
    aiohttp reports as a bare timeout, indistinguishable from a read timeout).
    """
    if total is not None:
        cap = total * 0.9 if total < 0.5 else total - 0.05
        connect = cap if connect is None else min(connect, cap)
    # ceil_threshold=inf: never round a timeout up to the next whole second.
    return aiohttp.ClientTimeout(
        total=total, connect=connect, sock_connect=connect, sock_read=read, ceil_threshold=_INF
    )


_WRONG_VERSION = "WRONG_VERSION_NUMBER"
_WRONG_VERSION_HINT = (
    "TLS handshake failed: {cause} (the server did not answer in TLS: is the endpoint"
    " http? use an http:// URL for a plain-HTTP endpoint)"
)


def _tls_message(exc: aiohttp.ClientSSLError) -> str:
    if _WRONG_VERSION in str(exc):  # an https:// URL for a plain-HTTP port
        return _WRONG_VERSION_HINT
    return "TLS handshake failed: {cause}"


_CONNECT_TIMEOUT: tuple[str, Failure, bool, bool] = (
    "timed out while connecting",
    Failure.NOT_SENT,
    False,
    True,
)


def classify_exception(exc: BaseException) -> tuple[str, Failure, bool, bool]:
    """(message, retry class, request_sent, timed_out) of an exception raised by an attempt.

    "Not sent" is claimed only where aiohttp proves it: the failure happened while
    connecting (TCP, TLS, a proxy's CONNECT), or the very first write found the
    connection closing (our bodies are written together with the headers).
    See :func:`send_error` for a timeout before the attempt had a connection.
    """
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return "TLS certificate verification failed: {cause}", Failure.FINAL, False, False
    if isinstance(exc, aiohttp.ClientSSLError):
        return _tls_message(exc), Failure.FINAL, False, False
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return _CONNECT_TIMEOUT
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        final = Failure.FINAL if exc.status == 407 else Failure.NOT_SENT
        return f"the proxy refused the tunnel: HTTP {exc.status}", final, False, False
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "cannot connect: {cause}", Failure.NOT_SENT, False, False
    if isinstance(exc, aiohttp.ClientConnectionResetError) and str(exc) == _CLOSING_TRANSPORT:
        return "the pooled connection was closed before sending", Failure.NOT_SENT, False, False
    if isinstance(exc, BodyTooLarge | UndecodableBody):
        # The service answered: retrying would fetch the same unreadable answer.
        return str(exc), Failure.FINAL, True, False
    if isinstance(exc, aiohttp.SocketTimeoutError | asyncio.TimeoutError):
        return "timed out waiting for the response", Failure.AMBIGUOUS, True, True
    if isinstance(exc, aiohttp.ClientError | OSError):
        return "connection failed after sending: {cause}", Failure.AMBIGUOUS, True, False
    return "unexpected failure: {cause}", Failure.AMBIGUOUS, True, False


def redacted_cause(exc: BaseException, secrets: Sequence[str | None]) -> RedactedCause:
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


def send_error(
    exc: BaseException, secrets: Sequence[str | None], *, connected: bool = True
) -> SendError:
    """The :class:`SendError` for an exception raised while sending or reading
    (``connected``: whether the attempt was handed a connection, if known)."""
    if not connected and isinstance(exc, aiohttp.SocketTimeoutError | asyncio.TimeoutError):
        # Never handed a connection: nothing was written. aiohttp reports the attempt's
        # total expiring mid-connect as a bare timeout (its timer can fire before the
        # shorter connect timer on a late-waking loop): it is a connect timeout.
        message, failure, sent, timed_out = _CONNECT_TIMEOUT
    else:
        message, failure, sent, timed_out = classify_exception(exc)
    cause = redacted_cause(exc, secrets)
    if "{cause}" in message:
        message = message.replace("{cause}", str(cause.args[0]) if cause.args else "")
    return SendError(message, failure, request_sent=sent, timed_out=timed_out, cause=cause)


class AnswerMixedUp(aiohttp.ClientPayloadError):
    """The connection carried more than one answer while this one was read: the
    answer may be another request's (see :mod:`._connections`)."""


ANSWER_MIXED_UP = (
    "the connection carried a second answer while this one was read: the answer may "
    "belong to another request"
)


class AiohttpTransport:
    """Owns (or borrows) the ``aiohttp.ClientSession``; one attempt at a time per slot."""

    def __init__(
        self,
        *,
        endpoint: Endpoint,
        verify: VerifyLike,
        max_connections: int,
        keepalive_timeout: float,
        user_agent: str,
        session: aiohttp.ClientSession | None = None,
        proxy: Proxy | None = None,
        trust_env: bool = False,
        clock: Callable[[], float] = time.monotonic,
        reuse_for_non_idempotent: bool = False,
    ) -> None:
        self.endpoint = endpoint
        self._verify = verify
        self._max_connections = max_connections
        self._keepalive_timeout = keepalive_timeout
        self._user_agent = user_agent
        self._session = session
        self._owns_session = session is None
        self._one_shot: aiohttp.ClientSession | None = None
        """Sends non-idempotent requests (starts), each on a new connection closed after
        its answer: an answer on it cannot be another request's (docs/reliability.md)."""
        self._one_shot_wanted = self._owns_session and not reuse_for_non_idempotent
        self.proxy = proxy
        # Through a proxy, an https request tunnels (CONNECT carries the proxy's
        # credentials) while an http request is sent to the proxy itself (the request
        # carries them, unsigned).
        proxy_auth = (
            {"Proxy-Authorization": proxy.authorization}
            if proxy is not None and proxy.authorization
            else None
        )
        tunnel = endpoint.scheme == "https"
        self._proxy_url = proxy.url if proxy is not None else None
        self._proxy_headers = proxy_auth if tunnel else None
        self._proxy_request_headers = None if tunnel else proxy_auth
        self._secrets: tuple[str | None, ...] = (
            proxy.authorization if proxy is not None else None,
        )
        self._trust_env = trust_env
        self._request_options: dict[str, object] = {}
        """What every request on a borrowed session is sent with (an own session has
        these as its defaults: :meth:`request_options`)."""
        self._clock = clock
        self._ssl: ssl.SSLContext | Literal[False] | None = None
        self._timeouts: dict[Timeout, aiohttp.ClientTimeout] = {}
        self._last_timeout: tuple[Timeout | None, aiohttp.ClientTimeout] = (
            None,
            aiohttp.ClientTimeout(),
        )
        self.slots: SlotGate = SlotGate(max_connections)
        self._open_lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether the transport was closed (it sends nothing more)."""
        return self._closed

    @property
    def session(self) -> aiohttp.ClientSession | None:
        """The pooled session (``None`` until the first call, and after closing)."""
        return self._session

    def _check_usable(self) -> None:
        if self._closed:
            raise ClientClosedError("the client is closed; create a new client")

    async def open(self) -> None:
        """Create the pooled session inside the running loop (once)."""
        self._check_usable()
        loop = asyncio.get_running_loop()
        if self._loop is not None:
            if self._loop is not loop:
                raise LoopMismatchError(
                    "the client is bound to another event loop; create one client per loop"
                )
            if self._session is not None and self._ssl is not None:
                return
        async with self._open_lock:
            self._check_usable()
            if self._ssl is None:
                self._ssl = await self._tls()
            if self._session is None:
                self._session = self._new_session(force_close=False)
            self._request_options = self._options_for_requests()
            if self._one_shot is None and self._one_shot_wanted:
                self._one_shot = self._new_session(force_close=True)
            self._loop = loop

    def _new_session(self, *, force_close: bool) -> aiohttp.ClientSession:
        # No limit_per_host: equal to the total limit it could never bind, and
        # aiohttp would keep per-host books on every request for nothing.
        # Guarded: a connection that received bytes while idle is never reused.
        ssl_option = self._ssl if self._ssl is not None else True
        connector = (
            OneShotConnector(limit=self._max_connections, ssl=ssl_option)
            if force_close
            else GuardedConnector(
                limit=self._max_connections,
                keepalive_timeout=self._keepalive_timeout,
                ssl=ssl_option,
            )
        )
        # What every request carries, set once on the session rather than per request:
        # the encodings read_body decodes, the proxy's credentials for plain-HTTP
        # requests through it, and (one-shot) that the connection closes after the
        # answer (the server may close it too; newer aiohttp says so).
        headers = {"User-Agent": self._user_agent, "Accept-Encoding": ACCEPT_ENCODING}
        if self._proxy_request_headers is not None:
            headers.update(self._proxy_request_headers)
        if force_close:
            headers["Connection"] = "close"
        return aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=None),
            headers=headers,
            trust_env=self._trust_env,
            # Decoded by read_body, within the body cap.
            auto_decompress=False,
        )

    def _options_for_requests(self) -> dict[str, object]:
        """The keyword arguments of every request on our own sessions (TLS, decoding
        and the headers are the sessions' own), and on a borrowed one."""
        options: dict[str, object] = {"allow_redirects": False}
        if self._proxy_url is not None:
            options["proxy"] = self._proxy_url
            options["proxy_headers"] = self._proxy_headers
        if not self._owns_session:  # a borrowed session: none of our defaults
            options["ssl"] = self._ssl
            options["auto_decompress"] = False
        return options

    def request_options(
        self, session: aiohttp.ClientSession, headers: dict[str, str]
    ) -> dict[str, object]:
        """The keyword arguments of a request on ``session`` (from :meth:`ready_session`)
        but its method, URL, body, headers and timeout; completes ``headers`` (the
        signed ones) with what a borrowed session does not add itself."""
        if not self._owns_session:
            headers["Accept-Encoding"] = ACCEPT_ENCODING
            if self._proxy_request_headers is not None:
                headers.update(self._proxy_request_headers)
        return self._request_options

    def failure(
        self, exc: BaseException, session: aiohttp.ClientSession, secrets: tuple[str | None, ...]
    ) -> SendError:
        """The :class:`SendError` of an exception raised by a request on ``session``
        (``secrets`` and the proxy's credentials redacted from its message)."""
        # Not connected is known only on our own connectors (not a borrowed session's).
        connected = not (isinstance(session.connector, GuardedConnector) and failed_connecting(exc))
        return send_error(exc, (*secrets, *self._secrets), connected=connected)

    async def _tls(self) -> ssl.SSLContext | Literal[False]:
        endpoint = self.endpoint
        if endpoint.scheme == "http":
            if not endpoint.is_loopback:
                logger.warning(
                    "%s is plain HTTP: signatures, security tokens and bodies travel "
                    "unencrypted; use https://",
                    endpoint.origin,
                )
            return False
        if self._verify is False:
            logger.warning(
                "TLS certificate verification is disabled for %s (verify=False)", endpoint.origin
            )
        # Loading CA files is blocking I/O: keep it off the event loop.
        return await asyncio.to_thread(build_ssl_context, self._verify)

    async def aclose(self) -> None:
        """Close the session if this transport created it. Idempotent."""
        if self._closed:
            return
        self._closed = True
        session, self._session = self._session, None
        one_shot, self._one_shot = self._one_shot, None
        if one_shot is not None and not one_shot.closed:
            await one_shot.close()
        if session is not None and self._owns_session and not session.closed:
            await session.close()
            # Let the transports' connection_lost callbacks run (aiohttp's advice).
            await asyncio.sleep(0)

    def client_timeout(self, timeout: Timeout, budget: float | None) -> aiohttp.ClientTimeout:
        """aiohttp's timeouts for an attempt of ``timeout`` (cached per object) with
        ``budget`` seconds left before the deadline (``None``: no deadline)."""
        if budget is None:
            last_timeout, last = self._last_timeout
            if timeout is last_timeout:  # the usual case: the client's default object
                return last
            cached = self._timeouts.get(timeout)
            if cached is None:
                cached = aiohttp_timeout(timeout.total, timeout.connect, timeout.read)
                self._timeouts[timeout] = cached
            self._last_timeout = (timeout, cached)
            return cached
        total = budget if timeout.total is None else min(timeout.total, budget)
        return aiohttp_timeout(total, timeout.connect, timeout.read)

    async def send(
        self, request: PreparedRequest, timeout: Timeout, deadline_at: float | None
    ) -> Answer:
        """Wait for a slot (bounded by ``deadline_at``), then send once and read the answer.

        :param request: The prepared request (signed afresh for this attempt).
        :param timeout: The attempt's limits (:class:`~obs_workflow_async.Timeout`),
            the total cut to what is left before ``deadline_at``.
        :param deadline_at: When the whole call must end, on the client's clock;
            ``None``: no deadline.
        :returns: The HTTP answer, whatever its status.
        :raises SendError: No (complete) answer, and whether the request was sent.
        :raises SlotWaitExpired: The deadline passed before a connection slot was free.
        """
        session = self.ready_session(request.method)
        if session is None:
            await self.open()
            session = self.ready_session(request.method)
            assert session is not None
        slots = self.slots
        if not slots.try_acquire() and not await slots.acquire(
            None if deadline_at is None else deadline_at - self._clock()
        ):
            raise SlotWaitExpired
        try:
            # Closed while this request waited for its slot: nothing of it was sent.
            self._check_usable()
            budget = None if deadline_at is None else deadline_at - self._clock()
            if budget is not None and budget <= 0:
                raise SlotWaitExpired
            return await self.exchange(
                session,
                request.method,
                request.url,
                request.body,
                request.sign(),
                self.client_timeout(timeout, budget),
                request.secrets,
            )
        finally:
            slots.release()

    def ready_session(self, method: str) -> aiohttp.ClientSession | None:
        """The session a ``method`` request goes on, if the transport is open in the
        running loop (else ``None``: :meth:`send` opens it, or says why not)."""
        if self._session is None or self._loop is not asyncio.get_running_loop():
            return None
        if method not in _IDEMPOTENT and self._one_shot is not None:
            return self._one_shot
        return self._session

    async def exchange(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: URL,
        body: bytes | None,
        headers: dict[str, str],
        timeout: aiohttp.ClientTimeout,
        secrets: tuple[str | None, ...],
    ) -> Answer:
        """One request and its answer on ``session`` (from :meth:`ready_session`), the
        caller holding a slot; ``headers``: the signed ones (completed here). Raises
        :class:`SendError` (``secrets`` redacted from its message)."""
        options = self.request_options(session, headers)
        response: aiohttp.ClientResponse | None = None
        try:
            response = await request_of(session)(
                method, url, data=body, headers=headers, timeout=timeout, **options
            )
            # The connection's protocol (aiohttp's ClientResponse._protocol, 3.10 to
            # 3.14): the connection itself is released as soon as the body is in.
            protocol = getattr(response, "_protocol", None)
            answer_body = await read_body(response)
            if not exchange_was_clean(protocol):
                raise AnswerMixedUp(ANSWER_MIXED_UP)
            return Answer(response.status, response.reason, response.headers, answer_body)
        except Exception as exc:  # every failure maps to a SendError
            failure = self.failure(exc, session, secrets)
        finally:
            if response is not None:
                response.release()
        raise failure

    def __repr__(self) -> str:
        return f"AiohttpTransport({self.endpoint.origin!r}, proxy={self.proxy!r})"
