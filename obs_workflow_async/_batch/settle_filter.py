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

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TypeVar, overload

from pydantic import BaseModel, ValidationError

from .._core.answers import parse_model
from .._pipeline import RawResponse
from ..models import ExecutionSummary
from ..models._base import parse_timestamp, timestamp_span
from ..models._executions import _ZONELESS, quick_span, raw_started_at
from ..models._timestamps import _from_common_iso
from .settle_json import decode_object, shallow

__all__ = [
    "ListedExecutions",
    "Quick",
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


class ListedExecutions(Sequence[ExecutionSummary]):
    """A page's executions: :attr:`quick` for each, the typed summary on demand
    (built once, by the summary model, from the item as the page gave it)."""

    __slots__ = ("_built", "_items", "_model", "quick")

    def __init__(
        self,
        items: list[dict[str, object]],
        model: type[ExecutionSummary],
        quick: list[Quick],
        built: dict[int, ExecutionSummary],
    ) -> None:
        self._items = items
        self._model = model
        self._built = built
        self.quick = quick

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
        summary = self._built.get(index)
        if summary is not None:
            return summary.started_at
        return parse_timestamp(self._items[index].get("started_at"))

    @property
    def names(self) -> list[str]:
        """Every execution's name, in page order (without building a summary)."""
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
    if not shallow(text, sum(1 for item in raw_items if type(item) is dict) - 1):
        return None  # nested deeper than pydantic's reading takes: the model says so
    try:
        page = page_model.model_validate({**data, "executions": []}, context=context)
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
