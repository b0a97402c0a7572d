"""How commands print their results: ``--output json|text|table`` and ``--quiet``.

One shape for every command: stdout carries the resource only (a workflow, a
template, an execution, a listing's items, a batch summary); the call's metadata
(``request_id``, ``retries_taken``) is never mixed into it: ``-v`` prints it on
stderr as one line, ``obs-workflow: meta {"request_id": ..., "retries_taken": ...}``.

- ``json`` (the default): one JSON object (indented) per resource; listings print
  one compact object per line (JSON lines).
- ``text``: ``field: value`` lines (nested values as compact JSON); listings print
  one line per item, its fields separated by tabs.
- ``table``: aligned columns with a header row (a single resource: ``FIELD VALUE``).
- ``--quiet``: only the resource's name (an execution's name, a workflow's name),
  one per line; commands without one (``start-many``, ``settle``, ``doctor``) print
  nothing on stdout. Errors still go to stderr; the exit status is unchanged.

These are pure functions from data to text (:func:`render`, :func:`render_items`);
:func:`emit` and :func:`emit_meta` write them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal, TypeAlias

from ..errors import visible

if TYPE_CHECKING:  # imported where used: the parser's output_options needs no pydantic
    from pydantic import BaseModel

__all__ = [
    "META_FIELDS",
    "OutputFormat",
    "emit",
    "emit_item",
    "emit_items",
    "emit_meta",
    "emit_summary",
    "meta_of",
    "name_of",
    "output_options",
    "render",
    "render_item",
    "render_items",
    "resource_of",
]

OutputFormat: TypeAlias = Literal["json", "text", "table"]
FORMATS: tuple[OutputFormat, ...] = ("json", "text", "table")
META_FIELDS = ("request_id", "retries_taken")
"""Call metadata: kept out of the resource (``-v`` prints it on stderr)."""
_DROPPED = frozenset({*META_FIELDS, "headers"})
_NAME_FIELDS = ("execution_name", "graph_name", "name", "template_name", "execution_id")
Record: TypeAlias = Mapping[str, object]


def json_text(data: object, indent: int | None = None) -> str:
    """JSON for the terminal: readable non-ASCII text, but never an encoding error (a
    lone surrogate is written as an escape) and never a raw control character."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, indent=indent)
    # raw newlines come only from the indentation (JSON escapes those in strings)
    return "\n".join(visible(line, json_text=True) for line in text.split("\n"))


def resource_of(model: BaseModel | Record) -> dict[str, object]:
    """The resource's fields (JSON types), without the call metadata."""
    from pydantic import BaseModel

    if isinstance(model, BaseModel):
        data: object = model.model_dump(mode="json", exclude=set(_DROPPED))
    else:
        data = {k: v for k, v in model.items() if k not in _DROPPED}
    assert isinstance(data, dict)
    return data


def meta_of(model: BaseModel) -> dict[str, object]:
    """``request_id`` and ``retries_taken`` of an answer (empty for a listed item)."""
    return {name: getattr(model, name) for name in META_FIELDS if hasattr(model, name)}


def name_of(record: Record) -> str | None:
    """The identifier ``--quiet`` prints."""
    for field in _NAME_FIELDS:
        value = record.get(field)
        if isinstance(value, str) and value:
            return value
    return None


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return visible(value)
    return json_text(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]
    return "\n".join(lines)


def render(record: Record, fmt: OutputFormat, *, quiet: bool = False) -> str | None:
    """One resource as ``fmt`` (``None``: nothing to print)."""
    if quiet:
        return name_of(record)
    if fmt == "json":
        return json_text(record, indent=2)
    if fmt == "text":
        return "\n".join(f"{key}: {_cell(value)}" for key, value in record.items())
    return _table(["FIELD", "VALUE"], [[key, _cell(value)] for key, value in record.items()])


def _columns(records: Sequence[Record]) -> list[str]:
    """The scalar fields of the items, in first-seen order (nested values left out)."""
    columns: dict[str, None] = {}
    for record in records:
        for key, value in record.items():
            if not isinstance(value, dict | list):
                columns.setdefault(key)
    return list(columns)


def render_items(records: Sequence[Record]) -> str | None:
    """A whole listing as a table (``table`` needs every row for the widths)."""
    if not records:
        return None
    columns = _columns(records)
    rows = [[_cell(record.get(column)) for column in columns] for record in records]
    return _table([c.upper() for c in columns], rows)


def render_item(record: Record, fmt: OutputFormat, *, quiet: bool = False) -> str | None:
    """One item of a listing, as a line (``json`` and ``text``)."""
    if quiet:
        return name_of(record)
    if fmt == "json":
        return json_text(record)
    return "\t".join(_cell(value) for value in record.values())


def _settings(args: argparse.Namespace) -> tuple[OutputFormat, bool]:
    given = getattr(args, "output", None)
    fmt: OutputFormat = given if given in ("text", "table") else "json"
    return fmt, bool(getattr(args, "quiet", False))


def emit(args: argparse.Namespace, resource: BaseModel | Record) -> None:
    """Print one resource as ``--output`` says (and its metadata on stderr with ``-v``)."""
    from pydantic import BaseModel

    fmt, quiet = _settings(args)
    if isinstance(resource, BaseModel):
        emit_meta(args, meta_of(resource))
    text = render(resource_of(resource), fmt, quiet=quiet)
    if text is not None:
        print(text, flush=True)


def emit_summary(args: argparse.Namespace, summary: Record) -> None:
    """A command's summary (``start-many``, ``settle``): as JSON on one line (the
    default, as scripts read it), ``text`` or ``table``; nothing with ``--quiet``."""
    fmt, quiet = _settings(args)
    if quiet:
        return
    text = json_text(dict(summary)) if fmt == "json" else render(summary, fmt)
    print(text, flush=True)


def emit_item(args: argparse.Namespace, item: BaseModel | Record) -> None:
    """One listed item, printed at once (``json``, ``text`` and ``--quiet``)."""
    fmt, quiet = _settings(args)
    text = render_item(resource_of(item), fmt, quiet=quiet)
    if text is not None:
        print(text, flush=True)


def emit_items(args: argparse.Namespace, items: Iterable[BaseModel | Record]) -> None:
    """A buffered listing (``table``)."""
    text = render_items([resource_of(item) for item in items])
    if text is not None:
        print(text, flush=True)


def emit_meta(args: argparse.Namespace, meta: Mapping[str, object]) -> None:
    """With ``-v``: the call metadata on stderr, one line."""
    if meta and getattr(args, "verbose", 0) > 0:
        print(f"obs-workflow: meta {json_text(dict(meta))}", file=sys.stderr, flush=True)


_OUTPUT_HELP = (
    "how results print on stdout: json (listings as JSON lines; doctor: text), text "
    "(field: value lines; listings tab-separated) or table (aligned columns); call "
    "metadata (request_id, retries_taken) goes to stderr with -v, never into the resource "
    "(default: json)"
)
_QUIET_HELP = (
    "print only the resource's name (nothing for start-many, settle, doctor) and no "
    "progress; errors still go to stderr (default: off)"
)


def output_options(parser: argparse.ArgumentParser, *, main: bool = False) -> None:
    """``--output`` and ``--quiet``, as the connection options: before the subcommand
    (``main``: shown in ``obs-workflow --help``) and after it (hidden from the
    subcommand's help, defaults suppressed so a value given before is kept)."""
    group = parser.add_argument_group("output options (before or after the subcommand)")
    shown = argparse.SUPPRESS if not main else None
    group.add_argument(
        "-o",
        "--output",
        choices=FORMATS,
        default=None if main else argparse.SUPPRESS,
        help=shown or _OUTPUT_HELP,
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=False if main else argparse.SUPPRESS,
        help=shown or _QUIET_HELP,
    )
