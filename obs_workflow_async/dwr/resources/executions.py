"""Executions (v3): start, list (one window page, or every window), get, restore."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..._core.answers import read_model
from ..._core.client import CoreClient
from ..._core.options import RequestOptions
from ..._core.paging import check_max_items, follow_pages, page_size_or_max
from ..._core.protocols import Starter
from ..._pipeline import RawResponse, RequestSpec
from ...errors import ErrorDetail, InvalidRequestError
from .. import _refs
from ..project import DwrCalls
from ..rules import checked, cursor_int, execution

if TYPE_CHECKING:
    from pydantic import JsonValue
    from typing_extensions import Unpack

    from ...models import RestoreExecutionResult, StartWorkflowResult
    from ...models._executions import ExecutionSummary
    from ..models import (
        DwrExecutionDetail,
        DwrExecutionPage,
        DwrExecutionSummary,
    )

EXECUTION_WINDOW = timedelta(days=3)
"""The widest execution time window the service answers for (its default span)."""
MAX_EXECUTIONS_PAGE = 200


def start_spec(dwr: DwrCalls) -> Callable[[object, object, object, object], RequestSpec]:
    """The v3 ``execute`` spec of raw start arguments, validated (nothing sent if one
    breaks a rule), for the shared :class:`~obs_workflow_async._core.starts.Starts`."""

    def spec(graph_name: object, bucket: object, object_key: object, inputs: object) -> RequestSpec:
        graph, body = _refs.start_parts(graph_name, bucket, object_key, inputs)
        return dwr.start_spec(graph, body)

    return spec


def execution_call(
    dwr: DwrCalls, graph_name: str, execution_name: str
) -> tuple[RequestSpec, Callable[[RawResponse], DwrExecutionDetail]]:
    """``show_workflow_instance``'s spec and reader (the names checked: nothing sent if
    one breaks a rule); a detail without ``execution_name`` takes the name asked for
    (the SDK keeps it)."""
    spec = execution_spec(dwr, graph_name, execution_name)  # checks the name
    name = execution_name
    read = read_model(_refs.DwrExecutionDetail)

    def read_named(raw: RawResponse) -> DwrExecutionDetail:
        detail = read(raw)
        if not detail.execution_name:
            detail = detail.model_copy(update={"execution_name": name})
        return detail

    return spec, read_named


def execution_spec(dwr: DwrCalls, graph_name: str, execution_name: str) -> RequestSpec:
    """``show_workflow_instance``'s spec (the names checked: nothing sent if one breaks
    a rule)."""
    graph = checked("graph_name", graph_name)
    name = execution(execution_name)
    return dwr.spec(
        "GET", f"workflows/{graph}/workflowexecution/{name}", "get_execution", graph_name=graph
    )


async def read_execution(
    dwr: DwrCalls, graph_name: str, execution_name: str, options: RequestOptions
) -> DwrExecutionDetail:
    """``show_workflow_instance`` (:func:`execution_call`)."""
    spec, read = execution_call(dwr, graph_name, execution_name)
    return await dwr.request(spec, read, options)


async def list_page(
    dwr: DwrCalls,
    graph_name: str,
    state: str | None,
    start_time: datetime | None,
    end_time: datetime | None,
    offset: int | None,
    limit: int | None,
    options: RequestOptions,
) -> DwrExecutionPage:
    """``list_workflow_instance``: one page of one time window, arguments checked."""
    spec = list_spec(dwr, graph_name, state, start_time, end_time, offset, limit)
    return await dwr.request(spec, read_model(_refs.DwrExecutionPage), options)


def list_spec(
    dwr: DwrCalls,
    graph_name: str,
    state: str | None,
    start_time: datetime | None,
    end_time: datetime | None,
    offset: int | None,
    limit: int | None,
) -> RequestSpec:
    """:func:`list_page`'s request, its arguments checked."""
    wire_status = None
    if state is not None:
        try:
            wire_status = _refs.v3_state(state)
        except ValueError as exc:
            raise InvalidRequestError([ErrorDetail("state", str(exc))]) from None
    req = _refs.validate_request(
        _refs.DwrListExecutionsRequest,
        graph_name=graph_name,
        limit=limit,
        offset=offset,
        start_time=start_time,
        end_time=end_time,
        status=wire_status,
    )
    return dwr.spec(
        "GET",
        "workflowexecutions",
        "list_executions",
        query=req.query(),
        graph_name=req.graph_name,
    )


class ExecutionsMethods:
    """``/workflows/{graph}/execute`` and ``/workflowexecutions``."""

    _dwr: DwrCalls
    _core: CoreClient
    _starter: Starter

    async def start_workflow(
        self,
        graph_name: str,
        bucket: str,
        object_key: str,
        inputs: Mapping[str, JsonValue] | None = None,
        **options: Unpack[RequestOptions],
    ) -> StartWorkflowResult:
        """``async_invoke_api_start_workflow``: ``POST /workflows/{g}/execute``.

        Not idempotent: an attempt that may have reached the service is not retried
        (unless ``retry_non_idempotent``); the error then says ``may_have_started``.

        :param graph_name: The workflow to start (its name).
        :param bucket: The bucket of the object the execution works on.
        :param object_key: The object's key in ``bucket``.
        :param inputs: Workflow parameters by name (JSON values); ``None``: none.
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises ProjectIdError: No project id and none could be discovered.
        :raises DiscoveryError: The IAM discovery of the project id failed (nothing was
            sent to DWR).
        :raises APIStatusError: The service answered an error, after the retries.
        :raises TransportError: No complete answer; :func:`~.may_have_started` tells
            whether the start may have happened.
        """
        return await self._starter.start(graph_name, bucket, object_key, inputs, options)

    async def list_executions(
        self,
        graph_name: str,
        *,
        state: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        offset: int | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> DwrExecutionPage:
        """``list_workflow_instance``: one page of one time window (the service's
        default: the last 3 days); ``limit`` at most 200; ``state`` (the query's
        ``status``) one of ``success``, ``fail``, ``running``, ``timeout``, ``cancel``
        (or the v2 spelling: ``SUCCESS``, ``FAILED``, ``RUNNING``).

        :param graph_name: The workflow's name.
        :param state: Keep only executions in this state (``success``, ``fail``,
            ``running``, ``timeout``, ``cancel``, or the v2 spelling).
        :param start_time: The window's start (an aware ``datetime``).
        :param end_time: The window's end (at most 3 days after ``start_time``).
        :param offset: Where the page starts, as the previous page's ``next_offset``
            gave it; ``None``: the first page.
        :param limit: Items per page, 1-200 (default: the service's).
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        return await list_page(
            self._dwr, graph_name, state, start_time, end_time, offset, limit, options
        )

    async def iter_executions(
        self,
        graph_name: str,
        *,
        state: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        window: timedelta = EXECUTION_WINDOW,
        page_size: int | None = None,
        max_items: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncIterator[ExecutionSummary]:
        """Every execution started in ``[since, until]`` (default: the last 3 days),
        oldest window first: the span is cut into windows of at most ``window``, each
        followed page by page (at most 200 per page). Windows share their boundary
        second, so an execution started on it is yielded once (by name). ``state`` as
        for :meth:`list_executions`; ``page_size`` default: 200 (the most a page
        holds), or ``max_items`` if fewer; ``max_items=0``: nothing, nothing sent.

        :param graph_name: The workflow's name.
        :param state: Keep only executions in this state (as for :meth:`list_executions`).
        :param since: The span's start (an aware ``datetime``); ``None``: 3 days before
            ``until``.
        :param until: The span's end; ``None``: now.
        :param window: The widest window one listing covers (at most 3 days).
        :param page_size: Items per request, 1-200.
        :param max_items: Stop after this many items (``0``: none, nothing sent);
            ``None``: all.
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule, ``since`` is after
            ``until`` or ``window`` is not positive (nothing sent).
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        :raises ResponseParseError: The service said the list goes on but gave no usable
            offset (or sent the same page again).
        """
        since, until = _execution_span(self._core.runtime.wall_clock(), since, until, window)
        check_max_items(max_items)
        if max_items == 0:
            return
        size = page_size_or_max(page_size, max_items, MAX_EXECUTIONS_PAGE)
        walk = self._walk_executions(graph_name, state, since, until, window, size, options)
        yielded = 0
        try:
            async for item in walk:
                yield item
                yielded += 1
                if max_items is not None and yielded >= max_items:
                    return
        finally:
            await walk.aclose()

    async def _walk_executions(
        self,
        graph_name: str,
        state: str | None,
        since: datetime,
        until: datetime,
        window: timedelta,
        size: int,
        options: RequestOptions,
    ) -> AsyncGenerator[ExecutionSummary, None]:
        """:meth:`iter_executions`' windows and pages, arguments checked."""
        seen_at_edge: set[str] = set()
        start = since
        while True:
            end = min(start + window, until)
            edge: set[str] = set()

            async def page(
                offset: int | None, start: datetime = start, end: datetime = end
            ) -> tuple[list[DwrExecutionSummary], bool, int | None]:
                got = await self.list_executions(
                    graph_name,
                    state=state,
                    start_time=start,
                    end_time=end,
                    offset=offset,
                    limit=size,
                    **options,
                )
                return got.executions, *_window_cursor(got)

            pages = follow_pages(page, None, "next_offset", _name)
            try:
                async for item in pages:
                    if item.execution_name in seen_at_edge:
                        continue
                    if _started_at_edge(item, end):
                        edge.add(item.execution_name)
                    yield item
            finally:
                await pages.aclose()
            if end >= until:
                return
            seen_at_edge = edge
            start = end

    async def get_execution(
        self, graph_name: str, execution_name: str, **options: Unpack[RequestOptions]
    ) -> DwrExecutionDetail:
        """``show_workflow_instance`` (either documented shape; see :class:`DwrExecutionDetail`).

        :param graph_name: The workflow's name.
        :param execution_name: The execution's name (as the start returned it).
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises NotFoundError: No such workflow or execution.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        return await read_execution(self._dwr, graph_name, execution_name, options)

    async def restore_execution(
        self, graph_name: str, execution_name: str, **options: Unpack[RequestOptions]
    ) -> RestoreExecutionResult:
        """``restore_workflow_execution``: ``POST .../{e}/retry`` (resumes a failed execution).
        An answer without ``execution_name`` takes the name asked for (the SDK keeps it).

        :param graph_name: The workflow's name.
        :param execution_name: The failed execution to resume.
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises NotFoundError: No such workflow or execution.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        g = checked("graph_name", graph_name)
        e = execution(execution_name)
        spec = self._dwr.spec(
            "POST", f"workflows/{g}/workflowexecution/{e}/retry", "restore_execution", graph_name=g
        )
        restored = await self._dwr.request(spec, read_model(_refs.DwrRestoreResult), options)
        if not restored.execution_name:
            restored = restored.model_copy(update={"execution_name": e})
        return restored


def _execution_span(
    now: datetime, since: datetime | None, until: datetime | None, window: timedelta
) -> tuple[datetime, datetime]:
    """``iter_executions``' span (default: the 3 days up to ``until``, itself default now),
    checked along with ``window``."""
    until = until or now
    since = since or (until - EXECUTION_WINDOW)
    if since > until:
        raise InvalidRequestError([ErrorDetail("since", "must not be after until")])
    if window <= timedelta(0):
        raise InvalidRequestError([ErrorDetail("window", "must be positive")])
    return since, until


def _started_at_edge(item: ExecutionSummary, end: datetime) -> bool:
    """Started on a window's closing second (the next window lists it again)."""
    if item.started_at is None:
        return False
    return item.started_at.replace(microsecond=0) >= end.replace(microsecond=0)


def _name(item: ExecutionSummary) -> str:
    return item.execution_name


def _window_cursor(page: DwrExecutionPage) -> tuple[bool, int | None]:
    """Whether a window's listing goes on after ``page``, and at which offset (the
    pager raises for a truncated page without a usable one, or one already followed).

    A ``next_offset`` is followed whatever ``is_truncated`` says, unless the page is
    empty and does not say it is truncated."""
    cursor = page.next_offset if page.next_offset is not None else page.next_marker
    if cursor is None and not page.is_truncated:
        return False, None
    if cursor is not None and not page.is_truncated and not page.executions:
        return False, None
    return True, cursor_int(cursor)
