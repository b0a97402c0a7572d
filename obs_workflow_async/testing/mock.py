"""An in-memory transport for unit tests: no sockets, answers from a function of yours.

    from obs_workflow_async import AsyncWorkflowClient
    from obs_workflow_async.testing.mock import MockResponse, MockTransport

    def handler(request):
        assert request.json()["bucket"] == "media"
        return MockResponse(200, json={"execution_urn": "urn:x", "execution_name": "e1",
                                       "started_at": "2026-01-01T00:00:00Z"})

    client = AsyncWorkflowClient(server="https://obs.example.com", access_key_id="ak",
                                 secret_access_key="sk", transport=MockTransport(handler))

Everything above the wire runs for real: validation, signing (``request.headers``
holds the signed headers), the retry policy, hooks, parsing and errors. The handler
may be sync or async, and may raise :class:`ConnectFailed` (nothing sent),
:class:`ConnectionLost` (sent, no answer) or :class:`ReadTimeout` to play a
failure. Like httpx's ``MockTransport``.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from multidict import CIMultiDict, CIMultiDictProxy

from ..transport import Answer, Failure, PreparedRequest, SendError, Timeout

__all__ = [
    "ConnectFailed",
    "ConnectionLost",
    "MockRequest",
    "MockResponse",
    "MockTransport",
    "ReadTimeout",
]


@dataclass(frozen=True)
class MockRequest:
    """What the client sent: method, full URL, signed headers and body."""

    method: str
    url: str
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = b""

    def json(self) -> object:
        """The body parsed as JSON (``None`` when empty)."""
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True)
class MockResponse:
    """An answer: ``json`` (serialised for you) or raw ``body``, and headers."""

    status: int = 200
    json: object = None
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    reason: str | None = None

    def to_answer(self) -> Answer:
        """The answer as the client's transport returns it."""
        body = self.body if self.body is not None else b""
        headers: CIMultiDict[str] = CIMultiDict(self.headers)
        if self.body is None and self.json is not None:
            body = json.dumps(self.json).encode()
            headers.setdefault("Content-Type", "application/json")
        return Answer(self.status, self.reason, CIMultiDictProxy(headers), body)


class ConnectFailed(Exception):  # noqa: N818 - reads as what happened
    """Raise from a handler: the connection could not be made (nothing sent)."""


class ConnectionLost(Exception):  # noqa: N818
    """Raise from a handler: the request went out and the connection dropped."""


class ReadTimeout(Exception):  # noqa: N818
    """Raise from a handler: the request went out and no answer came in time."""


Handler = Callable[[MockRequest], "MockResponse | Awaitable[MockResponse]"]


class MockTransport:
    """A :class:`~obs_workflow_async.transport.Transport` that calls ``handler`` per attempt."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self.requests: list[MockRequest] = []
        """Every attempt, in order."""
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` was called."""
        return self._closed

    async def open(self) -> None:
        """Nothing to open: answers come from the handler."""
        return None

    async def aclose(self) -> None:
        """Refuse further sends."""
        self._closed = True

    async def send(
        self, request: PreparedRequest, timeout: Timeout, deadline_at: float | None
    ) -> Answer:
        """Record the attempt, ask the handler, and map what it raises to a send failure.

        :param request: The prepared request; recorded (signed) in :attr:`requests`.
        :param timeout: The attempt's limits; not applied (the handler answers at once).
        :param deadline_at: When the whole call must end; not applied.
        :returns: The handler's answer.
        :raises SendError: The handler raised ``ConnectFailed``, ``ConnectionLost`` or
            ``ReadTimeout``.
        :raises ClientClosedError: The transport was closed.
        """
        if self._closed:
            from ..errors import ClientClosedError

            raise ClientClosedError("the client is closed; create a new client")
        sent = MockRequest(request.method, str(request.url), request.sign(), request.body or b"")
        self.requests.append(sent)
        try:
            response = self._handler(sent)
            if inspect.isawaitable(response):
                response = await response
        except ConnectFailed as exc:
            raise SendError(
                f"cannot connect: {exc}", Failure.NOT_SENT, request_sent=False
            ) from None
        except ConnectionLost as exc:
            raise SendError(
                f"connection failed after sending: {exc}", Failure.AMBIGUOUS, request_sent=True
            ) from None
        except ReadTimeout:
            raise SendError(
                "timed out waiting for the response",
                Failure.AMBIGUOUS,
                request_sent=True,
                timed_out=True,
            ) from None
        assert isinstance(response, MockResponse), "a handler returns a MockResponse"
        return response.to_answer()
