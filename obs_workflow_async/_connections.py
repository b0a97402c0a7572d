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
from contextvars import ContextVar, Token
from typing import Any, cast

import aiohttp
from aiohttp.client_proto import ResponseHandler
from aiohttp.client_reqrep import ClientRequest
from aiohttp.connector import Connection
from aiohttp.tracing import Trace

__all__ = [
    "ConnectionMark",
    "GuardedConnector",
    "GuardedResponseHandler",
    "exchange_was_clean",
    "unwatch_connection",
    "watch_connection",
]

logger = logging.getLogger(__name__)

_NEW, _EXPECTING, _IDLE = 0, 1, 2
_warned = False


class GuardedResponseHandler(ResponseHandler):
    """aiohttp's protocol, plus the one-answer-per-request books (module docstring)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop)
        self._state = _NEW
        self._answered = False
        self.stray = False
        """Bytes arrived that no request asked for (the connection is never reused)."""

    # -- the exchange -----------------------------------------------------------------

    def set_response_params(self, **kwargs: Any) -> None:
        """A request is handed this connection (called before it is written)."""
        self._state = _EXPECTING
        self._answered = False
        super().set_response_params(**kwargs)

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
        super().feed_data(data, size)

    def _answer_complete(self) -> None:
        if self._state == _EXPECTING:
            self._state = _IDLE

    def data_received(self, data: bytes) -> None:
        if data and self._state == _IDLE:
            self._stray(f"{len(data)} bytes while idle")
            return  # never parsed: they cannot become the next request's answer
        super().data_received(data)

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
        return not self.stray and super().is_connected()

    @property
    def should_close(self) -> bool:
        return self.stray or super().should_close


def exchange_was_clean(protocol: object) -> bool:
    """Whether ``protocol`` (the connection an answer was read from) has carried
    nothing but one answer per request so far."""
    return not (isinstance(protocol, GuardedResponseHandler) and protocol.stray)


class ConnectionMark:
    """Whether the attempt it was made for has been handed a connection yet.

    Until it has, nothing of that request can have been written to any socket, so
    a failure (the attempt's total timeout expiring mid-connect included) proves
    the request was not sent. Connections come from :meth:`GuardedConnector.connect`
    (new, pooled, tunnelled alike).
    """

    __slots__ = ("obtained",)

    def __init__(self) -> None:
        self.obtained = False


_current_mark: ContextVar[ConnectionMark | None] = ContextVar(
    "obs_workflow_async_connection_mark", default=None
)


def watch_connection(mark: ConnectionMark) -> Token[ConnectionMark | None]:
    """Mark ``mark`` when the current task's next request gets a connection; returns
    the token for :func:`unwatch_connection`."""
    return _current_mark.set(mark)


def unwatch_connection(token: Token[ConnectionMark | None]) -> None:
    """Undo :func:`watch_connection`."""
    _current_mark.reset(token)


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

    async def connect(
        self, req: ClientRequest, traces: list[Trace], timeout: aiohttp.ClientTimeout
    ) -> Connection:
        """aiohttp's ``connect`` (the same signature 3.10 to 3.14), then mark the
        watching attempt's :class:`ConnectionMark` (no await in between)."""
        connection = await super().connect(req, traces, timeout)
        mark = _current_mark.get()
        if mark is not None:
            mark.obtained = True
        return connection
