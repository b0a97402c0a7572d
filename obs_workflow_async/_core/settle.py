"""Settling ambiguous starts from the service: ``find_executions``, ``settle``,
``settle_outcomes``. The verdict rules are in :mod:`..batch.settle`; see
``docs/settling.md`` for what they can and cannot prove."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .._batch.models import StartOutcome
from .._batch.settle import (
    DEFAULT_MARGIN,
    DEFAULT_MAX_PAGES,
    DEFAULT_SETTLE_DELAY,
    ListingSweep,
    SettleItem,
    SettleResult,
    judge,
    service_window,
    verdict_for,
)
from ..errors import ErrorDetail, InvalidRequestError
from ..models import ExecutionDetail
from .client import CoreClient
from .options import RequestOptions
from .protocols import Lister
from .sweep import SweepEngine

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["DEFAULT_MAX_PAGES", "ExecutionLookup", "SettleMethods", "SettleReport"]


@dataclass(frozen=True, slots=True)
class ExecutionLookup:
    """What :meth:`~obs_workflow_async.AsyncWorkflowClient.find_executions` found for one object."""

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


class SettleMethods:
    """Find the executions an ambiguous start may have made, and settle it.

    The sweep, the windows and the verdicts are the same for every API version; the
    client's ``_lister`` (its API's :class:`~.protocols.Lister`) reads one listing page
    and one execution's details.
    """

    _core: CoreClient
    _lister: Lister

    def _now(self) -> datetime:
        """This machine's clock, as the client's :class:`~obs_workflow_async.Runtime`
        reads it (``wall_clock``)."""
        return self._core.runtime.wall_clock()

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
        sweep, details = await SweepEngine(self._lister, self._now).graph(
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
            sweep, details = await SweepEngine(self._lister, self._now).graph(
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
