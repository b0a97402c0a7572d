"""``start-many``'s feed: the manifest's items handed to ``client.start_many`` in
batches, the ``sending`` line of each batch written before any of its items goes, one
outcome line per item after (:class:`BatchFeed`; the lines are :mod:`.results_log`'s).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .. import StartOutcome
from .batch_plan import ItemDecision, RetryFlags, decide_item, where
from .manifest import ManifestItem, read_manifest
from .results import ResumeState
from .results_log import (
    AnswerDates,
    ResultsFileError,
    ResultsLog,
    outcome_record,
    started_line,
)
from .settle_file import format_line, timestamp

__all__ = ["BatchFeed"]


@dataclass
class BatchFeed:
    """The items a run sends, from the manifest, with the lines written for each.

    Items to send go in batches of up to ``batch`` (read ahead from the manifest): one
    ``sending`` line naming the whole batch is written (one ``os.write``, after the
    outcome lines held) before the first of them is handed to the client, so every
    item that may be sent is on file before it can be; then one outcome line per
    item. Outcome lines are held and written together once per turn of the event
    loop (:meth:`record`). Items a stopped run never handed over get a ``not_sent``
    line (:meth:`finish`). The items it holds back go to the ambiguous list."""

    graph: str
    resume: ResumeState
    retry: RetryFlags
    log: ResultsLog
    ambiguous_log: ResultsLog
    now: Callable[[], datetime]
    """This machine's clock (the ``Runtime``'s ``wall_clock``)."""
    counts: dict[ItemDecision, int] = field(
        default_factory=lambda: {"skip_started": 0, "skip_ambiguous": 0, "invalid": 0}
    )
    pending: dict[int, ManifestItem] = field(default_factory=dict)
    """Only the items in flight (bounded), by their position among the items handed
    to ``client.start_many``: the :attr:`StartOutcome.index` of their outcome."""
    handed: int = 0
    """How many items have been handed to the client (the next one's position)."""
    label: str = ""
    """The manifest as messages name it."""
    verbose: bool = False
    """``-v``: one line per item on stderr (``MANIFEST:LINE: outcome``)."""
    batch: int = 64
    """Items per ``sending`` line (at most: a batch is what the manifest has left)."""
    unsent: list[ManifestItem] = field(default_factory=list)
    """The items of the current batch not yet handed to the client."""
    _flush_scheduled: bool = False
    dates: AnswerDates = field(default_factory=AnswerDates)
    """Reads each outcome's ``answer_date`` (this run's own memory of the last ``Date``)."""

    def _say(self, item: ManifestItem, what: str, *, always: bool = False) -> None:
        if self.verbose or always:
            print(f"obs-workflow: {where(self.label, item)}: {what}", file=sys.stderr)

    def begin(self) -> None:
        """The run's format line (the file's format version, the workflow)."""
        self.log.write(format_line(self.graph, timestamp(self.now())))

    def requests(self, manifest: Path) -> Iterator[dict[str, object]]:
        batch: list[ManifestItem] = []
        fresh = self.resume.empty  # nothing to skip: a valid item is sent (decide_item)
        for item in read_manifest(manifest):
            if (fresh and item.problem is None) or self._admit(item):
                batch.append(item)
                if len(batch) >= self.batch:
                    yield from self._send(batch)
                    batch = []
        if batch:
            yield from self._send(batch)

    def _send(self, batch: list[ManifestItem]) -> Iterator[dict[str, object]]:
        """Write the batch's ``sending`` line, then hand its items over one by one."""
        self.log.add(
            {
                "status": "sending",
                "sent_at": timestamp(self.now()),
                "items": [[item.index, item.bucket, item.object_key] for item in batch],
            }
        )
        self.log.flush()  # on file before any item of the batch can go
        self.unsent = batch[::-1]
        while self.unsent:
            item = self.unsent.pop()
            self.pending[self.handed] = item  # the position start_many numbers it by
            self.handed += 1
            yield {
                "graph_name": self.graph,
                "bucket": item.bucket,
                "object_key": item.object_key,
                "inputs": item.inputs,
            }

    def _admit(self, item: ManifestItem) -> bool:
        """Decide ``item`` (writing what the run does with an item it does not send);
        whether it is to be sent."""
        decision = decide_item(item, self.resume, self.retry)
        if decision == "send":
            return True
        self.counts[decision] += 1
        listed: dict[str, object] = {
            "index": item.index,
            "bucket": item.bucket,
            "object": item.object_key,
        }
        if decision == "skip_ambiguous":
            self.ambiguous_log.write({**listed, **self.resume.ambiguous[item.index]})
            self._say(item, "skipped: may have started (see settle)")
        elif decision == "invalid":
            self.log.add(
                {**listed, "status": "invalid", "line": item.line, "message": item.problem}
            )
            self._say(item, f"invalid: {item.problem}", always=True)
        else:
            self._say(item, "skipped: already started")
        return False

    def record(self, outcome: StartOutcome) -> None:
        """Hold the outcome line of an item sent: written with the others that come
        in the same turn of the event loop (a run killed before then leaves the item
        ``sending``: ambiguous, never lost)."""
        if self.log.broken is not None:
            raise self.log.broken
        item = self.pending.pop(outcome.index)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)
        if outcome.result is not None:
            self.log.add_line(started_line(outcome, item, self.now(), self.dates))
            if self.verbose:
                self._say(item, f"started {outcome.result.execution_name}")
            return
        record = outcome_record(outcome, item, self.now(), self.dates)
        self.log.add(record)
        if outcome.ambiguous:
            self.ambiguous_log.write(record)
        status = str(record.get("status"))
        message = record.get("message") or record.get("code") or type(outcome.error).__name__
        self._say(item, f"{status}: {message}", always=status == "invalid")

    def _flush(self) -> None:
        self._flush_scheduled = False
        with contextlib.suppress(ResultsFileError):  # the next record or batch raises it
            self.log.flush()

    def finish(self) -> None:
        """The run ended: a ``not_sent`` line for the items of the batch never handed
        over (a stopped run), then everything held is written."""
        if self.unsent:
            self.log.add(
                {
                    "status": "not_sent",
                    "items": [[i.index, i.bucket, i.object_key] for i in self.unsent[::-1]],
                }
            )
            self.unsent = []
        self.log.flush()
