"""The results file of ``start-many``: one JSON line per event, the lock a run holds
on it, and what a resume reads back from it.

Results: JSON lines, each written whole with ``os.write`` (no buffer) so that a
killed run keeps what it learnt. Before an item is handed to the client a
``"sending"`` line is written (with ``sent_at``, and the ``graph``); its outcome line
follows (``started``, ``failed``, ``ambiguous`` or ``invalid``, with ``at``, and the
clock ``offset`` its answer's ``Date`` shows), and
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

import errno
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .._batch.models import StartOutcome
from ..errors import APIStatusError, ObsWorkflowError, TransportError
from .manifest import ManifestError, ManifestItem, read_manifest
from .settle_file import resume_action, timestamp

__all__ = [
    "ResultsFileError",
    "ResultsLock",
    "ResultsLockedError",
    "ResultsLog",
    "Write",
    "ResumeState",
    "carry_over",
    "name_repaired_items",
    "outcome_record",
    "read_results",
    "repair_torn",
    "results_line",
]


def outcome_record(
    outcome: StartOutcome, item: ManifestItem, at: datetime | None = None
) -> dict[str, object]:
    """The results line of one outcome, which arrived at ``at`` (this machine's clock;
    default now). When the answer had a ``Date``, ``offset`` records the service's
    clock minus this machine's, in seconds (``Date`` minus ``at``: a little low, by
    the answer's travel time and ``Date``'s one-second resolution); settling places
    the item on the service's clock with it, even if this machine's clock is stepped
    before the settle."""
    moment = at if at is not None else datetime.now(timezone.utc)
    record = _outcome_fields(outcome, item, timestamp(moment))
    answered = outcome.answer_date
    if answered is not None:
        record["offset"] = round((answered - moment).total_seconds(), 3)
    return record


def _outcome_fields(outcome: StartOutcome, item: ManifestItem, at: str) -> dict[str, object]:
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
            at=at,
        )
        return record
    error = outcome.error
    status = "invalid" if outcome.invalid else "ambiguous" if outcome.ambiguous else "failed"
    record["status"] = status
    if status == "invalid" and item.line:
        record["line"] = item.line  # the manifest's line (from 1, header included)
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
    record["at"] = at
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


_SENDING = re.compile(rb'\s*\{\s*"index"\s*:\s*\d+\s*,\s*"status"\s*:\s*"sending"')
"""The start of a ``sending`` line as a run writes it before the item goes (status
right after the index; a repaired or carried line puts it later)."""


def _torn(line: bytes, last: dict[int, dict[str, object]]) -> dict[str, object] | None:
    """The ``sending`` record standing for a torn line, if its index can be read.

    A torn line that still begins ``{"index": N, "status": "sending"`` stands for
    nothing: a run writes an item's ``sending`` line whole before the item goes, so
    that item was not sent (by that run)."""
    match = _INDEX_AT_START.match(line)
    if match is None or _SENDING.match(line):
        return None
    index = int(match.group(1))
    record: dict[str, object] = {"index": index}
    earlier = last.get(index, {})
    for name in ("bucket", "object", "key", "graph"):
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
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as error:
            raise ResultsFileError(f"cannot open {path}: {_reason(error)}") from None
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


Write = Callable[[int, bytes], int]
"""How results lines reach the file: ``os.write`` (a test may pass one that fails
with ``ENOSPC`` to see a full disk handled)."""


def _reason(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return "no space left on the device"
    return error.strerror or str(error)


class ResultsFileError(ManifestError):
    """A results file (or the ambiguous list beside it) could not be opened or
    written: a full disk, a directory without write permission. The command ends
    with a one-line message and exit status 2; what the file holds stays valid (at
    worst its last line is torn, which the next run or settle repairs)."""


class ResultsLog:
    """Appends one JSON line per event, each written whole with ``os.write`` (no
    buffer: a line is on its way to the disk before the next item goes). A write
    that fails raises :class:`ResultsFileError`, and so does every later one."""

    def __init__(self, path: Path, fd: int, write: Write = os.write) -> None:
        self.path = path
        self._fd = fd
        self._write = write
        self._broken: ResultsFileError | None = None

    @classmethod
    def open(cls, path: Path, *, mode: str = "a", write: Write | None = None) -> ResultsLog:
        """``mode="a"`` appends (results), ``"w"`` starts afresh (the ambiguous list)."""
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC)
        try:
            fd = os.open(path, flags, 0o666)
        except OSError as error:
            raise ResultsFileError(f"cannot open {path}: {_reason(error)}") from None
        return cls(path, fd, write or os.write)

    def write(self, record: dict[str, object]) -> None:
        if self._broken is not None:
            raise self._broken
        data = memoryview(results_line(record).encode("ascii"))
        try:
            while data:
                data = data[self._write(self._fd, data.tobytes()) :]
        except OSError as error:
            self._broken = ResultsFileError(f"cannot write {self.path}: {_reason(error)}")
            raise self._broken from None

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def name_repaired_items(manifest: Path, resume: ResumeState) -> list[dict[str, object]]:
    """A torn line may have lost its bucket and object: take them from the manifest.

    Returns the ``sending`` records that name, from the manifest, the items whose last
    *complete* line lost them (a torn line repaired earlier by a command that had no
    manifest, e.g. ``settle``): the caller appends them so that settling can settle
    those items."""
    torn = {int(str(r["index"])): r for r in resume.repaired if "object" not in r}
    unnamed = {
        index: record
        for index, record in resume.records.items()
        if index in resume.ambiguous and not (record.get("object") and record.get("bucket"))
    }
    if not torn and not unnamed:
        return []
    named: list[dict[str, object]] = []
    for item in read_manifest(manifest):
        record = torn.get(item.index)
        if record is not None:
            record.update(bucket=item.bucket, object=item.object_key)
            resume.identity[item.index] = (item.bucket, item.object_key)
        elif item.index in unnamed:
            line = {**unnamed[item.index], "bucket": item.bucket, "object": item.object_key}
            line.update(status="sending", repaired="named from the manifest")
            line.pop("verdict", None)
            named.append(line)
            resume.identity[item.index] = (item.bucket, item.object_key)
    return named


def repair_torn(lock: ResultsLock, resume: ResumeState, write: Write | None = None) -> None:
    """A torn last line is cut off; what it still said is written again, the torn item
    as ``sending`` (ambiguous)."""
    if not resume.torn:
        return
    lock.truncate(resume.complete_size)
    log = ResultsLog.open(lock.path, write=write)
    try:
        for record in resume.repaired:
            log.write(record)
    finally:
        log.close()


def carry_over(
    resume_path: Path, results_path: Path, resume: ResumeState, write: Write | None = None
) -> None:
    """Every complete line of the resumed file goes into the new results file first (a
    torn last line as its repair), so that resuming or settling from the new file does
    what it would from the old one: each item's send time, outcome time and clock
    offset are kept, not only its last line."""
    log = ResultsLog.open(results_path, write=write)
    try:
        with resume_path.open("rb") as source:
            left = resume.complete_size
            for line in source:
                if left <= 0:
                    break
                left -= len(line)
                if line.strip():
                    _carry_line(log, line)
        for record in resume.repaired:
            log.write(record)
    finally:
        log.close()


def _carry_line(log: ResultsLog, line: bytes) -> None:
    """One complete line of a resumed file, written again as it reads (a line glued
    to a torn one is written as what it still says)."""
    parsed = _record(line)
    if parsed is not None:
        log.write(parsed[1])
        return
    for record in _repair(line, {}):
        log.write(record)
