"""The results file of ``start-many`` as a resume reads it back (the lines, the lock
and the log that write it are in :mod:`.results_log`, re-exported here).

Format 1 files (a ``sending`` line then an outcome line per item) are read the same
way as format 2: a batch line counts as a ``sending`` line per item.

On ``--resume`` the last line per item decides, by
:func:`~.settle_file.resume_action`: ``started`` items (and items settled
``started``) are skipped; ``ambiguous`` ones, ``sending`` ones with no outcome (the
run died with them in flight) and settled ones that are not ``started`` are skipped
and listed unless a flag says otherwise (``--retry-ambiguous`` resends the items
settled ``not_started``, ``--retry-unknown-may-duplicate`` the others too); the
rest are started again (a definite failure never started anything). A torn last
line is repaired (:func:`repair_torn`), and a resumed file is carried over into the
new one (:func:`carry_over`).
"""

from __future__ import annotations

import json
import re
from array import array
from dataclasses import dataclass, field
from pathlib import Path

from .manifest import ManifestError, ManifestItem, read_manifest
from .results_log import (
    ResultsFileError,
    ResultsLock,
    ResultsLockedError,
    ResultsLog,
    Write,
    outcome_record,
    results_line,
    started_line,
)
from .settle_file import NewerFormatError, item_records, line_graph, resume_action

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
    "started_line",
]


_STARTED, _AMBIGUOUS, _SEND = 1, 2, 3
"""An item's state in :class:`_ItemTable` (0: no line)."""
_DENSE_LIMIT = 1 << 26
"""Indexes below this live in arrays (one byte and eight bytes each); above, in dicts."""


class _ItemTable:
    """Per item index, its state (one byte) and a 64-bit hash of its bucket and object
    (eight bytes; 0 when no line named them): what a resume needs of every item, about
    nine bytes each, so that a million finished items take about 9 MB, not their records.
    Indexes beyond ``2**26`` (not from a real manifest) go to dicts."""

    __slots__ = ("names", "sparse_names", "sparse_states", "states")

    def __init__(self) -> None:
        self.states = bytearray()
        self.names = array("q")
        self.sparse_states: dict[int, int] = {}
        self.sparse_names: dict[int, int] = {}

    def _grow(self, index: int) -> None:
        more = max(index + 1 - len(self.states), len(self.states), 1024)
        self.states.extend(bytes(more))
        self.names.frombytes(bytes(8 * more))

    def set_state(self, index: int, state: int) -> None:
        if index >= _DENSE_LIMIT:
            self.sparse_states[index] = state
            return
        if index >= len(self.states):
            self._grow(index)
        self.states[index] = state

    def state(self, index: int) -> int:
        if index >= _DENSE_LIMIT:
            return self.sparse_states.get(index, 0)
        return self.states[index] if index < len(self.states) else 0

    def set_name(self, index: int, bucket: str, obj: str) -> None:
        name = _name_hash(bucket, obj)
        if index >= _DENSE_LIMIT:
            self.sparse_names[index] = name
            return
        if index >= len(self.states):
            self._grow(index)
        self.names[index] = name

    def name(self, index: int) -> int:
        if index >= _DENSE_LIMIT:
            return self.sparse_names.get(index, 0)
        return self.names[index] if index < len(self.names) else 0

    @property
    def empty(self) -> bool:
        return not (self.states or self.sparse_states or self.sparse_names)

    def count(self, state: int) -> int:
        return self.states.count(state) + sum(s == state for s in self.sparse_states.values())


def _name_hash(bucket: str, obj: str) -> int:
    """A 64-bit hash of an item's bucket and object (never 0, which means none)."""
    return hash((bucket, obj)) or 1


@dataclass
class ResumeState:
    """What an earlier run's results file says about each item.

    Memory grows with the ambiguous items, not with every record: per item a state
    and a hash of its bucket and object (:class:`_ItemTable`); full records only for
    ``ambiguous``, the items that may have started and are not proven started
    (``ambiguous``, ``sending``, settled ``not_started`` or ``unknown``): decide each
    with :func:`~.settle_file.resume_action`. :meth:`is_started` tells the items it
    proves started (``started`` or settled ``started``). ``graphs``: the workflows
    its lines record.

    When the file ended in a torn line (a run killed mid-write), ``complete_size``
    is the byte length up to the last complete line and ``repaired`` the lines that
    stand for it (the torn item as ``sending``; a complete line glued after it):
    they make the torn item ambiguous.
    """

    ambiguous: dict[int, dict[str, object]] = field(default_factory=dict)
    graphs: set[str] = field(default_factory=set)
    torn: bool = False
    complete_size: int = 0
    repaired: list[dict[str, object]] = field(default_factory=list)
    source: Path | None = None
    """The results file read (to name an item's recorded object in a message)."""
    _items: _ItemTable = field(default_factory=_ItemTable, repr=False)

    def is_started(self, index: int) -> bool:
        return self._items.state(index) == _STARTED

    @property
    def empty(self) -> bool:
        """No item recorded (a fresh run): every item is decided ``send`` unless invalid."""
        return self._items.empty and not self.ambiguous

    @property
    def started_count(self) -> int:
        """How many items the file proves started."""
        return self._items.count(_STARTED)

    def take(self, index: int, record: dict[str, object]) -> None:
        """``record`` is now the last line of item ``index``."""
        action = resume_action(record, retry_ambiguous=False, retry_unknown=False)
        if action == "skip_unsettled":
            self._items.set_state(index, _AMBIGUOUS)
            self.ambiguous[index] = record
        else:
            self._items.set_state(index, _STARTED if action == "skip_started" else _SEND)
            self.ambiguous.pop(index, None)
        bucket, obj = record.get("bucket"), record.get("object")
        if isinstance(bucket, str) and isinstance(obj, str):
            self._items.set_name(index, bucket, obj)

    def name(self, index: int, bucket: str, obj: str) -> None:
        """Item ``index`` is ``bucket``/``obj`` (taken from the manifest)."""
        self._items.set_name(index, bucket, obj)

    def check(self, item: ManifestItem) -> None:
        seen = self._items.name(item.index)
        if seen == 0 or seen == _name_hash(item.bucket, item.object_key):
            return
        recorded = self._recorded_name(item.index)
        raise ManifestError(
            f"item {item.index} is {item.bucket}/{item.object_key} in the manifest but "
            f"{recorded} in the results file: the manifest changed"
        )

    def _recorded_name(self, index: int) -> str:
        """``bucket/object`` as the file's last line naming item ``index`` says (only
        for the message of a changed manifest)."""
        record = self.earlier_record(index)
        if record is None:
            return "another object"
        return f"{record['bucket']}/{record['object']}"

    def earlier_record(self, index: int) -> dict[str, object] | None:
        """The last complete line that names item ``index``'s bucket and object: the
        ambiguous record kept, else read again from the file (rare: a torn line, a
        changed manifest)."""
        kept = self.ambiguous.get(index)
        if kept is not None and "bucket" in kept and "object" in kept:
            return kept
        found: dict[str, object] | None = None
        if self.source is None or not self.source.exists():
            return None
        with self.source.open("rb") as handle:
            for line in handle:
                parsed = _parse_line(line) if line.endswith(b"\n") else None
                for number, record in parsed[1] if parsed is not None else ():
                    bucket, obj = record.get("bucket"), record.get("object")
                    if number == index and isinstance(bucket, str) and isinstance(obj, str):
                        found = record
        return found


_INDEX_AT_START = re.compile(rb'\s*\{\s*"index"\s*:\s*(\d+)\s*[,}]')
_RECORD_START = b'{"index"'
_LINE_STARTS = (_RECORD_START, b'{"format"', b'{"status"')

Parsed = tuple[dict[str, object], list[tuple[int, dict[str, object]]]]
"""A results line and the per-item records it stands for (see
:func:`~.settle_file.item_records`)."""


def _parse_line(text: bytes) -> Parsed | None:
    """A results line, parsed; ``None`` when it is not one (torn, or not JSON).
    :class:`ManifestError` for a file of a newer format."""
    try:
        record = json.loads(text)
    except ValueError:  # UnicodeDecodeError included
        return None
    try:
        found = item_records(record)
    except NewerFormatError as error:
        raise ManifestError(str(error)) from None
    return None if found is None else (record, found)


_SENDING = re.compile(rb'\s*\{\s*"index"\s*:\s*\d+\s*,\s*"status"\s*:\s*"sending"')
"""The start of a ``sending`` line as a format-1 run wrote it before the item went
(status right after the index; a repaired or carried line puts it later)."""


def _torn(line: bytes, state: ResumeState) -> dict[str, object] | None:
    """The ``sending`` record standing for a torn line, if its index can be read.

    A torn line that still begins ``{"index": N, "status": "sending"`` stands for
    nothing: a run writes an item's ``sending`` line whole before the item goes, so
    that item was not sent (by that run). Nor does a torn batch or format line (they
    do not begin with an index): a batch of ``sending`` items is written whole before
    any of them goes."""
    match = _INDEX_AT_START.match(line)
    if match is None or _SENDING.match(line):
        return None
    index = int(match.group(1))
    record: dict[str, object] = {"index": index}
    earlier = state.earlier_record(index) or {}
    for name in ("bucket", "object", "key", "graph"):
        if name in earlier:
            record[name] = earlier[name]
    record.update(status="sending", repaired="torn line: the run died writing it")
    return record


def read_results(path: Path) -> ResumeState:
    """The last status per item of a results file (a missing file means a fresh run).

    Reads both formats: format 1 (one line per event, two per item) and format 2
    (a format line per run, one ``sending`` batch line for several items, one outcome
    line per item). Keeps per item only what a resume needs (see
    :class:`ResumeState`).

    A line that does not parse (a run killed in the middle of writing it) counts as
    ``sending`` for its item when its index can be read, so the item is ambiguous;
    otherwise it is dropped and the item keeps its earlier state. A complete line
    glued to a torn one (an older version appended after it) is still read.
    Anything else that is not a results line raises :class:`ManifestError`.
    """
    state = ResumeState(source=path)
    if not path.exists():
        return state
    size = 0
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip() and not _read_line(path, number, line, state):
                break  # the last line, torn: rewritten by the next run
            size += len(line)
    state.complete_size = size
    return state


def _take_line(state: ResumeState, parsed: Parsed) -> None:
    line, found = parsed
    graph = line_graph(line)
    if graph is not None:
        state.graphs.add(graph)
    for index, record in found:
        state.take(index, record)


def _read_line(path: Path, number: int, line: bytes, state: ResumeState) -> bool:
    """Take one non-blank line into ``state``; ``False`` for a torn last line (what
    it still says is in ``state.repaired``)."""
    complete = line.endswith(b"\n")
    parsed = _parse_line(line)
    if parsed is not None and complete:
        _take_line(state, parsed)
        return True
    found = [parsed] if parsed is not None else _repair(line, state)
    if not found and (complete or not _looks_like_a_record(line, number)):
        raise ManifestError(f"{path}:{number}: not a results line") from None
    for one in found:
        _take_line(state, one)
    if not complete:
        state.torn = True
        state.repaired = [one[0] for one in found]
        return False
    return True


def _looks_like_a_record(line: bytes, number: int) -> bool:
    """A torn first line must still look like the start of a results line (so that a
    manifest passed to ``--resume`` by mistake is refused, not truncated)."""
    head = line.lstrip()
    return number > 1 or any(
        head.startswith(start) or start.startswith(head) for start in _LINE_STARTS
    )


def _repair(line: bytes, state: ResumeState) -> list[Parsed]:
    """What a damaged line still says: the torn record's item as ``sending``, then a
    complete record glued after it (if any)."""
    found: list[Parsed] = []
    torn = _torn(line, state)
    if torn is not None:
        found.append((torn, [(int(str(torn["index"])), torn)]))
    glued = line.rfind(_RECORD_START, 1)
    if glued > 0:
        parsed = _parse_line(line[glued:])
        if parsed is not None:
            found.append(parsed)
    return found


def name_repaired_items(manifest: Path, resume: ResumeState) -> list[dict[str, object]]:
    """A torn line may have lost its bucket and object: take them from the manifest.

    Returns the ``sending`` records that name, from the manifest, the items whose last
    *complete* line lost them (a torn line repaired earlier by a command that had no
    manifest, e.g. ``settle``): the caller appends them so that settling can settle
    those items."""
    torn = {int(str(r["index"])): r for r in resume.repaired if "index" in r and "object" not in r}
    unnamed = {
        index: record
        for index, record in resume.ambiguous.items()
        if not (record.get("object") and record.get("bucket"))
    }
    if not torn and not unnamed:
        return []
    named: list[dict[str, object]] = []
    for item in read_manifest(manifest):
        record = torn.get(item.index)
        if record is not None:
            record.update(bucket=item.bucket, object=item.object_key)
            resume.name(item.index, item.bucket, item.object_key)
        elif item.index in unnamed:
            line = {**unnamed[item.index], "bucket": item.bucket, "object": item.object_key}
            line.update(status="sending", repaired="named from the manifest")
            line.pop("verdict", None)
            named.append(line)
            resume.name(item.index, item.bucket, item.object_key)
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
    offset are kept, not only its last line. Lines are copied as they are, in chunks."""
    log = ResultsLog.open(results_path, write=write)
    try:
        chunk: list[bytes] = []
        held = 0
        with resume_path.open("rb") as source:
            left = resume.complete_size
            for line in source:
                if left <= 0:
                    break
                left -= len(line)
                if not line.strip():
                    continue
                if _parse_line(line) is not None:
                    chunk.append(line if line.endswith(b"\n") else line + b"\n")
                    held += len(line)
                else:  # a line glued to a torn one: written as what it still says
                    log.write_bytes(b"".join(chunk))
                    chunk, held = [], 0
                    for parsed in _repair(line, ResumeState()):
                        log.write(parsed[0])
                if held >= _CHUNK:
                    log.write_bytes(b"".join(chunk))
                    chunk, held = [], 0
        log.write_bytes(b"".join(chunk))
        for record in resume.repaired:
            log.write(record)
    finally:
        log.close()


_CHUNK = 1 << 20
"""Bytes copied per write by :func:`carry_over`."""
