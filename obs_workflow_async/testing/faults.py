"""Injected faults of the fake server: what a :class:`Fault` is, which calls it hits
(:class:`FaultRules`: per graph, per operation, a number of times, with a probability
drawn from a seeded generator), and the misbehaving answers it makes."""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

from .replies import ErrorReply, error_reply, request_id_headers

__all__ = ["DEFAULT_CODES", "Fault", "FaultKind", "FaultRule", "FaultRules", "after_call"]

FaultKind = Literal["status", "delay", "drop", "reset_mid_response", "non_json", "huge_body"]


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected misbehaviour.

    ``kind``:

    - ``"status"``: answer ``status`` with a service-style JSON error (``code``,
      ``message``), or with ``body``/``content_type`` as given (e.g. an HTML page);
      ``retry_after`` adds a ``Retry-After`` header. Nothing is done.
    - ``"delay"``: wait ``delay`` seconds, then behave normally (the call takes
      effect once the delay has passed, unless the client has gone).
    - ``"drop"``: do it, then close the connection without answering (the outcome
      the client sees is ambiguous).
    - ``"reset_mid_response"``: do it, send the headers and part of the body, then
      close the connection.
    - ``"non_json"``: do it and answer 200 with a non-JSON body.
    - ``"huge_body"``: do it and answer 200 with ``size`` bytes of JSON padding,
      chunked unless ``content_length`` is set.
    """

    kind: FaultKind
    status: int = 500
    code: str | None = None
    message: str | None = None
    retry_after: str | None = None
    body: str | None = None
    content_type: str = "application/json;charset=UTF-8"
    delay: float = 0.0
    size: int = 0
    content_length: bool = False

    def status_reply(self, request_id: str, reply: ErrorReply | None = None) -> web.Response:
        """The answer of a ``"status"`` fault (``reply`` builds the error in the shape of
        the API being faked; v2's by default).

        :param request_id: The request id the answer carries (``X-Request-ID``).
        :param reply: Builds the error answer in the faked API's shape; ``None``: v2's.
        :returns: The error response to send.
        """
        extra = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
        if self.body is not None:
            headers = {"X-Request-ID": request_id, "Content-Type": self.content_type, **extra}
            return web.Response(status=self.status, text=self.body, headers=headers)
        return (reply or error_reply)(
            self.status,
            self.code or DEFAULT_CODES.get(self.status, "InternalError"),
            self.message or "injected fault",
            request_id,
            extra,
        )


DEFAULT_CODES = {
    400: "InvalidRequest",
    401: "SYS.0004",
    403: "AccessDenied",
    404: "SYS.0003",
    409: "OperationAborted",
    429: "SYS.0011",
    500: "InternalError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}
"""The error code of a ``"status"`` fault without one, by status."""


@dataclass
class FaultRule:
    """A fault and the calls it applies to (``None``: any)."""

    fault: Fault
    graph: str | None
    operation: str | None
    remaining: int | None
    probability: float = 1.0

    def matches(self, graph: str | None, operation: str) -> bool:
        return (self.graph is None or self.graph == graph) and (
            self.operation is None or self.operation == operation
        )


class FaultRules:
    """The rules in force, first added first matched; thread-safe under ``lock`` (the
    server's)."""

    def __init__(self, lock: threading.Lock, seed: int) -> None:
        self._lock = lock
        self._rules: list[FaultRule] = []
        self._random = random.Random(seed)

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, graph: str | None, operation: str) -> Fault | None:
        """The fault for this call, if any (counting it against its rule)."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(graph, operation):
                    continue
                if rule.probability < 1 and self._random.random() >= rule.probability:
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._rules.remove(rule)
                return rule.fault
        return None


# -- answers made after the call took effect -----------------------------------------------

AfterCall = Callable[[Fault, web.Request, int, object, str], Awaitable[web.StreamResponse]]


async def _drop(
    fault: Fault, request: web.Request, status: int, answer: object, request_id: str
) -> web.StreamResponse:
    if request.transport is not None:
        request.transport.abort()
    raise asyncio.CancelledError  # aiohttp treats this as "client went away"


async def _reset_mid_response(
    fault: Fault, request: web.Request, status: int, answer: object, request_id: str
) -> web.StreamResponse:
    data = json.dumps(answer).encode()
    response = web.StreamResponse(status=status, headers=request_id_headers(request_id))
    response.content_type = "application/json"
    response.content_length = len(data)
    await response.prepare(request)
    await response.write(data[: len(data) // 2])
    if request.transport is not None:
        request.transport.abort()
    return response


async def _huge_body(
    fault: Fault, request: web.Request, status: int, answer: object, request_id: str
) -> web.StreamResponse:
    response = web.StreamResponse(status=200, headers={"X-Request-ID": request_id})
    response.content_type = "application/json"
    if fault.content_length:
        response.content_length = fault.size
    else:
        response.enable_chunked_encoding()
    await response.prepare(request)
    chunk = b" " * 65536
    sent = 0
    try:
        while sent < fault.size:
            piece = chunk[: fault.size - sent]
            await response.write(piece)
            sent += len(piece)
    except (ConnectionResetError, RuntimeError):
        return response  # the client refused the rest: that is the point
    await response.write_eof()
    return response


async def _non_json(
    fault: Fault, request: web.Request, status: int, answer: object, request_id: str
) -> web.StreamResponse:
    return web.Response(
        status=200,
        text=fault.body or "<html>gateway</html>",
        content_type="text/html",
        headers=request_id_headers(request_id),
    )


_AFTER_CALL: dict[FaultKind, AfterCall] = {
    "drop": _drop,
    "reset_mid_response": _reset_mid_response,
    "huge_body": _huge_body,
    "non_json": _non_json,
}


def after_call(fault: Fault) -> AfterCall | None:
    """How ``fault`` answers once the call took effect (``None``: answer normally)."""
    return _AFTER_CALL.get(fault.kind)
