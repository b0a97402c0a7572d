"""One settle sweep: a graph's listing read page by page through an API's
:class:`~.protocols.Lister`, the executions that may be in an item's window kept,
their details fetched once each (read as
:class:`~obs_workflow_async._batch.settle_detail.DetailFacts` for a settle, as typed
details for ``find_executions``, which returns them). The verdict rules are in
:mod:`obs_workflow_async._batch.settle` (pure)."""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from operator import lt
from typing import NamedTuple, TypeVar

from .._batch.settle import (
    DEFAULT_MAX_PAGES,
    Candidate,
    ListingSweep,
    SettleItem,
    WindowSet,
    clock_offset,
    service_window,
)
from .._batch.settle_detail import DetailFacts, facts_of
from .._batch.settle_filter import ListedExecutions, Uniform, page_names
from .._batch.settle_match import Kind, graph_relation, input_targets, kind_of
from ..errors import ObsWorkflowError
from ..models import ExecutionDetail, ExecutionSummary
from .options import RequestOptions
from .protocols import Lister, SettlePage

__all__ = ["SweepEngine"]

_D = TypeVar("_D")


class SweepEngine:
    """Sweeps of one client's listings (its API's ``lister``, its ``now``)."""

    def __init__(self, lister: Lister, now: Callable[[], datetime]) -> None:
        self._lister = lister
        self._now = now

    async def graph(
        self,
        graph: str,
        items: Sequence[SettleItem],
        default_until: datetime,
        margin: float,
        concurrency: int,
        max_pages: int | None,
        options: RequestOptions,
        limit: asyncio.Semaphore | None = None,
    ) -> tuple[ListingSweep, dict[str, DetailFacts | None]]:
        """One sweep of ``graph``'s API listing, then what the details of every
        execution in any item's window say (each fetched once, read as
        :class:`~obs_workflow_async._batch.settle_detail.DetailFacts`: no typed detail)."""
        lister = self._lister
        args = (graph, items, default_until, margin, concurrency, max_pages, options, limit)
        return await self._graph(lister.detail_facts, _plain_facts, *args)

    async def graph_details(
        self,
        graph: str,
        items: Sequence[SettleItem],
        default_until: datetime,
        margin: float,
        concurrency: int,
        max_pages: int | None,
        options: RequestOptions,
    ) -> tuple[ListingSweep, dict[str, ExecutionDetail | None]]:
        """:meth:`graph` with each execution's typed details (``find_executions``
        returns those of the executions that prove a start)."""
        args = (graph, items, default_until, margin, concurrency, max_pages, options, None)
        return await self._graph(self._lister.detail, facts_of, *args)

    async def _graph(
        self,
        fetch: Callable[[str, str, RequestOptions], Awaitable[_D]],
        facts: Callable[[_D], DetailFacts],
        graph: str,
        items: Sequence[SettleItem],
        default_until: datetime,
        margin: float,
        concurrency: int,
        max_pages: int | None,
        options: RequestOptions,
        limit: asyncio.Semaphore | None,
    ) -> tuple[ListingSweep, dict[str, _D | None]]:
        gate = limit or asyncio.Semaphore(concurrency)
        sweep = ListingSweep(graph, self._now())
        found = await self._sweep_listing(
            sweep, items, default_until, margin, max_pages, gate, options
        )
        details = await _fetch_details(fetch, graph, [f.name for f in found], gate, options)
        read = {name: None if d is None else facts(d) for name, d in details.items()}
        sweep.candidates.extend(_candidates(graph, found, read, self._lister.typed_listing))
        return sweep, details

    async def _sweep_listing(
        self,
        sweep: ListingSweep,
        items: Sequence[SettleItem],
        default_until: datetime,
        margin: float,
        max_pages: int | None,
        gate: asyncio.Semaphore,
        options: RequestOptions,
    ) -> list[_Listed]:
        """Read ``sweep.graph_name``'s listing page by page (counts, offset and how it
        ended go into ``sweep``); returns the executions that may be in an item's
        window, each once, in listing order.

        The sweep ends complete only on a page with no cursor that did not say it
        was truncated. A cursor seen twice, a page repeating the one before, or
        ``max_pages`` (default :data:`DEFAULT_MAX_PAGES`) end it incomplete."""
        span = _listing_span(items, default_until, margin)
        cap = DEFAULT_MAX_PAGES if max_pages is None else max_pages
        kept: _InWindows | None = None
        cursor: object = None
        paging = _Paging()
        while True:
            if sweep.pages >= cap:
                sweep.error = f"stopped after max_pages={cap} (the listing went on)"
                break
            sent = self._now()
            try:
                async with gate:
                    page = await self._lister.page(sweep.graph_name, cursor, span, options)
            except ObsWorkflowError as error:
                sweep.error = f"{type(error).__name__}: {error}"
                break
            sweep.pages += 1
            beyond: str | None = None
            if kept is None:  # the first page's Date sets the clock offset
                windows = _service_windows(
                    sweep, page, (sent, self._now()), items, default_until, margin
                )
                kept = _InWindows(windows, sweep.graph_name, self._lister.typed_listing)
                beyond = _beyond_reach(windows, span, self._lister.reach)
            kept.take(sweep, page.executions)
            if beyond is not None:  # the page is kept, the sweep is not complete
                sweep.error = beyond
                break
            if not paging.more(sweep, page):
                break
            cursor = page.next_cursor
        return [] if kept is None else kept.found


def _beyond_reach(
    windows: WindowSet, span: tuple[datetime, datetime], reach: timedelta | None
) -> str | None:
    """Why the listing cannot cover ``windows`` (the service's clock), asked for
    ``span`` (this machine's) with a time filter reading ``reach`` beyond it; ``None``:
    it covers them (or lists everything). The service's clock measured further off
    this machine's than ``reach`` moves a window outside what the listing reads."""
    lows, highs = windows.bounds
    if reach is None or not lows:
        return None
    if lows[0] >= span[0] - reach and highs[-1] <= span[1] + reach:
        return None
    return (
        "the service's clock is further off this machine's than the listing's time "
        f"filter reaches ({reach}): windows outside it were not listed"
    )


def _plain_facts(facts: DetailFacts) -> DetailFacts:
    return facts


async def _fetch_details(
    fetch: Callable[[str, str, RequestOptions], Awaitable[_D]],
    graph: str,
    names: Iterable[str],
    gate: asyncio.Semaphore,
    options: RequestOptions,
) -> dict[str, _D | None]:
    """Each named execution's details, fetched once (``None``: the call failed)."""
    details: dict[str, _D | None] = {}

    async def one(name: str) -> None:
        async with gate:
            try:
                details[name] = await fetch(graph, name, options)
            except ObsWorkflowError:
                details[name] = None  # unread input: "unknown" for its windows

    await asyncio.gather(*(one(name) for name in dict.fromkeys(names)))
    return details


def _listing_span(
    items: Sequence[SettleItem], default_until: datetime, margin: float
) -> tuple[datetime, datetime]:
    """This machine's span (now) covering every item's window, widened by ``margin``
    seconds: an item's recorded offsets move its window by as much as they differ
    from today's, which is taken as zero here (it is known only after one answer)."""
    pad = timedelta(seconds=margin)
    zero = timedelta(0)
    return (
        min(item.since + min((zero, *item.offsets)) for item in items) - pad,
        max((item.until or default_until) + max((zero, *item.offsets)) for item in items) + pad,
    )


def _service_windows(
    sweep: ListingSweep,
    page: SettlePage,
    round_trip: tuple[datetime, datetime],
    items: Sequence[SettleItem],
    default_until: datetime,
    margin: float,
) -> WindowSet:
    """Set ``sweep.offset`` from the first page's ``Date`` (requested and answered at
    ``round_trip``) and return the items' windows in the service's clock (each covering
    its recorded offsets and this one: see :func:`service_window`)."""
    offset = clock_offset(page.headers.get("Date"), *round_trip)
    sweep.offset = offset if offset is not None else timedelta(0)
    sweep.offset_measured = offset is not None
    return WindowSet(service_window(item, default_until, sweep.offset, margin) for item in items)


class _Listed(NamedTuple):
    """A listed execution that may be in an item's window."""

    name: str
    started_at: datetime | None
    span: tuple[datetime, datetime] | None
    execution_type: object
    """As the listing wrote it (see :func:`kind_of`)."""
    graph_urn: object
    """As the listing wrote it (see :func:`graph_relation`)."""


def _listed_kind(summary: ExecutionSummary, graph: str, typed: bool) -> Kind | None:
    """What the listing says started ``summary`` (``None``: not a start of ``graph``
    by the API: a trigger, or another graph)."""
    return _kind(summary.graph_urn, summary.execution_type, graph, typed)


def _kind(graph_urn: object, execution_type: object, graph: str, typed: bool) -> Kind | None:
    """:func:`_listed_kind` of a listed execution's ``graph_urn`` and type."""
    relation = graph_relation(graph, graph_urn)
    kind = kind_of(execution_type, typed_listing=typed)
    if relation == "other" or kind == "trigger":
        return None
    return "unknown" if relation == "unclear" else kind


@dataclass(slots=True)
class _InWindows:
    """The executions a sweep keeps: API starts of the graph (or of a type or graph
    spelling not recognised) that may have started in one of ``windows`` (or undated),
    each once, in listing order."""

    windows: WindowSet
    graph: str
    typed: bool
    found: list[_Listed] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    previous: datetime | None = None
    """The last ``started_at`` listed (to tell whether the pages come in time order)."""

    def take(self, sweep: ListingSweep, executions: Sequence[ExecutionSummary]) -> None:
        """Count one page's executions into ``sweep`` and keep those in the windows."""
        if isinstance(executions, ListedExecutions):
            self._take_quick(sweep, executions)
            return
        for summary in executions:
            sweep.listed += 1
            started = summary.started_at
            span = summary.started_at_span
            if span is not None:
                if self.previous is not None and span[0] < self.previous:
                    sweep.time_ordered = False
                self.previous = span[0]
            name = summary.execution_name
            if name in self.seen or _listed_kind(summary, self.graph, self.typed) is None:
                continue
            if span is None or self.windows.overlaps(span):
                self.seen.add(name)  # a listing in overlapping windows may repeat one
                self.found.append(
                    _Listed(name, started, span, summary.execution_type, summary.graph_urn)
                )

    def _take_quick(self, sweep: ListingSweep, executions: ListedExecutions) -> None:
        """:meth:`take` on what the page reading kept of each execution (the same
        rules, the window first), without a typed summary."""
        if executions.uniform is not None:
            self._take_uniform(sweep, executions, executions.uniform)
            return
        lows, highs = self.windows.bounds  # WindowSet.overlaps, inline
        sweep.listed += len(executions.quick)
        previous = self.previous
        for position, (name, span, execution_type, graph_urn) in enumerate(executions.quick):
            if span is not None:
                first, last = span
                if previous is not None and first < previous:
                    sweep.time_ordered = False
                previous = self.previous = first
                at = bisect_right(lows, last) - 1
                if at < 0 or first > highs[at]:
                    continue
            if name in self.seen:
                continue
            if _kind(graph_urn, execution_type, self.graph, self.typed) is None:
                continue
            self.seen.add(name)
            started = executions.started_at(position)
            self.found.append(_Listed(name, started, span, execution_type, graph_urn))

    def _take_uniform(
        self, sweep: ListingSweep, executions: ListedExecutions, uniform: Uniform
    ) -> None:
        """:meth:`_take_quick` on a page read at once (every start time exact: its
        span is that moment): the order and the windows checked over the whole page
        first (a page of history outside every window ends there), then each
        execution the windows' outer bounds leave in doubt, by the same rules."""
        moments = uniform.moments
        sweep.listed += len(moments)
        if not moments:
            return
        previous = self.previous
        if sweep.time_ordered and (
            (previous is not None and moments[0] < previous)
            or any(map(lt, islice(moments, 1, None), moments))
        ):
            sweep.time_ordered = False  # some start time is before the one listed before it
        self.previous = moments[-1]
        lows, highs = self.windows.bounds
        if not lows:
            return  # no window: nothing is kept
        first, last = lows[0], highs[-1]
        if min(moments) > last or max(moments) < first:
            return  # the whole page outside every window
        names = uniform.names
        for position in [i for i, moment in enumerate(moments) if first <= moment <= last]:
            moment = moments[position]
            at = bisect_right(lows, moment) - 1  # WindowSet.overlaps((moment, moment))
            if at < 0 or moment > highs[at]:
                continue
            name = names[position]
            if name in self.seen:
                continue
            item = executions.raw(position)
            execution_type, graph_urn = item.get("execution_type"), item.get("graph_urn")
            if _kind(graph_urn, execution_type, self.graph, self.typed) is None:
                continue
            self.seen.add(name)
            self.found.append(_Listed(name, moment, (moment, moment), execution_type, graph_urn))


@dataclass(slots=True)
class _Paging:
    """Where a sweep has been: the cursors it followed and the last page's names."""

    cursors: set[object] = field(default_factory=set)
    last_page: list[str] = field(default_factory=list)

    def more(self, sweep: ListingSweep, page: SettlePage) -> bool:
        """Whether the sweep reads on after ``page``; if not, ``sweep`` says why
        (``complete``, or an ``error``)."""
        names = page_names(page.executions)
        repeated = bool(names) and names == self.last_page
        self.last_page = [] if page.fresh else names
        cursor = page.next_cursor
        if cursor is None or cursor == "":
            if page.truncated:
                sweep.error = "the listing is truncated but gave no next cursor"
                return False
            if repeated:
                sweep.error = "a page repeated the one before it"
                return False
            sweep.complete = True
            return False
        if cursor in self.cursors:
            sweep.error = "the listing gave a cursor it had given before (a cycle)"
            return False
        if repeated:
            sweep.error = "a page repeated the one before it (the cursor was ignored)"
            return False
        self.cursors.add(cursor)
        return True


def _candidates(
    graph: str,
    found: Iterable[_Listed],
    details: Mapping[str, DetailFacts | None],
    typed: bool,
) -> list[Candidate]:
    """The kept executions with the object their input names (``None``: unread or
    none); an undated listing entry takes its details' ``started_at``. Details that
    show a trigger or another graph drop the execution; details that name another
    execution are not its own (read as none)."""
    candidates: list[Candidate] = []
    for listed in found:
        detail = details.get(listed.name)
        if detail is not None and detail.execution_name not in (None, listed.name):
            detail = None  # the answer names another execution: unread
        started, span = listed.started_at, listed.span
        kind: Kind = "api"
        named = None
        if detail is not None:
            named = input_targets(detail.input)
            if started is None or span is None:
                started, span = detail.started_at, detail.started_at_span
            kind = kind_of(
                listed.execution_type,
                detail.execution_type,
                detail.created_by,
                typed_listing=typed,
            )
            relation = graph_relation(graph, listed.graph_urn, detail.graph_urn)
            if relation == "other" or kind == "trigger":
                continue
            if relation == "unclear":
                kind = "unknown"
        else:
            kind = _kind(listed.graph_urn, listed.execution_type, graph, typed) or "unknown"
        target = None if named is None else (named.bucket, named.key)
        if span is None:
            started = None  # unreadable: not a moment to place in a window
        candidates.append(Candidate(listed.name, started, target, span, kind, named))
    return candidates
