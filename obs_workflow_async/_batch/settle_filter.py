"""Settling: a listing page read for a sweep, without a typed summary per execution.

A sweep reads every page of a graph's listing, but only the executions that may lie in
an item's window (or whose time, type or graph it cannot place) become candidates.
:func:`read_listing` reads a page with ``json.loads`` and keeps, for each execution,
what the sweep's pre-filter needs (:data:`Quick`: its name, the span its start time
may denote, its type and graph as written); the typed :class:`ExecutionSummary` is
built only when asked for (:class:`ListedExecutions`), for the candidates.

The reading is exact: each value it keeps is the one the summary model gives (the
same functions read them), and any page or item it is not sure of (a JSON reading
pydantic's may differ on, :mod:`.settle_json`; a value the model would convert or
refuse) is left to the model: an item is validated there and then; a page the model
refuses is read by the full validation, which raises its usual error. No I/O here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from itertools import repeat
from typing import NamedTuple, TypeVar, cast, overload

from pydantic import BaseModel, ValidationError

from .._core.answers import parse_model
from .._pipeline import RawResponse
from ..models import ExecutionSummary
from ..models._base import parse_timestamp, timestamp_span
from ..models._executions import _ZONELESS, quick_span, raw_started_at
from ..models._timestamps import _FROMISOFORMAT_READS_IT, _from_common_iso
from .settle_json import decode_object, shallow

__all__ = [
    "ListedExecutions",
    "Quick",
    "Uniform",
    "page_names",
    "page_reader",
    "quick_span",
    "read_listing",
    "read_page",
]

_P = TypeVar("_P", bound=BaseModel)


Quick = tuple[str, "tuple[datetime, datetime] | None", object, "str | None"]
"""What the sweep's pre-filter reads of one listed execution (a plain tuple: one is
built per listed execution): its ``execution_name`` as the summary reads it, its
``ExecutionSummary.started_at_span``, its type as written (``None`` or ``""``: none;
:func:`~.settle_match.kind_of` reads it as it reads the summary's) and its
``graph_urn`` as written (``None`` or ``""``: none)."""


_TEXT = (str, type(None))


class Uniform(NamedTuple):
    """A page whose every execution the summary model takes as it is and whose every
    ``started_at`` is the service's common form with ``Z``
    (``2026-12-03T10:00:00[.fraction]Z``): read for the whole page at once (see
    :func:`read_uniform`), without a tuple per execution."""

    names: list[str]
    """Every ``execution_name`` (text), in page order."""
    moments: list[datetime]
    """Every ``started_at`` as the summary reads it (aware, UTC); its
    ``started_at_span`` is ``(moment, moment)``."""


class ListedExecutions(Sequence[ExecutionSummary]):
    """A page's executions: :attr:`quick` for each (or :attr:`uniform`, the same read
    for the whole page), the typed summary on demand (built once, by the summary
    model, from the item as the page gave it)."""

    __slots__ = ("_built", "_items", "_model", "_quick", "uniform")

    def __init__(
        self,
        items: list[dict[str, object]],
        model: type[ExecutionSummary],
        quick: list[Quick] | None,
        built: dict[int, ExecutionSummary],
        uniform: Uniform | None = None,
    ) -> None:
        self._items = items
        self._model = model
        self._built = built
        self._quick = quick
        self.uniform = uniform
        """The page read at once (``None``: read item by item, :attr:`quick`)."""

    @property
    def quick(self) -> list[Quick]:
        """What the sweep's pre-filter reads of each execution (:data:`Quick`)."""
        quick = self._quick
        if quick is None:  # built from the uniform reading only when asked for
            uniform = self.uniform
            assert uniform is not None
            quick = self._quick = [
                (name, (moment, moment), item.get("execution_type"), item.get("graph_urn"))  # type: ignore[misc]
                for name, moment, item in zip(
                    uniform.names, uniform.moments, self._items, strict=True
                )
            ]
        return quick

    def raw(self, index: int) -> dict[str, object]:
        """The execution at ``index`` as the page gave it."""
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> ExecutionSummary: ...

    @overload
    def __getitem__(self, index: slice) -> list[ExecutionSummary]: ...

    def __getitem__(self, index: int | slice) -> ExecutionSummary | list[ExecutionSummary]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._items)))]
        if index < 0:
            index += len(self._items)
        summary = self._built.get(index)
        if summary is None:
            summary = self._model.model_validate(self._items[index])
            self._built[index] = summary
        return summary

    def __iter__(self) -> Iterator[ExecutionSummary]:
        return (self[i] for i in range(len(self._items)))

    def started_at(self, index: int) -> datetime | None:
        """``started_at`` of the execution at ``index``, as its summary reads it."""
        if self.uniform is not None:
            return self.uniform.moments[index]
        summary = self._built.get(index)
        if summary is not None:
            return summary.started_at
        return parse_timestamp(self._items[index].get("started_at"))

    @property
    def names(self) -> list[str]:
        """Every execution's name, in page order (without building a summary)."""
        if self.uniform is not None:
            return self.uniform.names
        return [q[0] for q in self.quick]


def page_names(executions: Sequence[ExecutionSummary]) -> list[str]:
    """The names of a page's executions, read from :attr:`ListedExecutions.quick` when
    it has them."""
    if isinstance(executions, ListedExecutions):
        return executions.names
    return [e.execution_name for e in executions]


def _quick(
    item: dict[str, object], model: type[ExecutionSummary]
) -> tuple[Quick, ExecutionSummary | None]:
    """What the pre-filter reads of one item, and its summary when the item had to be
    validated to read it; raises ``ValidationError`` when the model refuses it."""
    summary = model.model_validate(item)
    quick = (
        summary.execution_name,
        summary.started_at_span,
        summary.execution_type,
        summary.graph_urn,
    )
    return quick, summary


_COMMON_Z = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z"
_COMMON_Z_LINES = re.compile(f"{_COMMON_Z}(?:\n{_COMMON_Z})*", re.ASCII).fullmatch
"""Lines each in the service's common form with ``Z`` (what
:func:`~obs_workflow_async.models._timestamps._from_common_iso` reads with ``Z``), ASCII
digits only: one C call for a whole page's times."""
_DIGITS_AS_ZERO = str.maketrans("123456789", "000000000")
_COMMON_Z_SHAPES = {
    length: "0000-00-00T00:00:00" + ("." + "0" * (length - 21) if length > 20 else "") + "Z"
    for length in (20, *range(22, 31))
}
"""The common form with ``Z`` by its length (no fraction, or 1 to 9 digits of one),
its ASCII digits written ``0``: a page whose times all have one length is checked
with one ``str.translate`` and one comparison (:data:`_COMMON_Z_LINES` otherwise)."""
_TEXT_TYPES = frozenset(_TEXT)
_STR_ONLY = frozenset({str})
_DICT_ONLY = frozenset({dict})
_get = cast(Callable[[object, str], object], dict.get)
"""``dict.get`` over a page's items with ``map`` (``TypeError`` for an item that is not
a ``dict``; every item is one when it is called)."""


def _all_common_z(starts: list[str]) -> bool:
    """Whether every text of ``starts`` is in the common form with ``Z``."""
    joined = "\n".join(starts)
    lengths = set(map(len, starts))
    shape = _COMMON_Z_SHAPES.get(lengths.pop()) if len(lengths) == 1 else None
    if shape is not None:  # every time as long as this shape: each the shape, or not
        return joined.translate(_DIGITS_AS_ZERO) == "\n".join(repeat(shape, len(starts)))
    return joined.count("\n") == len(starts) - 1 and _COMMON_Z_LINES(joined) is not None


def read_uniform(raw_items: list[object]) -> Uniform | None:
    """A page's executions read at once, where the page is the common one: every item
    an object the summary model takes as it is (``execution_name`` text;
    ``execution_type``, ``graph_urn``, ``execution_state`` and ``execution_urn`` text
    or ``None``), every ``started_at`` in the service's common form with ``Z``. Each
    value is then the summary's: the name as written, the start time as
    ``datetime.fromisoformat`` reads that form (what the summary's reading gives it),
    its span that moment exactly. ``None`` for any other page (read item by item);
    a page of no items is not uniform either.

    Each check runs over the whole page at C speed (``map``, a type set, one regular
    expression over the page's times joined by newlines, which no time in the common
    form holds)."""
    count = len(raw_items)
    if not count or not _FROMISOFORMAT_READS_IT:
        return None
    if set(map(type, raw_items)) != _DICT_ONLY:
        return None  # a null item (dropped by the model), or one that is not an object
    names = list(map(_get, raw_items, repeat("execution_name")))
    if set(map(type, names)) != _STR_ONLY:
        return None
    for field in ("execution_type", "graph_urn", "execution_state", "execution_urn"):
        if not set(map(type, map(_get, raw_items, repeat(field)))) <= _TEXT_TYPES:
            return None
    starts = cast(list[str], list(map(_get, raw_items, repeat("started_at"))))
    if set(map(type, starts)) != _STR_ONLY:
        return None  # no start time, or another type: read where the model reads it
    if not _all_common_z(starts):
        return None
    try:
        moments = list(map(datetime.fromisoformat, starts))
    except ValueError:
        return None  # out of range (the item's reading says so: item by item)
    return Uniform(cast(list[str], names), moments)


def _read_items(
    raw_items: list[object], model: type[ExecutionSummary]
) -> tuple[list[dict[str, object]], list[Quick], dict[int, ExecutionSummary]]:
    """Each item's :data:`Quick`, read straight from the item when the summary model
    takes its typed fields as they are (text or ``None``, a name that is text), else
    from the summary validated there and then (raises ``ValidationError``)."""
    items: list[dict[str, object]] = []
    quick: list[Quick] = []
    built: dict[int, ExecutionSummary] = {}
    text = _TEXT
    for item in raw_items:
        if item is None:
            continue  # a null item is dropped, as the page model drops it
        if type(item) is dict:
            name = item.get("execution_name")
            kind = item.get("execution_type")
            urn = item.get("graph_urn")
            if (
                type(name) is str
                and type(kind) in text
                and type(urn) in text
                and type(item.get("execution_state")) in text
                and type(item.get("execution_urn")) in text
            ):
                started = item.get("started_at")
                if started is None or started == "":
                    started = raw_started_at(item)
                span = None
                if type(started) is str:
                    moment = _from_common_iso(started)
                    if moment is not None:
                        span = (
                            (moment, moment)
                            if started[-1] == "Z"
                            else (moment + _ZONELESS[0], moment + _ZONELESS[1])
                        )
                if span is None:
                    span = timestamp_span(started)
                quick.append((name, span, kind, urn))
                items.append(item)
                continue
        read, summary = _quick(item, model)  # type: ignore[arg-type]
        built[len(items)] = summary  # type: ignore[assignment]
        quick.append(read)
        items.append(item)  # type: ignore[arg-type]
    return items, quick, built


def read_listing(
    body: bytes,
    page_model: type[_P],
    summary_model: type[ExecutionSummary],
    context: dict[str, object],
) -> tuple[_P, ListedExecutions] | None:
    """A listing page's fields (``page_model`` validated without its executions, with
    the response metadata in ``context``) and its executions; ``None`` when the page
    is not one this reading is sure of: the caller then validates the whole body with
    ``page_model`` (and gets its result, or its error)."""
    decoded = decode_object(body)
    if decoded is None:
        return None
    data, text = decoded
    raw_items = data.get("executions")
    if raw_items is None:
        raw_items = []
    elif type(raw_items) is not list:
        return None
    uniform = read_uniform(raw_items)
    objects = len(raw_items) if uniform is not None else sum(type(i) is dict for i in raw_items)
    if not shallow(text, objects - 1, body):
        return None  # nested deeper than pydantic's reading takes: the model says so
    try:
        page = page_model.model_validate({**data, "executions": []}, context=context)
        if uniform is not None:
            items: list[dict[str, object]] = raw_items  # every item an object (read_uniform)
            return page, ListedExecutions(items, summary_model, None, {}, uniform)
        items, quick, built = _read_items(raw_items, summary_model)
    except ValidationError:
        return None
    return page, ListedExecutions(items, summary_model, quick, built)


def read_page(
    raw: RawResponse, page_model: type[_P], summary_model: type[ExecutionSummary]
) -> tuple[_P, Sequence[ExecutionSummary]]:
    """A 2xx listing answer as a sweep reads it: the page's fields and its executions
    (:func:`read_listing`; else the page model's full validation, its result or its
    :class:`~obs_workflow_async.errors.ResponseParseError`)."""
    context: dict[str, object] = {"headers": raw.headers, "retries_taken": raw.retries_taken}
    if raw.request_id is not None:
        context["request_id"] = raw.request_id
    read = read_listing(raw.body, page_model, summary_model, context)
    if read is not None:
        return read
    page = parse_model(page_model, raw)
    executions: Sequence[ExecutionSummary] = page.executions  # type: ignore[attr-defined]
    return page, executions


def page_reader(
    page_model: type[_P], summary_model: type[ExecutionSummary]
) -> Callable[[RawResponse], tuple[_P, Sequence[ExecutionSummary]]]:
    """The reader a lister hands the core for one API's listing pages
    (:func:`read_page` with that API's page and summary models)."""

    def read(raw: RawResponse) -> tuple[_P, Sequence[ExecutionSummary]]:
        return read_page(raw, page_model, summary_model)

    return read
