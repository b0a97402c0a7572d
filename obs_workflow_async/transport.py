"""The wire contract: what a transport receives, returns and may raise.

The client signs and prepares each attempt (:class:`PreparedRequest`), hands it to its
:class:`Transport` and gets back an :class:`Answer` (any HTTP status), or one of the
two exceptions below. These names are all a third party needs to write a transport
(:mod:`obs_workflow_async.testing.mock` is one, written with them alone).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from typing import NamedTuple, Protocol, runtime_checkable

from yarl import URL

from ._config import Timeout
from .errors import RedactedCause

__all__ = [
    "Answer",
    "Failure",
    "PreparedRequest",
    "SendError",
    "SlotWaitExpired",
    "Timeout",
    "Transport",
]


class Failure(Enum):
    """How an attempt failed, as far as "could the service have acted?" goes."""

    NOT_SENT = "not_sent"
    """The connection could not be made: nothing reached the service."""
    REFUSED = "refused"
    """429 or 503: the service refused before doing anything."""
    AMBIGUOUS = "ambiguous"
    """Sent but no reliable answer (500/502/504, read timeout, dropped connection)."""
    FINAL = "final"
    """A definite answer that retrying cannot change (other 4xx, bad certificate)."""


class PreparedRequest(NamedTuple):
    """One attempt, ready to go: ``sign()`` builds its signed headers at send time
    (once a connection slot is free, so the ``Date`` is fresh)."""

    method: str
    url: URL
    body: bytes | None
    sign: Callable[[], dict[str, str]]
    secrets: tuple[str | None, ...] = ()
    """Values to redact from any failure message (the security token)."""

    def __repr__(self) -> str:  # never the secrets, even in a traceback's locals
        return f"PreparedRequest({self.method} {self.url.with_query(None)})"


class Answer(NamedTuple):
    """An HTTP answer, whatever its status."""

    status: int
    reason: str | None
    headers: Mapping[str, str]
    """Case-insensitive (aiohttp's ``CIMultiDictProxy`` for the real transport)."""
    body: bytes


class SendError(Exception):
    """Raised by :meth:`Transport.send`: the attempt got no (complete) HTTP answer.

    ``failure`` says what the retry policy may do (:class:`Failure`), ``request_sent``
    whether any byte of the request may have reached the service (``False`` only when
    that is proven: the connection was never made), ``timed_out`` whether a time
    limit ended it, ``cause`` the underlying exception with secrets removed. The
    client turns it into a :class:`~obs_workflow_async.errors.TransportError`; it is
    never raised to callers of the client."""

    def __init__(
        self,
        message: str,
        failure: Failure,
        *,
        request_sent: bool,
        timed_out: bool = False,
        cause: RedactedCause | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.failure = failure
        self.request_sent = request_sent
        self.timed_out = timed_out
        self.cause = cause


class SlotWaitExpired(Exception):  # noqa: N818 - a signal, not an error
    """Raised by :meth:`Transport.send` when the call's deadline passed while waiting
    for a free connection slot: nothing was sent (the client raises
    :class:`~obs_workflow_async.errors.RequestTimeoutError` with ``request_sent=False``)."""


@runtime_checkable
class Transport(Protocol):
    """What the client needs from the wire: send one prepared request, once.

    The client (its retry loop) calls :meth:`send` once per attempt and decides
    itself whether to try again; a transport never retries. Pass one as
    ``transport=`` to either client: :class:`~obs_workflow_async.AiohttpTransport`
    is the default, :class:`~obs_workflow_async.testing.mock.MockTransport` answers
    in memory. Everything a transport may raise is defined in this module."""

    @property
    def closed(self) -> bool:
        """Whether the transport was closed."""
        ...

    async def open(self) -> None:
        """Get ready inside the running loop (idempotent)."""

    async def send(
        self, request: PreparedRequest, timeout: Timeout, deadline_at: float | None
    ) -> Answer:
        """Send once; raise :class:`SendError` or :class:`SlotWaitExpired`.

        :param request: The prepared request (signed afresh for this attempt).
        :param timeout: The attempt's limits (:class:`~obs_workflow_async.Timeout`).
        :param deadline_at: When the whole call must end, on the client's clock;
            ``None``: no deadline.
        :returns: The HTTP answer, whatever its status.
        :raises SendError: No (complete) answer, and whether the request was sent.
        :raises SlotWaitExpired: The deadline passed before a connection slot was free.
        """
        ...

    async def aclose(self) -> None:
        """Release the connections (idempotent)."""
