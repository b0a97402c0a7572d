"""Settling ambiguous starts from the service: ``find_executions``, ``settle``,
``settle_outcomes``. The verdict rules are in :mod:`..batch.settle`; see
``docs/settling.md`` for what they can and cannot prove."""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from .._base_client import BaseClient, RequestOptions
from .._batch.models import StartOutcome
from .._batch.settle import (
    DEFAULT_MARGIN,
    DEFAULT_MAX_PAGES,
    DEFAULT_SETTLE_DELAY,
    Candidate,
    ListingSweep,
    SettleItem,
    SettleResult,
    WindowSet,
    clock_offset,
    judge,
    service_window,
    verdict_for,
)
from .._batch.settle_filter import ListedExecutions, page_names, read_page
from .._batch.settle_match import Kind, graph_relation, input_targets, kind_of
from .._pipeline import RawResponse
from ..errors import ErrorDetail, InvalidRequestError, ObsWorkflowError
from ..models import (
    ExecutionDetail,
    ExecutionPage,
    ExecutionSummary,
    ExecutionType,
    ListExecutionsRequest,
    validate_request,
)
from .executions import ExecutionsAPI, list_executions_spec
from .paging import MAX_PAGE_SIZE

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["ExecutionLookup", "SettleAPI", "SettleCore", "SettlePage", "SettleReport"]


@dataclass(frozen=True, slots=True)
class ExecutionLookup:
    """What :meth:`SettleAPI.find_executions` found for one object."""

    executions: tuple[ExecutionDetail, ...]
    """API executions of the graph started in the window whose input names the object
    (oldest first)."""
    undecided: tuple[str, ...]
    """Executions that may be this object's start but do not prove it: in the window
    with an input (or details call) naming no object, or one merely similar to it;
    naming it but with a start time that may lie outside the window, or a type or
    graph spelling settling does not know."""
    complete: bool
    """The listing was read to an explicit end (the service documents no time order,
    so a lookup always sweeps the whole listing; a cursor cycle or the page cap
    leave it ``False``)."""
    pages: int
    listed: int
    time_ordered: bool
    """Whether the pages happened to come in start-time order (informational only)."""


@dataclass(slots=True)
class SettleReport:
    """The verdicts of one settle pass (``results`` in the order the items came) and
    what it cost."""

    results: list[SettleResult] = field(default_factory=list)
    sweeps: dict[str, ListingSweep] = field(default_factory=dict)
    """One listing sweep per graph."""
    detail_requests: int = 0
    waited: float = 0.0
    """Seconds spent waiting for ``settle_delay`` before listing."""

    @property
    def list_requests(self) -> int:
        """Listing pages fetched, summed over every graph swept."""
        return sum(sweep.pages for sweep in self.sweeps.values())

    def counts(self) -> dict[str, int]:
        """How many items got each verdict, plus ``duplicate``."""
        out = {"started": 0, "not_started": 0, "unknown": 0, "duplicate": 0}
        for result in self.results:
            out[result.verdict] += 1
            out["duplicate"] += result.duplicate
        return out


def _check_items(items: Sequence[SettleItem]) -> None:
    for position, item in enumerate(items):
        if not isinstance(item, SettleItem):
            raise InvalidRequestError([ErrorDetail("items", "settle() takes SettleItem values")])
        if item.since.tzinfo is None or (item.until is not None and item.until.tzinfo is None):
            raise InvalidRequestError(
                [ErrorDetail(f"items[{position}]", "since/until must be aware datetimes")]
            )
        if item.until is not None and item.until < item.since:
            raise InvalidRequestError([ErrorDetail(f"items[{position}]", "until is before since")])


def _positive_int(name: str, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise InvalidRequestError([ErrorDetail(name, "must be a positive integer")])


def _seconds(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise InvalidRequestError([ErrorDetail(name, "must be a number of seconds >= 0")])


class SettlePage(NamedTuple):
    """One page of a graph's API-started executions, as a settle sweep reads it."""

    executions: Sequence[ExecutionSummary]
    headers: Mapping[str, str]
    """The answer's headers (its ``Date`` sets the service's clock offset)."""
    truncated: bool
    """The page said the listing goes on. A sweep reads on whenever ``next_cursor`` is
    set, and ends complete only on a page with neither."""
    next_cursor: object
    """What to pass back for the next page (``None``: there is none to use)."""
    fresh: bool = False
    """The *next* page begins another listing (v3: the next time window): it is not
    compared with this one for a repeat."""


class SettleCore(BaseClient):
    """Find the executions an ambiguous start may have made, and settle it.

    The sweep, the windows and the verdicts are the same for every API version; a
    client says how to read one listing page (:meth:`_settle_page`) and one
    execution's details (:meth:`_settle_detail`).
    """

    _settle_typed_listing: ClassVar[bool] = False
    """Whether :meth:`_settle_page` asks the service for API starts only (then an
    execution listed without a type is one)."""

    async def _settle_page(
        self,
        graph: str,
        cursor: object,
        span: tuple[datetime, datetime],
        options: RequestOptions,
    ) -> SettlePage:
        """The page at ``cursor`` (``None``: the first) of ``graph``'s API executions;
        ``span`` (this machine's clock) covers every window being settled."""
        raise NotImplementedError

    async def _settle_detail(
        self, graph: str, execution_name: str, options: RequestOptions
    ) -> ExecutionDetail:
        """One execution's details (its input names the bucket and object)."""
        raise NotImplementedError

    def _now(self) -> datetime:
        """This machine's clock, as the client's :class:`~obs_workflow_async.Runtime`
        reads it (``wall_clock``)."""
        return self._runtime.wall_clock()

    async def find_executions(
        self,
        graph_name: str,
        bucket: str,
        object_key: str,
        *,
        since: datetime,
        until: datetime | None = None,
        margin: float = DEFAULT_MARGIN,
        concurrency: int = 16,
        max_pages: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> ExecutionLookup:
        """The API executions of ``graph_name`` for ``bucket``/``object_key`` started
        between ``since`` and ``until`` (this machine's clock, aware datetimes;
        ``until=None``: now).

        Sweeps the graph's whole ``APICALL`` listing in pages of 1000 (the service
        orders it by marker, not by time), keeps the executions whose ``started_at``
        falls in the window (shifted by the offset the service's ``Date`` answers
        show, widened by ``margin`` seconds), fetches their details (at most
        ``concurrency`` at once) and matches ``execution_info.input`` on bucket and
        object. Executions whose input names no object are returned in
        ``undecided``: the lookup cannot rule them out.

        :param graph_name: The workflow the start was sent to.
        :param bucket: The bucket of the start.
        :param object_key: The object's key of the start.
        :param since: A moment before the start was sent (an aware ``datetime``,
            this machine's clock).
        :param until: A moment after its answer (or failure); ``None``: now.
        :param margin: Seconds added on both sides of the window (clock skew).
        :param concurrency: Detail requests at once, at most.
        :param max_pages: Listing pages at most; ``None``: :data:`DEFAULT_MAX_PAGES`
            (a cut sweep is not ``complete``).
        :param options: Per-call overrides
            (:class:`~.base_client.RequestOptions`): ``timeout``,
            ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``.
        :returns: The matching executions, the ``undecided`` ones, and whether
            the sweep was complete.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: The service answered an error
            (:class:`NotFoundError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout), after
            the retries.
        """
        item = SettleItem(graph_name, bucket, object_key, since, until)
        _check_items([item])
        sweep, details = await self._settle_graph(
            graph_name, [item], self._now(), margin, concurrency, max_pages, options
        )
        window = service_window(item, self._now(), sweep.offset, margin)
        proofs, _ = judge(item, window, sweep.candidates)
        found = [d for c in proofs if (d := details.get(c.execution_name)) is not None]
        proven = {c.execution_name for c in proofs}
        undecided = [
            c.execution_name
            for c in sweep.candidates
            if c.execution_name not in proven and judge(item, window, [c])[1]
        ]
        return ExecutionLookup(
            tuple(found),
            tuple(undecided),
            sweep.complete,
            sweep.pages,
            sweep.listed,
            sweep.time_ordered,
        )

    async def settle(
        self,
        items: Iterable[SettleItem],
        *,
        settle_delay: float = DEFAULT_SETTLE_DELAY,
        margin: float = DEFAULT_MARGIN,
        concurrency: int = 16,
        max_pages: int | None = None,
        wait: bool = True,
        **options: Unpack[RequestOptions],
    ) -> SettleReport:
        """Settle many ambiguous starts: ``started``, ``not_started`` or ``unknown``
        each (see :class:`~obs_workflow_async._batch.settle.SettleResult`).

        One listing sweep per graph, shared by all its items; details fetched once per
        execution in any item's window, at most ``concurrency`` requests at once.
        ``not_started`` needs the sweep to begin ``settle_delay`` seconds after the
        item's ``until`` (listings may lag behind starts): with ``wait`` (default)
        the pass first sleeps until then (until ``settle_delay`` seconds past the
        latest ``until``, and never more than ``settle_delay`` seconds: an ``until``
        ahead of now is a clock stepped since the run, see ``SettleItem.offsets``;
        items without ``until`` count from now). ``max_pages`` bounds each sweep
        (default :data:`DEFAULT_MAX_PAGES`; items a cut sweep cannot clear stay
        ``unknown``).

        :param items: The ambiguous starts (:class:`~.SettleItem`: graph, bucket, key,
            inputs, and the time window the start was sent in).
        :param settle_delay: Seconds after an item's ``until`` before a listing may say
            ``not_started`` (listings lag behind starts).
        :param margin: Seconds added on both sides of each item's window (clock skew).
        :param concurrency: Requests at once, at most.
        :param max_pages: Listing pages per graph, at most; ``None``:
            :data:`DEFAULT_MAX_PAGES` (10,000).
        :param wait: Sleep until ``settle_delay`` has passed (default; never more than
            ``settle_delay`` seconds); ``False``: settle now (recent items may stay
            ``unknown``).
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :returns: One :class:`~.SettleResult` per item, and what the pass cost.
        :raises InvalidRequestError: An item or an argument breaks a rule (nothing sent).
        :raises APIStatusError: A listing or a detail was answered with an error.
        :raises TransportError: A listing or a detail got no complete answer.
        """
        listed = list(items)
        _check_items(listed)
        _seconds("settle_delay", settle_delay)
        _seconds("margin", margin)
        _positive_int("concurrency", concurrency)
        _positive_int("max_pages", max_pages)
        report = SettleReport()
        if not listed:
            return report
        now = self._now()
        if wait:
            latest = max(item.until or now for item in listed)
            # never more than settle_delay: an "until" further ahead is a clock stepped
            # since the run, which the verdicts check on the service's clock
            ahead = (latest + timedelta(seconds=settle_delay) - now).total_seconds()
            pause = min(ahead, settle_delay)
            if pause > 0:
                await asyncio.sleep(pause)
                report.waited = pause
        default_until = now
        by_graph: dict[str, list[SettleItem]] = defaultdict(list)
        for item in listed:
            by_graph[item.graph_name].append(item)
        limit = asyncio.Semaphore(concurrency)
        details_used = [0]

        async def one_graph(graph: str) -> None:
            sweep, details = await self._settle_graph(
                graph,
                by_graph[graph],
                default_until,
                margin,
                concurrency,
                max_pages,
                options,
                limit,
            )
            report.sweeps[graph] = sweep
            details_used[0] += len(details)

        await asyncio.gather(*(one_graph(graph) for graph in by_graph))
        report.detail_requests = details_used[0]
        pairs = {
            g: frozenset((i.bucket, i.object_key) for i in group) for g, group in by_graph.items()
        }
        for item in listed:
            sweep = report.sweeps[item.graph_name]
            window = service_window(item, default_until, sweep.offset, margin)
            report.results.append(
                verdict_for(
                    item,
                    window,
                    sweep,
                    default_until=default_until,
                    settle_delay=settle_delay,
                    others=pairs[item.graph_name],
                )
            )
        return report

    async def settle_outcomes(
        self,
        outcomes: Iterable[StartOutcome],
        *,
        since: datetime,
        until: datetime | None = None,
        settle_delay: float = DEFAULT_SETTLE_DELAY,
        margin: float = DEFAULT_MARGIN,
        concurrency: int = 16,
        max_pages: int | None = None,
        wait: bool = True,
        **options: Unpack[RequestOptions],
    ) -> SettleReport:
        """Settle the ambiguous outcomes of a :meth:`start_many` run.

        ``since``: a moment before the run sent anything (take
        ``datetime.now(timezone.utc)`` before starting it); ``until``: a moment after
        its last outcome (default: now). Outcomes that are not
        :attr:`~obs_workflow_async.StartOutcome.ambiguous` are left out; each result's
        ``item.key`` is its :class:`StartOutcome`.

        :param outcomes: The run's outcomes (:class:`StartOutcome`); only the
            ambiguous ones are settled.
        :param since: A moment before the run sent anything (an aware
            ``datetime``).
        :param until: A moment after its last outcome; ``None``: now.
        :param settle_delay: Seconds after ``until`` before a listing may say
            ``not_started``.
        :param margin: Seconds added on both sides of the window (clock skew).
        :param concurrency: Requests at once, at most.
        :param max_pages: Listing pages per graph, at most; ``None``:
            :data:`DEFAULT_MAX_PAGES` (10,000).
        :param wait: Sleep until ``settle_delay`` has passed (default);
            ``False``: settle now.
        :param options: Per-call overrides
            (:class:`~.base_client.RequestOptions`): ``timeout``,
            ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``.
        :returns: One :class:`~.SettleResult` per ambiguous outcome (its
            ``item.key`` is the outcome).
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: The service answered an error
            (:class:`NotFoundError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout), after
            the retries.
        """
        items = [
            SettleItem(
                outcome.request.graph_name,
                outcome.request.bucket,
                outcome.request.object_key,
                since,
                until,
                key=outcome,
            )
            for outcome in outcomes
            if outcome.ambiguous and outcome.request is not None
        ]
        return await self.settle(
            items,
            settle_delay=settle_delay,
            margin=margin,
            concurrency=concurrency,
            max_pages=max_pages,
            wait=wait,
            **options,
        )

    async def _settle_graph(
        self,
        graph: str,
        items: Sequence[SettleItem],
        default_until: datetime,
        margin: float,
        concurrency: int,
        max_pages: int | None,
        options: RequestOptions,
        limit: asyncio.Semaphore | None = None,
    ) -> tuple[ListingSweep, dict[str, ExecutionDetail | None]]:
        """One sweep of ``graph``'s API listing, then the details of every execution in
        any item's window (each fetched once)."""
        gate = limit or asyncio.Semaphore(concurrency)
        sweep = ListingSweep(graph, self._now())
        found = await self._sweep_listing(
            sweep, items, default_until, margin, max_pages, gate, options
        )
        details = await self._settle_details(graph, [f.name for f in found], gate, options)
        sweep.candidates.extend(_candidates(graph, found, details, self._settle_typed_listing))
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
                    page = await self._settle_page(sweep.graph_name, cursor, span, options)
            except ObsWorkflowError as error:
                sweep.error = f"{type(error).__name__}: {error}"
                break
            sweep.pages += 1
            if kept is None:  # the first page's Date sets the clock offset
                windows = _service_windows(
                    sweep, page, (sent, self._now()), items, default_until, margin
                )
                kept = _InWindows(windows, sweep.graph_name, self._settle_typed_listing)
            kept.take(sweep, page.executions)
            if not paging.more(sweep, page):
                break
            cursor = page.next_cursor
        return [] if kept is None else kept.found

    async def _settle_details(
        self, graph: str, names: Iterable[str], gate: asyncio.Semaphore, options: RequestOptions
    ) -> dict[str, ExecutionDetail | None]:
        """Each named execution's details, fetched once (``None``: the call failed)."""
        details: dict[str, ExecutionDetail | None] = {}

        async def fetch(name: str) -> None:
            async with gate:
                try:
                    details[name] = await self._settle_detail(graph, name, options)
                except ObsWorkflowError:
                    details[name] = None  # unread input: "unknown" for its windows

        await asyncio.gather(*(fetch(name) for name in dict.fromkeys(names)))
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
    details: Mapping[str, ExecutionDetail | None],
    typed: bool,
) -> list[Candidate]:
    """The kept executions with the object their input names (``None``: unread or
    none); an undated listing entry takes its details' ``started_at``. Details that
    show a trigger or another graph drop the execution."""
    candidates: list[Candidate] = []
    for listed in found:
        detail = details.get(listed.name)
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
                getattr(detail, "created_by", None),
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


class SettleAPI(SettleCore, ExecutionsAPI):
    """Settling on the v2 API: the ``APICALL`` listing by marker, pages of 1000."""

    _settle_typed_listing: ClassVar[bool] = True

    async def _settle_page(
        self,
        graph: str,
        cursor: object,
        span: tuple[datetime, datetime],
        options: RequestOptions,
    ) -> SettlePage:
        marker = cursor if isinstance(cursor, str) else None
        request = validate_request(
            ListExecutionsRequest,
            graph_name=graph,
            execution_type=ExecutionType.APICALL,
            next_marker=marker,
            limit=MAX_PAGE_SIZE,
        )
        raw = await self._request(list_executions_spec(request), RawResponse, options)
        page, executions = read_page(raw, ExecutionPage, ExecutionSummary)
        return SettlePage(executions, page.headers, page.is_truncated, page.next_marker or None)

    async def _settle_detail(
        self, graph: str, execution_name: str, options: RequestOptions
    ) -> ExecutionDetail:
        return await self.get_execution(graph, execution_name, **options)
