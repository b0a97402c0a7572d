"""Settling on the v2 API: how a sweep reads the listing and one execution."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..._batch.settle_detail import DetailFacts, detail_reader
from ..._batch.settle_filter import page_reader
from ..._core.answers import read_model
from ..._core.client import CoreClient
from ..._core.options import RequestOptions
from ..._core.paging import MAX_PAGE_SIZE
from ..._core.protocols import SettlePage
from ...models import (
    ExecutionDetail,
    ExecutionPage,
    ExecutionSummary,
    ExecutionType,
    ListExecutionsRequest,
    validate_request,
)
from .executions import execution_spec, list_executions_spec

__all__ = ["V2Lister"]


_read_listing = page_reader(ExecutionPage, ExecutionSummary)
"""A listing page as a sweep reads it: typed summaries only where needed."""
_read_facts = detail_reader(ExecutionDetail)
"""An execution's details as a settle sweep reads them: the typed model only where needed."""


class V2Lister:
    """Settling on the v2 API (a :class:`~obs_workflow_async._core.protocols.Lister`):
    the ``APICALL`` listing by marker, pages of 1000."""

    __slots__ = ("_core",)

    typed_listing = True
    reach: timedelta | None = None

    def __init__(self, core: CoreClient) -> None:
        self._core = core

    async def page(
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
        page, executions = await self._core.request(
            list_executions_spec(request), _read_listing, options
        )
        return SettlePage(executions, page.headers, page.is_truncated, page.next_marker or None)

    async def detail(
        self, graph: str, execution_name: str, options: RequestOptions
    ) -> ExecutionDetail:
        spec = execution_spec(graph, execution_name)
        return await self._core.request(spec, read_model(ExecutionDetail), options)

    async def detail_facts(
        self, graph: str, execution_name: str, options: RequestOptions
    ) -> DetailFacts:
        spec = execution_spec(graph, execution_name)
        return await self._core.request(spec, _read_facts, options)
