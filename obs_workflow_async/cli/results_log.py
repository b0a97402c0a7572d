"""Writing the results file of ``start-many``: its lines, the lock a run holds on it,
and the log that appends them.

Results: JSON lines written with ``os.write`` (no buffer of Python's) so that a
killed run keeps what it learnt. Format 2 (see docs/cli.md): a run writes a format
line first (version, ``graph``); then, before the items of a batch are handed to the
client, one ``"sending"`` line naming them all (with ``sent_at``); then one outcome
line per item (``started``, ``failed``, ``ambiguous`` or ``invalid``, with ``at``, and
the clock ``offset`` its answer's ``Date`` shows), the lines of one turn of the event
loop written together; a stopped run marks the items it never handed over
``not_sent``. ``obs-workflow settle`` may append ``"settled"`` lines (see
:mod:`.settle_file`). What a resume reads back from the file is in :mod:`.results`.
"""

from __future__ import annotations

import errno
import json
import os
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from .. import StartOutcome
from ..errors import APIStatusError, ObsWorkflowError, TransportError
from .manifest import ManifestError, ManifestItem
from .settle_file import timestamp

__all__ = [
    "AnswerDates",
    "ResultsFileError",
    "ResultsLock",
    "ResultsLockedError",
    "ResultsLog",
    "Write",
    "outcome_record",
    "results_line",
    "started_line",
]


class AnswerDates:
    """``outcome.answer_date`` for one run's outcomes, the last ``Date`` text read
    remembered (answers that arrive in the same second carry the same text, and
    ``answer_date`` depends on that text alone). Owned by the run that writes them:
    nothing shared between runs."""

    __slots__ = ("_text", "_value")

    def __init__(self) -> None:
        self._text: object = None
        self._value: datetime | None = None

    def __call__(self, outcome: StartOutcome) -> datetime | None:
        """``outcome.answer_date``."""
        text = outcome.answer_date_text
        if text is not None and text == self._text:
            return self._value
        value = outcome.answer_date
        self._text, self._value = text, value
        return value


def outcome_record(
    outcome: StartOutcome,
    item: ManifestItem,
    at: datetime | None = None,
    dates: Callable[[StartOutcome], datetime | None] | None = None,
) -> dict[str, object]:
    """The results line of one outcome, which arrived at ``at`` (this machine's clock;
    default now). When the answer had a ``Date``, ``offset`` records the service's
    clock minus this machine's, in seconds (``Date`` minus ``at``: a little low, by
    the answer's travel time and ``Date``'s one-second resolution); settling places
    the item on the service's clock with it, even if this machine's clock is stepped
    before the settle. ``dates``: reads ``outcome.answer_date`` (a run's own
    :class:`AnswerDates`)."""
    moment = at if at is not None else datetime.now(timezone.utc)
    record = _outcome_fields(outcome, item, timestamp(moment))
    answered = outcome.answer_date if dates is None else dates(outcome)
    if answered is not None:
        record["offset"] = round((answered - moment).total_seconds(), 3)
    return record


_ascii = json.encoder.encode_basestring_ascii


def _json(value: object) -> str:
    if isinstance(value, str):
        return _ascii(value)
    return json.dumps(value, ensure_ascii=True)


def started_line(
    outcome: StartOutcome,
    item: ManifestItem,
    at: datetime,
    dates: Callable[[StartOutcome], datetime | None] | None = None,
) -> str:
    """``results_line(outcome_record(outcome, item, at, dates))`` for a started item,
    the same text built without the dict (the line written for most items)."""
    result = outcome.result
    assert result is not None
    key = f',"key":{_json(item.key)}' if item.key is not None else ""
    answered = outcome.answer_date if dates is None else dates(outcome)
    offset = (
        f',"offset":{round((answered - at).total_seconds(), 3)!r}' if answered is not None else ""
    )
    # bucket and object are str (the manifest's): escaped by the json module's own C
    # function, as json.dumps(ensure_ascii=True) escapes them; an ISO time needs none
    return (
        f'{{"index":{item.index},"bucket":{_ascii(item.bucket)},'
        f'"object":{_ascii(item.object_key)}{key},"status":"started",'
        f'"execution_name":{_json(result.execution_name)},'
        f'"execution_urn":{_json(result.execution_urn)},'
        f'"request_id":{_json(result.request_id)},"attempts":{outcome.attempts!r},'
        f'"at":"{timestamp(at)}"{offset}}}\n'
    )


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


def results_line(record: dict[str, object]) -> str:
    """One results line: compact ASCII JSON, so that any Python string (lone
    surrogates included) is written and read back unchanged."""
    return json.dumps(record, ensure_ascii=True, separators=(",", ":")) + "\n"


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
    """Appends JSON lines with ``os.write`` (no buffer of Python's: what is written is
    on its way to the disk). :meth:`write` writes one line at once; :meth:`add` holds
    lines until :meth:`flush` (or the next :meth:`write`) writes them all in one
    call. A write that fails raises :class:`ResultsFileError`, and so does every later
    one (:attr:`broken`)."""

    def __init__(self, path: Path, fd: int, write: Write = os.write) -> None:
        self.path = path
        self._fd = fd
        self._write = write
        self.broken: ResultsFileError | None = None
        self._held: list[str] = []

    @classmethod
    def open(cls, path: Path, *, mode: str = "a", write: Write | None = None) -> ResultsLog:
        """``mode="a"`` appends (results), ``"w"`` starts afresh (the ambiguous list)."""
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC)
        try:
            fd = os.open(path, flags, 0o666)
        except OSError as error:
            raise ResultsFileError(f"cannot open {path}: {_reason(error)}") from None
        return cls(path, fd, write or os.write)

    def add(self, record: dict[str, object]) -> None:
        """Hold one line for the next :meth:`flush`."""
        self._held.append(results_line(record))

    def add_line(self, line: str) -> None:
        """Hold one line of text (ASCII JSON ending in a newline) for :meth:`flush`."""
        self._held.append(line)

    @property
    def holding(self) -> bool:
        return bool(self._held)

    def write(self, record: dict[str, object]) -> None:
        """Write the lines held and this one, now."""
        self.add(record)
        self.flush()

    def flush(self) -> None:
        """Write the lines held (one ``os.write`` unless the kernel takes less)."""
        if self.broken is not None:
            raise self.broken
        if not self._held:
            return
        text = "".join(self._held)
        self._held.clear()
        self.write_bytes(text.encode("ascii"))

    def write_bytes(self, data: bytes) -> None:
        """Write complete lines as they are."""
        if self.broken is not None:
            raise self.broken
        try:
            while data:
                data = data[self._write(self._fd, data) :]  # the whole of it, mostly
        except OSError as error:
            self.broken = ResultsFileError(f"cannot write {self.path}: {_reason(error)}")
            raise self.broken from None

    def close(self) -> None:
        """Write what is held (when the file can still be written), then close."""
        if self._fd < 0:
            return
        try:
            if self.broken is None and self._held:
                self.flush()
        finally:
            os.close(self._fd)
            self._fd = -1
