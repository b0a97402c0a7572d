"""The results file of ``start-many``: one JSON line per event, the lock a run holds
on it, and what a resume reads back from it.

Results: JSON lines, appended and flushed one at a time so that a killed run keeps
what it learnt. Before an item is handed to the client a ``"sending"`` line is
written (with ``sent_at``, and the ``graph``); its outcome line follows
(``started``, ``failed``, ``ambiguous`` or ``invalid``, with ``at``), and
``obs-workflow settle`` may append ``"settled"`` lines (see :mod:`.settle_file`).
On ``--resume`` the last line per item decides, by
:func:`~.settle_file.resume_action`: ``started`` items (and items settled
``started``) are skipped; ``ambiguous`` ones, ``sending`` ones with no outcome (the
run died with them in flight) and settled ones that are not ``started`` are skipped
and listed unless a flag says otherwise (``--retry-ambiguous`` resends the items
settled ``not_started``, ``--retry-unknown-may-duplicate`` the others too); the
rest are started again (a definite failure never started anything).
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .._batch.models import StartOutcome
from ..errors import APIStatusError, ObsWorkflowError, TransportError
from .manifest import ManifestError, ManifestItem, read_manifest
from .settle_file import resume_action, timestamp

__all__ = [
    "ResultsLock",
    "ResultsLockedError",
    "ResultsLog",
    "ResumeState",
    "carry_over",
    "name_repaired_items",
    "outcome_record",
    "read_results",
    "repair_torn",
    "results_line",
]


def outcome_record(outcome: StartOutcome, item: ManifestItem) -> dict[str, object]:
    """The results line of one outcome."""
    record: dict[str, object] = {
        "index": item.index,
        "bucket": item.bucket,
        "object": item.object_key,
    }
    if item.key is not None:
        record["key"] = item.key
    if outcome.result is not None:
        record.update(
            status="started",
            execution_name=outcome.result.execution_name,
            execution_urn=outcome.result.execution_urn,
            request_id=outcome.result.request_id,
            attempts=outcome.attempts,
            at=timestamp(),
        )
        return record
    error = outcome.error
    status = "invalid" if outcome.invalid else "ambiguous" if outcome.ambiguous else "failed"
    record["status"] = status
    if isinstance(error, APIStatusError):
        record.update(
            http_status=error.status,
            code=error.code,
            message=error.message,
            request_id=error.request_id,
        )
    elif isinstance(error, TransportError):
        record.update(message=error.message, request_sent=error.request_sent)
    elif isinstance(error, ObsWorkflowError):
        record["message"] = str(error)
    record["attempts"] = outcome.attempts
    record["at"] = timestamp()
    return record


@dataclass
class ResumeState:
    """What an earlier run's results file says about each item.

    ``records`` holds the last line per item (what a run carries over into a new
    results file). ``started`` are the items it proves started (``started`` or
    settled ``started``); ``ambiguous`` the items that may have started and are not
    proven started (``ambiguous``, ``sending``, settled ``not_started`` or
    ``unknown``): decide each with :func:`~.settle_file.resume_action`.

    When the file ended in a torn line (a run killed mid-write), ``complete_size``
    is the byte length up to the last complete line and ``repaired`` the
    ``sending`` records that stand for the torn lines whose item
    could be read: they make those items ambiguous.
    """

    started: set[int] = field(default_factory=set)
    ambiguous: dict[int, dict[str, object]] = field(default_factory=dict)
    identity: dict[int, tuple[str, str]] = field(default_factory=dict)
    records: dict[int, dict[str, object]] = field(default_factory=dict)
    torn: bool = False
    complete_size: int = 0
    repaired: list[dict[str, object]] = field(default_factory=list)

    def check(self, item: ManifestItem) -> None:
        seen = self.identity.get(item.index)
        if seen is not None and seen != (item.bucket, item.object_key):
            raise ManifestError(
                f"item {item.index} is {item.bucket}/{item.object_key} in the manifest but "
                f"{seen[0]}/{seen[1]} in the results file: the manifest changed"
            )


_INDEX_AT_START = re.compile(rb'\s*\{\s*"index"\s*:\s*(\d+)\s*[,}]')
_RECORD_START = b'{"index"'


def _record(text: bytes) -> tuple[int, dict[str, object]] | None:
    try:
        record = json.loads(text)
    except ValueError:  # UnicodeDecodeError included
        return None
    if not isinstance(record, dict):
        return None
    index = record.get("index")
    if isinstance(index, str) and index.isdigit() and index.isascii():
        index = int(index)
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        return None
    return index, record


def _torn(line: bytes, last: dict[int, dict[str, object]]) -> dict[str, object] | None:
    """The ``sending`` record standing for a torn line, if its index can be read."""
    match = _INDEX_AT_START.match(line)
    if match is None:
        return None
    index = int(match.group(1))
    record: dict[str, object] = {"index": index}
    earlier = last.get(index, {})
    for name in ("bucket", "object", "key"):
        if name in earlier:
            record[name] = earlier[name]
    record.update(status="sending", repaired="torn line: the run died writing it")
    return record


def read_results(path: Path) -> ResumeState:
    """The last status per item of a results file (a missing file means a fresh run).

    A line that does not parse (a run killed in the middle of writing it) counts as
    ``sending`` for its item when its index can be read, so the item is ambiguous;
    otherwise it is dropped and the item keeps its earlier state. A complete line
    glued to a torn one (an older version appended after it) is still read.
    Anything else that is not a results line raises :class:`ManifestError`.
    """
    state = ResumeState()
    if not path.exists():
        return state
    last: dict[int, dict[str, object]] = {}
    size = 0
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip() and not _read_line(path, number, line, state, last):
                break  # the last line, torn: rewritten by the next run
            size += len(line)
    state.complete_size = size
    state.records = dict(sorted(last.items()))
    for index, record in state.records.items():
        action = resume_action(record, retry_ambiguous=False, retry_unknown=False)
        if action == "skip_started":
            state.started.add(index)
        elif action == "skip_unsettled":
            state.ambiguous[index] = record
    return state


def _read_line(
    path: Path,
    number: int,
    line: bytes,
    state: ResumeState,
    last: dict[int, dict[str, object]],
) -> bool:
    """Take one non-blank line into ``state``; ``False`` for a torn last line (what
    it still says is in ``state.repaired``)."""
    complete = line.endswith(b"\n")
    parsed = _record(line)
    if parsed is not None and complete:
        _remember(state, last, parsed[1])
        return True
    found = [parsed[1]] if parsed is not None else _repair(line, last)
    if not found and (complete or not _looks_like_a_record(line, number)):
        raise ManifestError(f"{path}:{number}: not a results line") from None
    for record in found:
        _remember(state, last, record)
    if not complete:
        state.torn = True
        state.repaired = found
        return False
    return True


def _looks_like_a_record(line: bytes, number: int) -> bool:
    """A torn first line must still look like the start of a results line (so that a
    manifest passed to ``--resume`` by mistake is refused, not truncated)."""
    head = line.lstrip()
    return number > 1 or head.startswith(_RECORD_START) or _RECORD_START.startswith(head)


def _repair(line: bytes, last: dict[int, dict[str, object]]) -> list[dict[str, object]]:
    """What a damaged line still says: the torn record's item as ``sending``, then a
    complete record glued after it (if any)."""
    found: list[dict[str, object]] = []
    torn = _torn(line, last)
    if torn is not None:
        found.append(torn)
    glued = line.rfind(_RECORD_START, 1)
    if glued > 0:
        parsed = _record(line[glued:])
        if parsed is not None:
            found.append(parsed[1])
    return found


def _remember(
    state: ResumeState, last: dict[int, dict[str, object]], record: dict[str, object]
) -> None:
    index = record["index"]
    assert isinstance(index, int)
    last[index] = record
    bucket, obj = record.get("bucket"), record.get("object")
    if isinstance(bucket, str) and isinstance(obj, str):
        state.identity[index] = (bucket, obj)


def results_line(record: dict[str, object]) -> str:
    """One results line: ASCII JSON, so that any Python string (lone surrogates
    included) is written and read back unchanged."""
    return json.dumps(record, ensure_ascii=True) + "\n"


class ResultsLockedError(ManifestError):
    """Another run is using the results file."""


class ResultsLock:
    """An exclusive hold on a results file for the life of a run.

    With ``fcntl`` (Linux, macOS, the BSDs) it is ``flock`` on the results file
    itself: the operating system releases it when the process ends, however it
    ends (``kill -9`` included), so there is nothing stale to clean up. Without
    ``fcntl`` (Windows) it is a ``RESULTS.lock`` file created exclusively and
    removed when the run ends; a run that is killed leaves it behind, and the next
    run refuses with a message naming it (delete it once no run is using the file).
    """

    def __init__(self, path: Path, fd: int, lock_file: Path | None) -> None:
        self.path = path
        self._fd = fd
        self._lock_file = lock_file

    @classmethod
    def acquire(cls, path: Path) -> ResultsLock:
        """Open (creating it if need be) and lock ``path``; :class:`ResultsLockedError`
        if another run holds it."""
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        if sys.platform == "win32":  # pragma: no cover - no fcntl there
            lock_file = path.with_name(path.name + ".lock")
            try:
                os.close(os.open(lock_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            except FileExistsError:
                os.close(fd)
                raise ResultsLockedError(
                    f"{path} is in use by another run ({lock_file} exists; if no run is "
                    f"using the file, a killed run left it: delete it and try again)"
                ) from None
            return cls(path, fd, lock_file)
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise ResultsLockedError(
                f"{path} is in use by another run (locked); wait for it to finish"
            ) from None
        return cls(path, fd, None)

    @property
    def size(self) -> int:
        return os.fstat(self._fd).st_size

    def truncate(self, size: int) -> None:
        os.ftruncate(self._fd, size)

    def release(self) -> None:
        if self._fd < 0:
            return
        os.close(self._fd)  # drops the flock
        self._fd = -1
        if self._lock_file is not None:  # pragma: no cover - Windows
            self._lock_file.unlink(missing_ok=True)


class ResultsLog:
    """Appends one JSON line per event and flushes it at once."""

    def __init__(self, handle: IO[str]) -> None:
        self._handle = handle

    @classmethod
    def open(cls, path: Path, *, mode: str = "a") -> ResultsLog:
        """``mode="a"`` appends (results), ``"w"`` starts afresh (the ambiguous list)."""
        return cls(path.open(mode, encoding="ascii"))

    def write(self, record: dict[str, object]) -> None:
        self._handle.write(results_line(record))
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


def name_repaired_items(manifest: Path, resume: ResumeState) -> None:
    """A torn line may have lost its bucket and object: take them from the manifest."""
    unnamed = {int(str(r["index"])): r for r in resume.repaired if "object" not in r}
    if not unnamed:
        return
    for item in read_manifest(manifest):
        record = unnamed.get(item.index)
        if record is not None:
            record.update(bucket=item.bucket, object=item.object_key)
            resume.identity[item.index] = (item.bucket, item.object_key)


def repair_torn(lock: ResultsLock, resume: ResumeState) -> None:
    """A torn last line is cut off; what it still said is written again, the torn item
    as ``sending`` (ambiguous)."""
    if not resume.torn:
        return
    lock.truncate(resume.complete_size)
    log = ResultsLog.open(lock.path)
    try:
        for record in resume.repaired:
            log.write(record)
    finally:
        log.close()


def carry_over(results_path: Path, resume: ResumeState) -> None:
    """The last line of every item of the resumed file goes into the new results file
    first, so that resuming from the new file skips what resuming from the old one did."""
    log = ResultsLog.open(results_path)
    try:
        for record in resume.records.values():
            log.write(record)
    finally:
        log.close()
