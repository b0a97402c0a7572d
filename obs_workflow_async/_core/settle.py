"""Settling ambiguous starts from the service: ``find_executions``, ``settle``,
``settle_outcomes``. The verdict rules are in :mod:`obs_workflow_async._batch.settle`; see
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
    DEFAULT_MAX_PAGES,
    ListingSweep,
    SettleItem,
    SettleResult,
    judge,
    service_window,
    verdict_for,
)
from .._config import Runtime
from ..errors import ErrorDetail, InvalidRequestError
from ..models import ExecutionDetail
from .options import RequestOptions
from .protocols import Lister
from .sweep import SweepEngine

if TYPE_CHECKING:
    pass

__all__ = ["DEFAULT_MAX_PAGES", "ExecutionLookup", "SettleEngine", "SettleReport", "outcome_items"]


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


class SettleEngine:
    """Finds the executions an ambiguous start may have made, and settles it: the
    sweep, the windows and the verdicts, the same for every API; the API's
    :class:`~.protocols.Lister` reads one listing page and one execution's details."""

    __slots__ = ("_lister", "_runtime")

    def __init__(self, lister: Lister, runtime: Runtime) -> None:
        self._lister = lister
        self._runtime = runtime

    def _now(self) -> datetime:
        """This machine's clock, as the client's :class:`~obs_workflow_async.Runtime`
        reads it (``wall_clock``)."""
        return self._runtime.wall_clock()

    async def find(
        self,
        item: SettleItem,
        margin: float,
        concurrency: int,
        max_pages: int | None,
        options: RequestOptions,
    ) -> ExecutionLookup:
        """``find_executions`` of one item (the client's method documents it)."""
        _check_items([item])
        sweep, details = await SweepEngine(self._lister, self._now).graph_details(
            item.graph_name, [item], self._now(), margin, concurrency, max_pages, options
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
        listed: list[SettleItem],
        settle_delay: float,
        margin: float,
        concurrency: int,
        max_pages: int | None,
        wait: bool,
        options: RequestOptions,
    ) -> SettleReport:
        """``settle`` of these items (the client's method documents it)."""
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


def outcome_items(
    outcomes: Iterable[StartOutcome], since: datetime, until: datetime | None
) -> list[SettleItem]:
    """The items of a run's ambiguous outcomes (``settle_outcomes``), each keyed by its
    outcome."""
    return [
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
