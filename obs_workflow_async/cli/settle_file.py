"""Settling the ambiguous items of a ``start-many`` results file, and how a resume
reads the settle lines.

A results file (see :mod:`.results_log`) ends some items with ``"ambiguous"`` or with a
bare ``"sending"`` (the run died with them in flight; in format 2 one ``sending``
line names a batch of items: :func:`item_records` reads it as one per item). ``obs-workflow settle``
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
off its start (see :class:`~obs_workflow_async.SettleItem`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .. import DEFAULT_MARGIN, DEFAULT_SETTLE_DELAY, SettleItem, SettleResult

if TYPE_CHECKING:
    from .. import AsyncWorkflowClient, SettleReport
    from ..dwr import AsyncDwrClient

__all__ = [
    "AMBIGUOUS_STATUSES",
    "BATCH_STATUSES",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "NewerFormatError",
    "PendingFile",
    "PendingItem",
    "ResumeAction",
    "SettleFileError",
    "format_line",
    "item_records",
    "line_graph",
    "pending_items",
    "read_pending",
    "read_last_records",
    "resume_action",
    "settle_record",
    "settle_results_file",
    "timestamp",
]

AMBIGUOUS_STATUSES = frozenset({"ambiguous", "sending"})
BATCH_STATUSES = frozenset({"sending", "not_sent"})
"""The statuses of format-2 batch lines (one line for several items)."""
FORMAT_NAME = "obs-workflow-results"
FORMAT_VERSION = 2
"""The results file format a run writes (1: the files before format lines)."""
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


class NewerFormatError(SettleFileError):
    """A results file written by a newer version of the command (a format line whose
    ``version`` this one does not know)."""


def format_line(graph: str, at: str) -> dict[str, object]:
    """The line a run writes first: the file's format version and the run's workflow
    (the lines after it do not repeat the workflow)."""
    return {"format": FORMAT_NAME, "version": FORMAT_VERSION, "graph": graph, "at": at}


def _format_version(record: dict[str, object]) -> int | None:
    """The version a format line declares (``None``: not a format line)."""
    if "index" in record or record.get("format") != FORMAT_NAME:
        return None
    version = record.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        return None
    if version > FORMAT_VERSION:
        raise NewerFormatError(
            f"results file format version {version} is newer than this obs-workflow reads "
            f"({FORMAT_VERSION}): use the version that wrote it"
        )
    return version


def _batch_item(entry: object) -> tuple[int, str, str] | None:
    if not isinstance(entry, list) or len(entry) != 3:
        return None
    index, bucket, obj = entry
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        return None
    if not isinstance(bucket, str) or not isinstance(obj, str):
        return None
    return index, bucket, obj


def item_records(record: object) -> list[tuple[int, dict[str, object]]] | None:
    """The per-item records one results line stands for; ``None`` when it is not a
    results line.

    A line with an ``index`` stands for its item. A batch line (format 2: ``status``
    ``sending`` or ``not_sent`` and ``items``, each ``[index, bucket, object]``) stands
    for one record per item, carrying the batch's ``sent_at``. A format line stands for
    no item (see :func:`line_graph` for the workflow it names).
    :class:`NewerFormatError` for a format line of a newer version.
    """
    if not isinstance(record, dict):
        return None
    if "index" in record:
        index = record["index"]
        if isinstance(index, str) and index.isdigit() and index.isascii():
            index = int(index)
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            return None
        return [(index, record)]
    if _format_version(record) is not None:
        return []
    status, items = record.get("status"), record.get("items")
    if status not in BATCH_STATUSES or not isinstance(items, list):
        return None
    found: list[tuple[int, dict[str, object]]] = []
    for entry in items:
        item = _batch_item(entry)
        if item is None:
            return None
        one: dict[str, object] = {"index": item[0], "bucket": item[1], "object": item[2]}
        one["status"] = status
        if status == "sending":
            one["sent_at"] = record.get("sent_at")
        found.append((item[0], one))
    return found


def line_graph(record: dict[str, object]) -> str | None:
    """The workflow a results line records (a format line's, or an item line's ``graph``)."""
    graph = record.get("graph")
    return graph if isinstance(graph, str) and graph else None


def _parse(line: str) -> tuple[dict[str, object], list[tuple[int, dict[str, object]]]] | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    found = item_records(record)
    return None if found is None else (record, found)


def _records(
    path: Path,
) -> Iterator[tuple[dict[str, object], list[tuple[int, dict[str, object]]]]]:
    """Each results line with the per-item records it stands for."""
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
    for line, found in _records(path):
        graph = line_graph(line)
        if graph is not None:
            read.graphs.add(graph)
        for index, record in found:
            _take(read, index, record)
    return read


def _take(read: _Read, index: int, record: dict[str, object]) -> None:
    read.last[index] = record
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
