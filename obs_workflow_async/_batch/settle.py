"""Settling ambiguous starts: the pure part (windows, matching inputs, verdicts).

No I/O here: :mod:`obs_workflow_async._api.settle` lists and fetches, then asks these
functions what the answers prove. See ``docs/settling.md``.

Times: an item's ``since``/``until`` are this machine's clock (when the start was
sent, when its outcome came back). ``started_at`` is the service's clock. The
service's ``Date`` answers give the offset between the two; ``margin`` widens every
window by a fixed amount on top (Date's one-second resolution, round trips, and the
gap between the clock that writes ``Date`` and the one that writes ``started_at``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Literal

__all__ = [
    "DEFAULT_MARGIN",
    "DEFAULT_SETTLE_DELAY",
    "Candidate",
    "ListingSweep",
    "SettleItem",
    "SettleResult",
    "Verdict",
    "WindowSet",
    "clock_offset",
    "input_target",
    "service_window",
    "verdict_for",
]

Verdict = Literal["started", "not_started", "unknown"]

DEFAULT_MARGIN = 5.0
"""Seconds added on both sides of every window, in the service's clock."""
DEFAULT_SETTLE_DELAY = 30.0
"""Seconds a listing may lag behind the starts it should show: a listing proves
"not started" only if it began at least this long after the item's ``until``."""

_BUCKET_KEYS = ("bucket", "bucket_name", "bucketName")
_OBJECT_KEYS = ("object", "object_key", "objectKey", "key", "object_name")
_NESTED_KEYS = ("input", "inputs", "body", "request", "payload", "data", "params", "parameters")
_MAX_DEPTH = 4


@dataclass(frozen=True, slots=True)
class SettleItem:
    """One ambiguous start to settle.

    ``since`` and ``until`` bound when the start may have happened, in this machine's
    clock (aware datetimes): ``since`` no later than the moment the request was
    sent, ``until`` no earlier than the moment its outcome was known (``None``: up to
    the moment settling begins, e.g. a run killed with the item in flight).
    ``key`` is yours (an index, a manifest key), handed back in the result.
    """

    graph_name: str
    bucket: str
    object_key: str
    since: datetime
    until: datetime | None = None
    key: object = None


@dataclass(frozen=True, slots=True)
class SettleResult:
    """The verdict on one :class:`SettleItem`.

    - ``started``: the service lists an API execution of this graph, started inside
      the window, whose input names this bucket and object (``execution_names``,
      oldest first; more than one is a duplicate start).
    - ``not_started``: the listing covered the whole window (swept to the end,
      beginning at least ``settle_delay`` after ``until``), every execution in the
      window carried a readable bucket/object, and none was this one. Safe to resend.
    - ``unknown``: anything else; ``reason`` says why. Not safe to resend.
    """

    item: SettleItem
    verdict: Verdict
    execution_names: tuple[str, ...] = ()
    reason: str = ""

    @property
    def duplicate(self) -> bool:
        """More than one execution matched: the object was started more than once."""
        return len(self.execution_names) > 1


@dataclass(frozen=True, slots=True)
class Candidate:
    """A listed execution whose start time falls in some window, with what its details said."""

    execution_name: str
    started_at: datetime | None
    target: tuple[str, str] | None
    """``(bucket, object)`` read from ``execution_info.input``, or ``None`` when the
    input (or the details call) did not tell."""


@dataclass(slots=True)
class ListingSweep:
    """What one sweep over a graph's ``APICALL`` listing showed."""

    graph_name: str
    began_local: datetime
    """This machine's clock when the first page was requested."""
    complete: bool = False
    """Every page was read, up to one that was not truncated."""
    error: str | None = None
    pages: int = 0
    listed: int = 0
    offset: timedelta = timedelta(0)
    """Service clock minus this machine's clock, from the pages' ``Date`` headers."""
    time_ordered: bool = True
    """Whether the pages happened to come in ``started_at`` order (the service does
    not document it; the sweep never relies on it and always reads to the end)."""
    candidates: list[Candidate] = field(default_factory=list)


def clock_offset(date_header: str | None, sent: datetime, received: datetime) -> timedelta | None:
    """Service clock minus local clock from one answer's ``Date`` header, taking the
    middle of the request's round trip as the moment the service stamped it."""
    if not date_header:
        return None
    try:
        stamped = parsedate_to_datetime(date_header)
    except (TypeError, ValueError, IndexError):
        return None
    if stamped.tzinfo is None:
        stamped = stamped.replace(tzinfo=timezone.utc)
    middle = sent + (received - sent) / 2
    return stamped - middle


def service_window(
    item: SettleItem,
    default_until: datetime,
    offset: timedelta,
    margin: float,
) -> tuple[datetime, datetime]:
    """The item's window in the service's clock, widened by ``margin`` seconds."""
    pad = timedelta(seconds=margin)
    until = item.until if item.until is not None else default_until
    return item.since + offset - pad, until + offset + pad


class WindowSet:
    """Merged windows, for "does this start time fall in any item's window?"."""

    def __init__(self, windows: Iterable[tuple[datetime, datetime]]) -> None:
        merged: list[list[datetime]] = []
        for low, high in sorted(windows):
            if merged and low <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], high)
            else:
                merged.append([low, high])
        self._spans = [(low, high) for low, high in merged]

    def __contains__(self, moment: object) -> bool:
        if not isinstance(moment, datetime):
            return False
        return any(low <= moment <= high for low, high in self._spans)

    @property
    def empty(self) -> bool:
        return not self._spans


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _bucket_of(value: object) -> str | None:
    if isinstance(value, Mapping):  # event style: {"bucket": {"name": ...}}
        return _text(value.get("name"))
    return _text(value)


def _object_of(value: object) -> str | None:
    if isinstance(value, Mapping):  # event style: {"object": {"key": ...}}
        return _text(value.get("key"))
    return _text(value)


def _decode(value: object) -> object:
    for _ in range(2):  # JSON text, or JSON text of JSON text
        if not isinstance(value, str):
            return value
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return value


def _targets(value: object, depth: int, found: set[tuple[str, str]]) -> None:
    value = _decode(value)
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, Mapping):
        bucket = next((b for k in _BUCKET_KEYS if (b := _bucket_of(value.get(k)))), None)
        obj = next((o for k in _OBJECT_KEYS if (o := _object_of(value.get(k)))), None)
        if bucket is not None and obj is not None:
            found.add((bucket, obj))
            return
        for key in _NESTED_KEYS:
            if key in value:
                _targets(value[key], depth + 1, found)
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        for entry in value[:8]:
            _targets(entry, depth + 1, found)


def input_target(value: object) -> tuple[str, str] | None:
    """The ``(bucket, object)`` an execution's ``execution_info.input`` names, or ``None``.

    The input may be a JSON object or JSON text. The pair is looked for at the top
    level (``bucket`` and ``object``, or close spellings), then inside the evident
    nestings (``input``, ``inputs``, ``body``, ``request``, ``payload``, ``data``, lists
    of those); event-style ``{"bucket": {"name"}, "object": {"key"}}`` counts too. No
    pair, or two different pairs, gives ``None``: the input does not tell.
    """
    found: set[tuple[str, str]] = set()
    _targets(value, 0, found)
    return next(iter(found)) if len(found) == 1 else None


def verdict_for(
    item: SettleItem,
    window: tuple[datetime, datetime],
    sweep: ListingSweep,
    *,
    default_until: datetime,
    settle_delay: float,
) -> SettleResult:
    """The verdict on ``item`` from its graph's sweep (see :class:`SettleResult`)."""
    low, high = window
    matched: list[Candidate] = []
    undecided = 0
    for candidate in sweep.candidates:
        started = candidate.started_at
        if started is not None and not low <= started <= high:
            continue
        if candidate.target is None:
            undecided += 1
        elif candidate.target == (item.bucket, item.object_key):
            matched.append(candidate)
    if matched:
        far_past = datetime.min.replace(tzinfo=timezone.utc)
        matched.sort(key=lambda c: (c.started_at or far_past, c.execution_name))
        names = tuple(c.execution_name for c in matched)
        reason = "duplicate start" if len(names) > 1 else ""
        return SettleResult(item, "started", names, reason)
    if undecided:
        return SettleResult(
            item,
            "unknown",
            reason=f"{undecided} execution(s) in the window carry no readable bucket/object",
        )
    if not sweep.complete:
        return SettleResult(
            item, "unknown", reason=f"the listing was not read to the end ({sweep.error})"
        )
    until = item.until if item.until is not None else default_until
    if sweep.began_local < until + timedelta(seconds=settle_delay):
        return SettleResult(
            item,
            "unknown",
            reason=f"the listing began less than settle_delay={settle_delay:g}s after the window",
        )
    return SettleResult(item, "not_started", reason="listing covered the window; nothing matched")
