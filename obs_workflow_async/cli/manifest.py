"""The manifest of ``start-many``: the objects to start, read lazily.

Manifest: CSV rows ``bucket,object[,inputs-json]`` (an optional header row starting
with ``bucket``; ``.tsv`` or a tab-only first line: tab-separated) or JSON lines
``{"bucket", "object", "inputs"?, "key"?}``. The results file a run writes, and
resuming from it, are in :mod:`.results`.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ManifestError", "ManifestItem", "count_items", "read_manifest"]


class ManifestError(ValueError):
    """The manifest (or the results file) cannot be used as it is."""


@dataclass(slots=True)
class ManifestItem:
    """One line of the manifest: ``index`` numbered from 0 (header and blank lines not
    counted: the results file's key), ``line`` its line in the file from 1 (header and
    blank lines counted: what messages name)."""

    index: int
    bucket: str
    object_key: str
    inputs: object = None
    key: str | None = None
    problem: str | None = None
    """Why the line cannot be used (it then becomes an ``invalid`` result)."""
    line: int = 0
    """The item's line in the file (1-based; a CSV row over several lines: its last)."""


_BOM = b"\xef\xbb\xbf"
_JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")


def _is_jsonl(path: Path, first: str) -> bool:
    """JSON lines by suffix, or by content: the first non-blank line starts with ``{``
    (no CSV row can: a bucket name never starts with a brace)."""
    return path.suffix.lower() in _JSON_SUFFIXES or first.lstrip().startswith("{")


def _delimiter(path: Path, first: str) -> str:
    suffix = path.suffix.lower()
    if suffix == ".tsv":
        return "\t"
    if suffix != ".csv" and "\t" in first and "," not in first:
        return "\t"  # tab-separated without the suffix
    return ","


class _Numbered:
    """The number of the last physical line handed out (1-based)."""

    __slots__ = ("number",)

    def __init__(self) -> None:
        self.number = 0


def _lines(path: Path, where: _Numbered | None = None) -> Iterator[str]:
    """The non-blank lines, decoded as UTF-8 (a leading BOM is dropped); ``where``
    follows the number of the line last handed out.

    A line that is not UTF-8 raises :class:`ManifestError` naming it (line numbers
    count every physical line from 1).
    """
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            if where is not None:
                where.number = number
            if number == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ManifestError(
                    f"{path}:{number}: not UTF-8 (byte 0x{raw[exc.start]:02x} at column "
                    f"{exc.start + 1}); save the manifest as UTF-8"
                ) from None
            if line.strip():
                yield line


def read_manifest(path: Path) -> Iterator[ManifestItem]:
    """Stream the manifest's items (lazily: a million lines are never all in memory).

    CSV (``.tsv``: tab-separated) or JSON lines, recognised by the suffix or, for
    JSON lines, by the first non-blank line starting with ``{``. A UTF-8 BOM is
    accepted; text that is not UTF-8 raises :class:`ManifestError` naming the line.
    """
    where = _Numbered()
    lines = _lines(path, where)
    first = next(lines, None)
    if first is None:
        return
    if _is_jsonl(path, first):
        items = _read_jsonl(first, lines)
    else:
        items = _read_csv(first, lines, _delimiter(path, first))
    for item in items:
        item.line = where.number
        yield _check_text(item)


def _unencodable(value: object) -> bool:
    """Whether some string in ``value`` cannot be sent as UTF-8 (a lone surrogate, as
    ``os.fsdecode`` makes of a file name that is not UTF-8)."""
    if value is None:
        return False
    if isinstance(value, str):
        if value.isascii():
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    except (TypeError, ValueError):
        return False
    return False


def _check_text(item: ManifestItem) -> ManifestItem:
    if item.problem is not None:
        return item
    if item.inputs is None and item.key is None and (item.bucket + item.object_key).isascii():
        return item  # the common row: ASCII text is always UTF-8
    for name, value in (
        ("bucket", item.bucket),
        ("object", item.object_key),
        ("key", item.key),
        ("inputs", item.inputs),
    ):
        if _unencodable(value):
            return ManifestItem(
                item.index,
                item.bucket,
                item.object_key,
                item.inputs,
                item.key,
                line=item.line,
                problem=f"{name} holds text that cannot be sent (not encodable as UTF-8)",
            )
    return item


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
    return itertools.chain((first,), rest)


def _csv_rows(lines: Iterator[str], delimiter: str) -> Iterator[list[str] | str]:
    """CSV rows; a line the csv module refuses (e.g. a NUL byte) comes as its error text."""
    rows = csv.reader(lines, delimiter=delimiter)
    while True:
        try:
            yield next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            yield f"not CSV: {exc}"


def _read_csv(first: str, rest: Iterator[str], delimiter: str = ",") -> Iterator[ManifestItem]:
    index = 0
    for number, row in enumerate(_csv_rows(_chain(first, rest), delimiter)):
        if isinstance(row, str):
            yield ManifestItem(index, "", "", problem=row)
        elif number == 0 and row and _is_header(row):
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
    """How many items the manifest holds (one pass over the file, which checks that it
    is UTF-8 all through; the items themselves are checked as the run reads them)."""
    lines = _lines(path)
    first = next(lines, None)
    if first is None:
        return 0
    if _is_jsonl(path, first):
        return 1 + sum(1 for _ in lines)
    count = 0
    for number, row in enumerate(_csv_rows(_chain(first, lines), _delimiter(path, first))):
        if not (number == 0 and isinstance(row, list) and row and _is_header(row)):
            count += 1
    return count


def _is_header(row: list[str]) -> bool:
    return row[0].strip().lower() == "bucket"
