"""Settling on the v3 API: how a sweep reads the listing, window by window, and one
execution."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..._batch.settle_detail import DetailFacts, detail_reader
from ..._batch.settle_filter import page_reader
from ..._core.options import RequestOptions
from ..._core.protocols import SettlePage
from ..models import DwrExecutionDetail, DwrExecutionPage, DwrExecutionSummary
from ..project import DwrCalls
from ..rules import cursor_int
from .executions import (
    EXECUTION_WINDOW,
    MAX_EXECUTIONS_PAGE,
    execution_spec,
    list_spec,
    read_execution,
)

if TYPE_CHECKING:
    pass

SETTLE_SKEW = timedelta(minutes=15)
"""How far a settle sweep reads beyond the items' windows: the clock skew the gateway
tolerates (``APIGW.0303`` beyond it), since the offset is known only after one answer."""


_read_listing = page_reader(DwrExecutionPage, DwrExecutionSummary)
"""A listing page as a sweep reads it: typed summaries only where needed."""
_read_facts = detail_reader(DwrExecutionDetail)
"""An execution's details as a settle sweep reads them: the typed model only where needed."""


class DwrLister:
    """A :class:`~obs_workflow_async._core.protocols.Lister` over the v3 listing."""

    __slots__ = ("_dwr",)

    typed_listing = False
    reach: timedelta | None = SETTLE_SKEW

    def __init__(self, dwr: DwrCalls) -> None:
        self._dwr = dwr

    async def page(
        self,
        graph: str,
        cursor: object,
        span: tuple[datetime, datetime],
        options: RequestOptions,
    ) -> SettlePage:
        """A settle sweep over v3: ``span`` widened by :data:`SETTLE_SKEW` (the clock
        offset is known only after the first answer) and cut into windows of at most
        :data:`EXECUTION_WINDOW`, each read page by page (200); the cursor is
        ``(window start, offset)``. Every execution listed is handed on (the sweep
        tells API starts from trigger ones, in any spelling).

        A window ends on a page with no ``next_offset`` that does not say it is
        truncated, or on an empty page that says ``is_truncated: false``; a
        ``next_offset`` is followed whatever ``is_truncated`` says (the sweep stops
        on a cycle), but never past the page's end: executions are counted from
        offset 1, so a ``next_offset`` beyond ``offset + len(page)`` is cut to it."""
        low, high = span[0] - SETTLE_SKEW, span[1] + SETTLE_SKEW
        start, offset = cursor if isinstance(cursor, tuple) else (low, None)
        end = min(start + EXECUTION_WINDOW, high)
        spec = list_spec(self._dwr, graph, None, start, end, offset, MAX_EXECUTIONS_PAGE)
        page, items = await self._dwr.request(spec, _read_listing, options)
        flag = page.is_truncated
        raw = page.next_offset if page.next_offset is not None else page.next_marker
        if raw is not None and not (flag is False and not items):
            number = cursor_int(raw)
            if number is not None:
                # Offsets count listed executions from 1: a next_offset past this
                # page's end would skip executions never read (one started there
                # would be judged not started). Read on from the page's end instead;
                # an empty page then repeats its own offset (a cycle: incomplete).
                number = min(number, (1 if offset is None else offset) + len(items))
            nxt = None if number is None else (start, number)
            return SettlePage(items, page.headers, True, nxt)
        if flag:
            return SettlePage(items, page.headers, True, None)  # truncated, no cursor
        if end < high:
            return SettlePage(items, page.headers, True, (end, None), fresh=True)
        return SettlePage(items, page.headers, False, None)

    async def detail(
        self, graph: str, execution_name: str, options: RequestOptions
    ) -> DwrExecutionDetail:
        return await read_execution(self._dwr, graph, execution_name, options)

    async def detail_facts(
        self, graph: str, execution_name: str, options: RequestOptions
    ) -> DetailFacts:
        spec = execution_spec(self._dwr, graph, execution_name)
        return await self._dwr.request(spec, _read_facts, options)
