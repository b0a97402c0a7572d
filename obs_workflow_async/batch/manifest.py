"""Batch files of the CLI: the manifest to start, the results log, and resuming from it.

Manifest: CSV rows ``bucket,object[,inputs-json]`` (an optional header row starting
with ``bucket``) or JSON lines ``{"bucket", "object", "inputs"?, "key"?}``.

Results: JSON lines, appended and flushed one at a time so that a killed run keeps
what it learnt. Before an item is handed to the client a ``"sending"`` line is
written; its outcome line follows (``started``, ``failed``, ``ambiguous`` or
``invalid``). On ``--resume`` the last line per item decides: ``started`` items are
skipped, ``ambiguous`` ones (and ``sending`` ones with no outcome: the run died
with them in flight) are skipped and listed unless ``--retry-ambiguous``, the
rest are started again (a definite failure never started anything).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ..errors import APIStatusError, ObsWorkflowError, TransportError
from .models import StartOutcome

__all__ = [
    "ManifestError",
    "ManifestItem",
    "ResultsLog",
    "ResumeState",
    "count_items",
    "outcome_record",
    "read_manifest",
    "read_results",
]


class ManifestError(ValueError):
    """The manifest (or the results file) cannot be used as it is."""


@dataclass(frozen=True, slots=True)
class ManifestItem:
    """One line of the manifest, numbered from 0 (header and blank lines not counted)."""

    index: int
    bucket: str
    object_key: str
    inputs: object = None
    key: str | None = None
    problem: str | None = None
    """Why the line cannot be used (it then becomes an ``invalid`` result)."""


def _is_jsonl(path: Path, first: str) -> bool:
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return True
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        return False
    return first.lstrip().startswith("{")


def _lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        for line in handle:
            if line.strip():
                yield line


def read_manifest(path: Path) -> Iterator[ManifestItem]:
    """Stream the manifest's items (lazily: a million lines are never all in memory)."""
    lines = _lines(path)
    first = next(lines, None)
    if first is None:
        return
    if _is_jsonl(path, first):
        yield from _read_jsonl(first, lines)
    else:
        yield from _read_csv(first, lines)


def _read_jsonl(first: str, rest: Iterator[str]) -> Iterator[ManifestItem]:
    for index, line in enumerate(_chain(first, rest)):
        try:
            data = json.loads(line)
        except ValueError as exc:
            yield ManifestItem(index, "", "", problem=f"not JSON: {exc}")
            continue
        if not isinstance(data, dict):
            yield ManifestItem(index, "", "", problem="a line must be a JSON object")
            continue
        bucket, obj, key = data.get("bucket"), data.get("object"), data.get("key")
        if not isinstance(bucket, str) or not isinstance(obj, str):
            yield ManifestItem(index, "", "", problem="bucket and object must be strings")
            continue
        yield ManifestItem(
            index, bucket, obj, data.get("inputs"), None if key is None else str(key)
        )


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _csv_rows(lines: Iterator[str]) -> Iterator[list[str] | str]:
    """CSV rows; a line the csv module refuses (e.g. a NUL byte) comes as its error text."""
    rows = csv.reader(lines)
    while True:
        try:
            yield next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            yield f"not CSV: {exc}"


def _read_csv(first: str, rest: Iterator[str]) -> Iterator[ManifestItem]:
    index = 0
    for number, row in enumerate(_csv_rows(_chain(first, rest))):
        if isinstance(row, str):
            yield ManifestItem(index, "", "", problem=row)
        elif number == 0 and row and row[0].strip().lower() == "bucket":
            continue  # header
        elif len(row) < 2:
            yield ManifestItem(index, "", "", problem="a row needs bucket,object[,inputs-json]")
        else:
            inputs: object = None
            problem = None
            if len(row) > 2 and row[2].strip():
                try:
                    inputs = json.loads(row[2])
                except ValueError as exc:
                    problem = f"inputs are not JSON: {exc}"
            yield ManifestItem(index, row[0], row[1], inputs, None, problem)
        index += 1


def count_items(path: Path) -> int:
    """How many items the manifest holds (one pass over the file)."""
    return sum(1 for _ in read_manifest(path))


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
    return record


@dataclass
class ResumeState:
    """What an earlier run's results file says about each item."""

    started: set[int] = field(default_factory=set)
    ambiguous: dict[int, dict[str, object]] = field(default_factory=dict)
    identity: dict[int, tuple[str, str]] = field(default_factory=dict)

    def check(self, item: ManifestItem) -> None:
        seen = self.identity.get(item.index)
        if seen is not None and seen != (item.bucket, item.object_key):
            raise ManifestError(
                f"item {item.index} is {item.bucket}/{item.object_key} in the manifest but "
                f"{seen[0]}/{seen[1]} in the results file: the manifest changed"
            )


def read_results(path: Path) -> ResumeState:
    """The last status per item of a results file (a missing file means a fresh run)."""
    state = ResumeState()
    if not path.exists():
        return state
    last: dict[int, dict[str, object]] = {}
    for number, line in enumerate(_lines(path), 1):
        try:
            record = json.loads(line)
            index = int(record["index"])
        except (ValueError, KeyError, TypeError):
            if number > 1 and not line.endswith("\n"):
                continue  # a torn last line from a killed run
            raise ManifestError(f"{path}:{number}: not a results line") from None
        last[index] = record
        state.identity[index] = (str(record.get("bucket", "")), str(record.get("object", "")))
    for index, record in last.items():
        status = record.get("status")
        if status == "started":
            state.started.add(index)
        elif status in ("ambiguous", "sending"):
            state.ambiguous[index] = record
    return state


class ResultsLog:
    """Appends one JSON line per event and flushes it at once."""

    def __init__(self, handle: IO[str]) -> None:
        self._handle = handle

    @classmethod
    def open(cls, path: Path) -> ResultsLog:
        return cls(path.open("a", encoding="utf-8"))

    def write(self, record: dict[str, object]) -> None:
        self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()
