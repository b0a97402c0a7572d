"""What a batch takes in, what it gives back, and what it reports while it runs."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from pydantic import Field

from ..errors import InvalidRequestError, ObsWorkflowError, may_have_started
from ..models._executions import StartWorkflowRequest, StartWorkflowResult

__all__ = ["BatchStats", "StartOutcome", "StartRequest"]


class StartRequest(StartWorkflowRequest):
    """One start of a batch. ``key`` is yours, for correlation (it is not sent)."""

    key: str | None = Field(default=None, max_length=1024)


@dataclass(slots=True)
class StartOutcome:
    """How one item of a batch ended (treat it as read-only).

    Exactly one of ``result`` and ``error`` is set. ``request`` is the validated
    :class:`StartRequest`, or ``None`` when the item itself was invalid (then
    ``error`` is an :class:`InvalidRequestError` and ``raw_item`` holds the input).
    """

    index: int
    request: StartRequest | None
    result: StartWorkflowResult | None = None
    error: ObsWorkflowError | None = None
    attempts: int = 0
    raw_item: object = None

    @property
    def ok(self) -> bool:
        """Whether the item started (``result`` is set)."""
        return self.result is not None

    @property
    def ambiguous(self) -> bool:
        """The request may have started a workflow although no success came back:
        decided by :func:`~obs_workflow_async.errors.may_have_started` (any 5xx but
        503, a 2xx whose body did not parse, a timeout or a connection lost after
        sending, anything unexpected). ``False`` means safe to send again."""
        error = self.error
        return error is not None and may_have_started(error)

    @property
    def invalid(self) -> bool:
        """Whether the item itself was refused before sending (``InvalidRequestError``)."""
        return isinstance(self.error, InvalidRequestError)

    @property
    def answer_date(self) -> datetime | None:
        """The ``Date`` header of the answer that ended the item (the result's, or the
        error's when the service answered), in the service's clock; ``None`` when no
        answer came (a lost connection, a timeout) or it had no readable ``Date``.
        Compared with this machine's clock when the outcome arrived, it gives the
        offset that settling needs (``SettleItem.offsets``)."""
        text = self.answer_date_text
        return None if text is None else _http_date(text)

    @property
    def answer_date_text(self) -> str | None:
        """The ``Date`` header of the answer that ended the item as the service sent
        it (``None``: no answer, or no ``Date``); :attr:`answer_date` reads it. Answers
        in the same second carry the same text, so a reader of many outcomes can parse
        each distinct text once."""
        source = self.result if self.result is not None else self.error
        headers = getattr(source, "headers", None)
        text = headers.get("date") if headers is not None else None
        return text if isinstance(text, str) and text else None


_IMF_FIXDATE = re.compile(
    r"[A-Z][a-z]{2}, (\d\d) ([A-Z][a-z]{2}) ([1-9]\d{3}) (\d\d):(\d\d):(\d\d) GMT", re.ASCII
).fullmatch
"""The ``Date`` form HTTP servers send (RFC 9110's IMF-fixdate), ASCII digits only, years
1000 on (``parsedate_to_datetime`` moves a year below 100 into 1969-2068)."""
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def _http_date(text: str) -> datetime | None:
    """A ``Date`` header's time (UTC when it names no zone), ``None`` when unreadable.
    The IMF-fixdate form is read by position (what ``parsedate_to_datetime`` gives it,
    at a fraction of its cost: it is most of :attr:`StartOutcome.answer_date`); any
    other text, or a date out of range, by ``parsedate_to_datetime``. No cache here (a
    run that reads many keeps its own: the command line's ``AnswerDates``)."""
    fixed = _IMF_FIXDATE(text)
    if fixed is not None:
        day, month, year, hour, minute, second = fixed.groups()
        number = _MONTHS.get(month)
        if number is not None:
            try:
                return datetime(
                    int(year),
                    number,
                    int(day),
                    int(hour),
                    int(minute),
                    int(second),
                    tzinfo=timezone.utc,
                )
            except ValueError:
                pass  # out of range: as the general reading finds it
    try:
        stamped = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return stamped if stamped.tzinfo is not None else stamped.replace(tzinfo=timezone.utc)


@dataclass(slots=True)
class BatchStats:
    """Live counters of a running batch (read them from ``on_progress`` or ``run.stats``)."""

    submitted: int = 0
    """Items taken from the input so far (invalid ones included)."""
    in_flight: int = 0
    succeeded: int = 0
    failed: int = 0
    """Items that ended with an error (ambiguous and invalid ones included)."""
    ambiguous: int = 0
    invalid: int = 0
    retried: int = 0
    """Retries made, summed over all items."""
    cancelled: int = 0
    """Items cancelled in flight because the run was left early (counted in ``failed``;
    those that may have been sent are counted in ``ambiguous`` too)."""
    throttled: int = 0
    """429/503 answers seen (each one shrinks the effective concurrency and rate)."""
    concurrency: int = 0
    """The effective concurrency limit now (adaptive)."""
    rate_limit: float | None = None
    """The effective starts-per-second limit now (adaptive), or ``None``."""
    started_at: float = field(default_factory=time.monotonic)

    @property
    def done(self) -> int:
        """Items finished so far, whatever their outcome."""
        return self.succeeded + self.failed

    @property
    def elapsed(self) -> float:
        """Seconds since the batch began."""
        return time.monotonic() - self.started_at

    @property
    def rate(self) -> float:
        """Items finished per second since the batch began."""
        elapsed = self.elapsed
        return self.done / elapsed if elapsed > 0 else 0.0
