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
when the file has one, else at ``default_since`` (``--since``); it ends at its
outcome line's ``at`` when present, else at the moment settling begins.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .._batch.settle import DEFAULT_MARGIN, DEFAULT_SETTLE_DELAY, SettleItem, SettleResult

if TYPE_CHECKING:
    from .._api.settle import SettleCore, SettleReport

__all__ = [
    "AMBIGUOUS_STATUSES",
    "PendingItem",
    "ResumeAction",
    "SettleFileError",
    "pending_items",
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

    def settle_item(self, graph_name: str, default_since: datetime | None) -> SettleItem:
        since = self.since or default_since
        if since is None:
            raise SettleFileError(
                f"item {self.index}: the results file has no send time for it; pass --since "
                "(a moment before the run began)"
            )
        until = self.until if self.until is None or self.until >= since else None
        return SettleItem(graph_name, self.bucket, self.object_key, since, until, key=self.index)


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


def _records(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    with path.open(encoding="utf-8", errors="surrogateescape") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                index = int(record["index"])
            except (ValueError, KeyError, TypeError):
                if not line.endswith("\n"):
                    continue  # a torn last line from a killed run: its item stays "sending"
                raise SettleFileError(f"{path}:{number}: not a results line") from None
            if isinstance(record, dict):
                yield index, record


@dataclass(slots=True)
class _Read:
    last: dict[int, dict[str, object]]
    sent: dict[int, datetime]
    """Each item's earliest send time (``sent_at``/``at`` of its ``sending`` lines)."""
    ended: dict[int, datetime]
    """The time (``at``) of each item's last ``ambiguous`` line."""


def read_last_records(path: Path) -> dict[int, dict[str, object]]:
    """The last line per item of a results file."""
    return _read(path).last


def _read(path: Path) -> _Read:
    read = _Read({}, {}, {})
    for index, record in _records(path):
        read.last[index] = record
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
    read = _read(path)
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
            )
        )
    return pending


def settle_record(item: PendingItem, result: SettleResult) -> dict[str, object]:
    """The line appended for one settled item."""
    record: dict[str, object] = {
        "index": item.index,
        "bucket": item.bucket,
        "object": item.object_key,
        "status": "settled",
        "verdict": result.verdict,
        "execution_names": list(result.execution_names),
        "duplicate": result.duplicate,
        "reason": result.reason,
        "settled_at": timestamp(),
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
    client: SettleCore,
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
