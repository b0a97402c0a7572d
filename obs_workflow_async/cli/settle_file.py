"""Settling the ambiguous items of a ``start-many`` results file, and how a resume
reads the settle lines.

A results file (see :mod:`.manifest`) ends some items with ``"ambiguous"`` or with a
bare ``"sending"`` (the run died with them in flight). ``obs-workflow settle``
settles them from the service and appends one line per item::

    {"index": 7, "bucket": "b", "object": "k", "status": "settled",
     "verdict": "started", "execution_names": ["..."], "duplicate": false,
     "reason": "", "settled_at": "2024-05-01T12:00:00.000000+00:00"}

On resume the last line per item decides; for a settle line:

- ``verdict: "started"``: skipped, like ``"started"``;
- ``verdict: "not_started"``: proven not started; resent with ``--retry-ambiguous``,
  otherwise skipped and listed;
- ``verdict: "unknown"``: skipped and listed; resent only with the loudly named
  ``--retry-unknown-may-duplicate`` (it may start the object twice).

Unsettled ``ambiguous``/``sending`` items follow the same rule as ``unknown``.

Windows: an item's window starts at its ``sending`` line's ``sent_at`` (or ``at``)
when the file has one, else at ``default_since`` (``--since``), else at the first
send time the file records (the run's start: a torn ``sending`` line lost its own);
it ends at its outcome line's ``at`` when present, else at the moment settling
begins. A ``--since`` after an item's recorded send or outcome time contradicts the
file and is refused.

Clocks: those times are this machine's clock *during the run*. Outcome lines record
``offset``, the service's clock minus this machine's (from the answer's ``Date``).
Each item is settled with its own offset and the lowest and highest the file records
(an item whose answer never came has none of its own), so a clock stepped between
the run and the settle (or during the run) widens its window instead of moving it
off its start (see :class:`~obs_workflow_async._batch.settle.SettleItem`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .._batch.settle import DEFAULT_MARGIN, DEFAULT_SETTLE_DELAY, SettleItem, SettleResult

if TYPE_CHECKING:
    from .. import AsyncWorkflowClient, SettleReport
    from ..dwr import AsyncDwrClient

__all__ = [
    "AMBIGUOUS_STATUSES",
    "PendingFile",
    "PendingItem",
    "ResumeAction",
    "SettleFileError",
    "pending_items",
    "read_pending",
    "read_last_records",
    "resume_action",
    "settle_record",
    "settle_results_file",
    "timestamp",
]

AMBIGUOUS_STATUSES = frozenset({"ambiguous", "sending"})
ResumeAction = Literal["skip_started", "skip_unsettled", "send"]


class SettleFileError(ValueError):
    """The results file cannot be settled as it is (e.g. no send times and no ``--since``)."""


@dataclass(frozen=True, slots=True)
class PendingItem:
    """An item of the results file whose last line leaves it ambiguous."""

    index: int
    bucket: str
    object_key: str
    since: datetime | None
    until: datetime | None
    record: dict[str, object]
    offsets: tuple[timedelta, ...] = ()
    """Service clock minus this machine's during the run: the item's own (its answer's
    ``Date``) and the lowest and highest the file records."""
    run_since: datetime | None = None
    """The first send time the file records: the window's start for an item whose own
    send time was lost (a torn line)."""

    def settle_item(self, graph_name: str, default_since: datetime | None) -> SettleItem:
        """The item to settle; :class:`SettleFileError` when ``default_since``
        (``--since``) contradicts the file, or no start of the window is known."""
        since, until = self.since, self.until
        if since is not None and until is not None and until < since:
            since, until = until, since  # the clock was stepped back while it was in flight
        if default_since is not None:
            recorded = [("send", since), ("outcome", until)]
            for what, moment in recorded:
                if moment is not None and default_since > moment:
                    raise SettleFileError(
                        f"item {self.index}: --since {timestamp(default_since)} is after its "
                        f"recorded {what} time {timestamp(moment)}: the file contradicts it "
                        "(leave --since out: the file records the window)"
                    )
        since = since or default_since or self.run_since
        if since is None:
            raise SettleFileError(
                f"item {self.index}: the results file has no send time for it; pass --since "
                "(a moment before the run began)"
            )
        return SettleItem(
            graph_name,
            self.bucket,
            self.object_key,
            since,
            until,
            key=self.index,
            offsets=self.offsets,
        )


@dataclass(frozen=True, slots=True)
class PendingFile:
    """What settling reads from a results file: the items to settle, and the workflows
    its lines record (the one a line lost, e.g. to a torn write, is the file's own
    when the file records exactly one)."""

    items: list[PendingItem]
    graphs: frozenset[str]


def timestamp(moment: datetime | None = None) -> str:
    """The time format of results lines (ISO 8601, UTC, microseconds)."""
    return (moment or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat()


def _time(record: dict[str, object], *names: str) -> datetime | None:
    for name in names:
        value = record.get(name)
        if isinstance(value, str) and value:
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return None


def _parse(line: str) -> tuple[int, dict[str, object]] | None:
    try:
        record = json.loads(line)
        index = int(record["index"])
    except (ValueError, KeyError, TypeError):
        return None
    return (index, record) if isinstance(record, dict) else None


def _records(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    with path.open(encoding="utf-8", errors="surrogateescape") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            parsed = _parse(line)
            if parsed is None:
                if not line.endswith("\n"):
                    continue  # a torn last line from a killed run: its item stays "sending"
                glued = line.rfind('{"index"', 1)  # a complete line after a torn one
                parsed = _parse(line[glued:]) if glued > 0 else None
                if parsed is None:
                    raise SettleFileError(f"{path}:{number}: not a results line") from None
            yield parsed


@dataclass(slots=True)
class _Read:
    last: dict[int, dict[str, object]] = field(default_factory=dict)
    sent: dict[int, datetime] = field(default_factory=dict)
    """Each item's earliest send time (``sent_at``/``at`` of its ``sending`` lines)."""
    ended: dict[int, datetime] = field(default_factory=dict)
    """The time (``at``) of each item's last ``ambiguous`` line."""
    offsets: dict[int, set[timedelta]] = field(default_factory=dict)
    """The clock offsets each item's lines record."""
    graphs: set[str] = field(default_factory=set)

    def run_offsets(self) -> tuple[timedelta, ...]:
        """The lowest and highest offset the file records (none: empty)."""
        every = [offset for offsets in self.offsets.values() for offset in offsets]
        return (min(every), max(every)) if every else ()


def _offset(record: dict[str, object]) -> timedelta | None:
    value = record.get("offset")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return timedelta(seconds=value)


def read_last_records(path: Path) -> dict[int, dict[str, object]]:
    """The last line per item of a results file."""
    return _read(path).last


def _read(path: Path) -> _Read:
    read = _Read()
    for index, record in _records(path):
        read.last[index] = record
        graph = record.get("graph")
        if isinstance(graph, str) and graph:
            read.graphs.add(graph)
        offset = _offset(record)
        if offset is not None:
            read.offsets.setdefault(index, set()).add(offset)
        status = record.get("status")
        if status == "sending":
            moment = _time(record, "sent_at", "at")
            if moment is not None and (index not in read.sent or moment < read.sent[index]):
                read.sent[index] = moment
        elif status == "ambiguous":
            moment = _time(record, "at")
            if moment is None:
                read.ended.pop(index, None)
            else:
                read.ended[index] = moment
    return read


def pending_items(path: Path) -> list[PendingItem]:
    """The items to settle: last line ``ambiguous``/``sending``, or a settle line that
    said ``unknown`` (settling again may now prove more)."""
    return read_pending(path).items


def read_pending(path: Path) -> PendingFile:
    """The items to settle (see :func:`pending_items`) and the workflows the file records."""
    read = _read(path)
    run_offsets = read.run_offsets()
    run_since = min(read.sent.values(), default=None)
    pending = []
    for index, record in sorted(read.last.items()):
        status = record.get("status")
        unsettled = status in AMBIGUOUS_STATUSES
        if not unsettled and not (status == "settled" and record.get("verdict") == "unknown"):
            continue
        # a "sending" last line: the run died in flight, the window runs to now
        until = None if status == "sending" else read.ended.get(index)
        pending.append(
            PendingItem(
                index,
                str(record.get("bucket", "")),
                str(record.get("object", "")),
                read.sent.get(index),
                until,
                record,
                tuple(sorted({*read.offsets.get(index, ()), *run_offsets})),
                run_since,
            )
        )
    return PendingFile(pending, frozenset(read.graphs))


def settle_record(
    item: PendingItem, result: SettleResult, at: datetime | None = None
) -> dict[str, object]:
    """The line appended for one settled item (``at``: when, default now)."""
    record: dict[str, object] = {
        "index": item.index,
        "bucket": item.bucket,
        "object": item.object_key,
        "status": "settled",
        "verdict": result.verdict,
        "execution_names": list(result.execution_names),
        "duplicate": result.duplicate,
        "reason": result.reason,
        "settled_at": timestamp(at),
    }
    if "key" in item.record:
        record["key"] = item.record["key"]
    return record


def resume_action(
    record: dict[str, object], *, retry_ambiguous: bool, retry_unknown: bool
) -> ResumeAction:
    """What ``start-many --resume`` does with an item whose last line is ``record``.

    ``skip_started``: it started (``started``, or settled ``started``).
    ``skip_unsettled``: it may have started and is not proven otherwise: skipped and
    listed. ``send``: send it (a definite failure, an invalid line fixed since, a
    proven ``not_started`` with ``retry_ambiguous``, or anything ambiguous with
    ``retry_unknown``).
    """
    status = record.get("status")
    if status == "started":
        return "skip_started"
    if status == "settled":
        verdict = record.get("verdict")
        if verdict == "started":
            return "skip_started"
        if verdict == "not_started":
            return "send" if retry_ambiguous or retry_unknown else "skip_unsettled"
        return "send" if retry_unknown else "skip_unsettled"
    if status in AMBIGUOUS_STATUSES:
        return "send" if retry_unknown else "skip_unsettled"
    return "send"


async def settle_results_file(
    client: AsyncWorkflowClient | AsyncDwrClient,
    path: Path,
    graph_name: str,
    *,
    since: datetime | None = None,
    settle_delay: float = DEFAULT_SETTLE_DELAY,
    margin: float = DEFAULT_MARGIN,
    concurrency: int = 16,
    max_pages: int | None = None,
) -> tuple[SettleReport, list[dict[str, object]]]:
    """Settle every pending item of the results file at ``path`` (all started through
    ``graph_name``) and append one settle line each; returns the report and the lines.

    ``since`` is used for items whose ``sending`` line carries no send time.
    """
    pending = pending_items(path)
    items = [p.settle_item(graph_name, since) for p in pending]
    report = await client.settle(
        items,
        settle_delay=settle_delay,
        margin=margin,
        concurrency=concurrency,
        max_pages=max_pages,
    )
    lines = [settle_record(p, r) for p, r in zip(pending, report.results, strict=True)]
    if lines:
        with path.open("a", encoding="utf-8", errors="surrogateescape") as handle:
            for line in lines:
                handle.write(json.dumps(line) + "\n")  # ASCII: any string round-trips
            handle.flush()
    return report, lines
