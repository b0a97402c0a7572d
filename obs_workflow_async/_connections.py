"""Pooled connections that never hand one request's answer to another.

HTTP/1.1 without pipelining carries one answer per request, in order. A server or
proxy that breaks this (an unsolicited second response after the real one) leaves
bytes on a kept-alive connection; aiohttp keeps them (parsed into the protocol's
queue, or in its parser) and the next request on that connection reads them as its
own answer. :class:`GuardedResponseHandler` keeps the books aiohttp does not:

* a connection is *expecting* from the moment a request is handed to it
  (``set_response_params``, before the request is written) until its final
  (non-1xx) answer has arrived whole; afterwards it is *idle*;
* any byte that arrives while idle, and a second final answer within one exchange,
  is *stray*: the connection is closed at once (before any further request can be
  written on it) and ``is_connected()``/``should_close`` say so, so the pool
  (``BaseConnector._get`` checks ``is_connected()`` before every reuse) discards
  it. Stray bytes are never parsed: they cannot become anybody's answer.

:func:`failed_connecting` tells, from an attempt's exception alone, whether it was
raised before the request had a connection (nothing of it can have been written).

:class:`OneShotConnector` (the session that opens a connection per request) spares
aiohttp's ``connect`` timer where its ``sock_connect`` timer alone bounds connecting
(an IP literal or one cached address, no proxy, a free slot): ``Timeout.connect``
bounds connecting exactly as before, with one timer fewer per start.

:func:`exchange_was_clean` lets the transport refuse an answer whose connection
turned out to carry more than one answer before the answer was read (the answer
may be the other request's: ambiguous, never a success or a definite failure).

What this cannot prove: an unsolicited response that arrives *after* the next
request was written and *before* that request's own answer is, to HTTP/1.1, that
request's answer (the service echoes no per-request id). It is detected only when
the real answer follows while the answer is still being read, or later (the
connection is then discarded). See docs/reliability.md.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Coroutine
from types import CodeType
from typing import TYPE_CHECKING, Any, cast

import aiohttp
import aiohttp.connector
from aiohttp.client_proto import ResponseHandler

if TYPE_CHECKING:
    from aiohttp.client_reqrep import ClientRequest
    from aiohttp.tracing import Trace

__all__ = [
    "GuardedConnector",
    "GuardedResponseHandler",
    "OneShotConnector",
    "exchange_was_clean",
    "failed_connecting",
    "internals_checked",
]

logger = logging.getLogger(__name__)

_NEW, _EXPECTING, _IDLE = 0, 1, 2
_warned = False

# aiohttp's own methods, called directly (no super() lookup on every request)
_set_response_params = ResponseHandler.set_response_params
_feed_data = ResponseHandler.feed_data
_data_received = ResponseHandler.data_received
_is_connected = ResponseHandler.is_connected
_should_close = cast(
    "Callable[[ResponseHandler], bool]", vars(ResponseHandler)["should_close"].fget
)


def _expecting_then(set_params: Callable[..., None]) -> Callable[..., None]:
    """``set_params`` (aiohttp's ``ResponseHandler.set_response_params``), after which
    the connection is *expecting*: a function with exactly its keyword-only parameters
    and defaults (they differ between aiohttp versions: read from the installed one),
    passing every one through by name. No ``**kwargs`` dict is built and unpacked on
    every request; should a future aiohttp take anything else than keyword-only
    parameters with defaults, the ``**kwargs`` form is used."""
    import inspect

    params = list(inspect.signature(set_params).parameters.values())[1:]  # after self
    if not all(
        p.kind is p.KEYWORD_ONLY and p.default is not p.empty and p.name.isidentifier()
        for p in params
    ):  # a future aiohttp

        def expecting_then(self: GuardedResponseHandler, **kwargs: Any) -> None:
            self._state = _EXPECTING
            self._answered = False
            set_params(self, **kwargs)

        return expecting_then
    namespace: dict[str, Any] = {"set_params": set_params, "EXPECTING": _EXPECTING}
    namespace.update((f"default_{i}", p.default) for i, p in enumerate(params))
    signature = ", ".join(f"{p.name}=default_{i}" for i, p in enumerate(params))
    arguments = ", ".join(f"{p.name}={p.name}" for p in params)
    # built from aiohttp's own parameter names (identifiers): no outside text
    exec(
        f"def set_response_params(self, *, {signature}):\n"
        "    self._state = EXPECTING\n"
        "    self._answered = False\n"
        f"    set_params(self, {arguments})\n",
        namespace,
    )
    function: Callable[..., None] = namespace["set_response_params"]
    function.__module__ = __name__
    function.__qualname__ = "GuardedResponseHandler.set_response_params"
    function.__doc__ = "A request is handed this connection (called before it is written)."
    return function


class GuardedResponseHandler(ResponseHandler):
    """aiohttp's protocol, plus the one-answer-per-request books (module docstring)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        ResponseHandler.__init__(self, loop)
        self._state = _NEW
        self._answered = False
        self.stray = False
        """Bytes arrived that no request asked for (the connection is never reused)."""

    # -- the exchange -----------------------------------------------------------------

    set_response_params = _expecting_then(_set_response_params)
    """A request is handed this connection (called before it is written): *expecting*
    from now on (no answer yet), then aiohttp's own, with the same arguments."""

    def feed_data(self, data: Any, size: int = 0) -> None:
        """One parsed response head with its payload (aiohttp's ``DataQueue``)."""
        message, payload = data
        code = getattr(message, "code", 0)
        if not (100 <= code < 200 and code != 101):  # interim 1xx answers do not count
            if self._answered or self._state != _EXPECTING:
                self._stray("a second answer to one request")
            else:
                self._answered = True
                payload.on_eof(self._answer_complete)
        _feed_data(self, data, size)

    def _answer_complete(self) -> None:
        if self._state == _EXPECTING:
            self._state = _IDLE

    def data_received(self, data: bytes) -> None:
        if data and self._state == _IDLE:
            self._stray(f"{len(data)} bytes while idle")
            return  # never parsed: they cannot become the next request's answer
        _data_received(self, data)

    def _stray(self, what: str) -> None:
        global _warned
        if not self.stray:
            level = logging.DEBUG if _warned else logging.WARNING
            _warned = True
            logger.log(
                level,
                "discarding a connection: the server sent %s (an answer no request "
                "asked for); later ones are logged at DEBUG",
                what,
            )
        self.stray = True
        self.force_close()
        transport = self.transport
        if transport is not None:
            transport.close()

    # -- what the pool asks ----------------------------------------------------------

    def is_connected(self) -> bool:
        return not self.stray and _is_connected(self)

    @property
    def should_close(self) -> bool:
        return self.stray or _should_close(self)


def exchange_was_clean(protocol: object) -> bool:
    """Whether ``protocol`` (the connection an answer was read from) has carried
    nothing but one answer per request so far."""
    return not (isinstance(protocol, GuardedResponseHandler) and protocol.stray)


_CONNECT_CODE: frozenset[CodeType] = frozenset({aiohttp.BaseConnector.connect.__code__})
"""The code of aiohttp's ``BaseConnector.connect`` (3.10 to 3.14: every connection a
request gets, new, pooled or tunnelled, comes from it, before anything is written)."""


def failed_connecting(exc: BaseException) -> bool:
    """Whether ``exc`` (raised by one request) came out of the connector's ``connect``:
    the request had no connection yet, so nothing of it was written to any socket.

    Judged from the tracebacks of ``exc`` and of the exceptions it was explicitly
    raised from (``__cause__``: aiohttp turns its total timeout firing mid-connect into
    a bare ``TimeoutError`` raised from the ``CancelledError`` that left ``connect``).
    Never from ``__context__``: an exception raised after the request was written gets
    as its context whatever its awaiting frames were handling, such as an earlier
    request's connect failure the caller is reacting to. Should a future aiohttp
    connect elsewhere, nothing is found: the attempt counts as possibly sent (the
    safe side).
    """
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 8:
        tb = current.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code in _CONNECT_CODE:
                return True
            tb = tb.tb_next
        seen += 1
        current = current.__cause__
    return False


class GuardedConnector(aiohttp.TCPConnector):
    """A :class:`aiohttp.TCPConnector` whose connections are :class:`GuardedResponseHandler` s.

    aiohttp builds every connection's protocol (TLS ones included) with the
    connector's ``_factory`` (the same attribute from 3.10 to 3.14). Should a
    future aiohttp drop it, the connector falls back to one request per connection
    (``force_close``), which is safe: nothing is ever reused.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        factory = getattr(self, "_factory", None)
        if isinstance(factory, functools.partial) and factory.func is ResponseHandler:
            guarded = functools.partial(GuardedResponseHandler, loop=self._loop)
            self._factory = cast("functools.partial[ResponseHandler]", guarded)
            self.guarded = True
        else:  # pragma: no cover - a future aiohttp
            logger.warning(
                "aiohttp %s builds connections differently; not reusing connections",
                aiohttp.__version__,
            )
            self._force_close = True
            self.guarded = False


_base_connect = aiohttp.BaseConnector.connect
_is_ip_address: Callable[[str], bool] | None = getattr(aiohttp.connector, "is_ip_address", None)
_CACHE_MARGIN = 1.0
"""Seconds a DNS cache entry must stay fresh beyond now to count as a cache hit (the
lookup follows within microseconds, without yielding to the loop)."""


def internals_checked() -> bool:
    """Whether the installed aiohttp is one whose internals this client's shortcuts
    were checked against (3.10 to 3.14); each shortcut also checks what it relies on."""
    try:
        version = tuple(int(part) for part in aiohttp.__version__.split(".")[:2])
    except ValueError:
        return False
    return (3, 10) <= version <= (3, 14)


def _connect_timer_in_connector() -> bool:
    """Whether aiohttp arms the ``connect`` timer in ``BaseConnector.connect`` (3.10.11
    on; before that, ``ClientSession`` armed it around the call: nothing to drop), in
    a version whose internals :class:`OneShotConnector` was checked against (to 3.14)."""
    base = aiohttp.BaseConnector.connect
    return (
        internals_checked()
        and getattr(aiohttp.TCPConnector, "connect", None) is base
        and "ceil_timeout" in base.__code__.co_names
        and _is_ip_address is not None
    )


class OneShotConnector(GuardedConnector):
    """The connector of the one-connection-per-request session (``force_close``).

    Every request gets a new connection: aiohttp's ``BaseConnector.connect`` arms the
    ``connect`` timer for it, and inside that the connection itself is opened under
    the ``sock_connect`` timer (TCP and TLS: ``_wrap_create_connection``, aiohttp
    3.10 to 3.14). Our timeouts set ``connect == sock_connect`` (``aiohttp_timeout``),
    so where nothing but that one ``sock_connect`` step can wait, the outer timer
    bounds nothing the inner one does not: :meth:`connect` then hands aiohttp the
    timeout without it (one timer fewer per request). That is when all hold:

    * no proxy (a proxy's connection and its ``CONNECT`` are two steps);
    * no trace hooks (they are awaited in the connect phase);
    * a free connection slot (no wait for one; no per-host limit);
    * the host is an IP literal, or aiohttp's DNS cache holds it with exactly one
      address, fresh for :data:`_CACHE_MARGIN` s more (no lookup; with n addresses
      aiohttp would try each under its own ``sock_connect`` timer).

    Each is checked synchronously right before aiohttp's own ``connect`` runs, and
    aiohttp reaches the same decisions (pool, slot, cache) without yielding to the
    loop first: nothing can change in between. Anything else, any aiohttp internal
    missing or unexpected, or an aiohttp not checked (before 3.10.11, after 3.14),
    keeps the timeout as it is.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(force_close=True, **kwargs)
        self._drop_connect_timer = _connect_timer_in_connector()
        self._ip_literal = ""
        """The last host found to be an IP literal (the endpoint's, usually)."""
        self._last_timeout: tuple[aiohttp.ClientTimeout | None, aiohttp.ClientTimeout] = (
            None,
            aiohttp.ClientTimeout(),
        )

    def connect(
        self, req: ClientRequest, traces: list[Trace], timeout: aiohttp.ClientTimeout
    ) -> Coroutine[Any, Any, aiohttp.connector.Connection]:
        """aiohttp's ``connect`` (its coroutine: no frame of ours in between), with
        ``timeout.connect`` dropped where ``sock_connect`` alone bounds the phase."""
        if (
            self._drop_connect_timer
            and not traces
            and timeout.connect is not None
            and req.proxy is None
            and self._single_step(req, timeout)
        ):
            timeout = self._without_connect(timeout)
        return _base_connect(self, req, traces, timeout)

    def _single_step(self, req: ClientRequest, timeout: aiohttp.ClientTimeout) -> bool:
        """Whether opening ``req``'s connection is one ``sock_connect`` step, no longer
        than ``timeout.connect`` (see the class docstring)."""
        sock_connect = timeout.sock_connect
        connect = timeout.connect
        if sock_connect is None or connect is None or not 0 < sock_connect <= connect:
            return False
        try:
            # _available_connections(key) without building the key (3.10.11 to 3.14):
            # with no per-host limit, the total limit alone decides.
            limit = self._limit
            if self._limit_per_host or (limit and len(self._acquired) >= limit):
                return False
            url = req.url
            return self._one_address(url.raw_host, url.port)
        except Exception:  # an aiohttp whose internals differ: keep the timer
            return False

    def _one_address(self, host: str | None, port: int | None) -> bool:
        """Whether aiohttp will try exactly one address for ``host``, without a lookup."""
        if host is None or port is None:
            return False
        if host == self._ip_literal:
            return True
        assert _is_ip_address is not None
        if _is_ip_address(host):  # aiohttp's own test (_resolve_host)
            self._ip_literal = host
            return True
        if not self._use_dns_cache:
            return False
        if host.endswith(".."):  # as aiohttp's _create_direct_connection keys it
            host = host.rstrip(".") + "."
        table = self._cached_hosts
        key = (host, port)
        entry = table._addrs_rr.get(key)
        if entry is None or entry[1] != 1:
            return False
        ttl = table._ttl
        if ttl is None:
            return True
        stamp: float = table._timestamps[key]
        return stamp + ttl > time.monotonic() + _CACHE_MARGIN

    def _without_connect(self, timeout: aiohttp.ClientTimeout) -> aiohttp.ClientTimeout:
        source, derived = self._last_timeout
        if source is timeout:  # the usual case: the client's default timeout object
            return derived
        derived = aiohttp.ClientTimeout(
            total=timeout.total,
            connect=None,
            sock_read=timeout.sock_read,
            sock_connect=timeout.sock_connect,
            ceil_threshold=timeout.ceil_threshold,
        )
        self._last_timeout = (timeout, derived)
        return derived
