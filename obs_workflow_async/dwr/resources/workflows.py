"""Workflows (v3): create, get, update, delete, list (one page or all)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, TypeVar

from ..._core.answers import read_model
from ..._core.options import RequestOptions
from ..._core.paging import follow_pages, page_size_or_max
from .. import _refs
from ..project import DwrCalls
from ..rules import as_definition, checked, cursor_int

if TYPE_CHECKING:
    from pydantic import JsonValue
    from typing_extensions import Unpack

    from ...models import OperationResult
    from ..models import (
        DwrCreateWorkflowResult,
        DwrUpdateWorkflowResult,
        DwrWorkflow,
        DwrWorkflowDefinition,
        DwrWorkflowPage,
        DwrWorkflowSummary,
    )

_I = TypeVar("_I")


class WorkflowsMethods:
    """``/v3/{project_id}/workflows``."""

    _dwr: DwrCalls

    async def create_workflow(
        self,
        graph_name: str,
        definition: DwrWorkflowDefinition | Mapping[str, JsonValue],
        **options: Unpack[RequestOptions],
    ) -> DwrCreateWorkflowResult:
        """``create_workflow``: ``POST /workflows/{graph_name}`` with the full definition.

        :param graph_name: The new workflow's name.
        :param definition: The workflow: a :class:`~.dwr.models.DwrWorkflowDefinition`
            or a plain mapping of its fields (checked before sending).
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
        g = checked("graph_name", graph_name)
        model = as_definition(_refs.DwrWorkflowDefinition, definition)
        spec = self._dwr.spec(
            "POST", f"workflows/{g}", "create_workflow", body=model.body(), graph_name=g
        )
        return await self._dwr.request(spec, read_model(_refs.DwrCreateWorkflowResult), options)

    async def get_workflow(self, graph_name: str, **options: Unpack[RequestOptions]) -> DwrWorkflow:
        """``show_workflow_info``.

        :param graph_name: The workflow's name.
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises NotFoundError: No such workflow.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        g = checked("graph_name", graph_name)
        spec = self._dwr.spec("GET", f"workflows/{g}", "get_workflow", graph_name=g)
        return await self._dwr.request(spec, read_model(_refs.DwrWorkflow), options)

    async def update_workflow(
        self,
        graph_name: str,
        *,
        parameters: Mapping[str, str],
        **options: Unpack[RequestOptions],
    ) -> DwrUpdateWorkflowResult:
        """``update_workflow``: ``PUT`` the ``parameters`` map.

        :param graph_name: The workflow's name.
        :param parameters: The workflow parameters' new values, by name.
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
        req = _refs.validate_request(
            _refs.DwrUpdateWorkflowRequest, graph_name=graph_name, parameters=dict(parameters)
        )
        spec = self._dwr.spec(
            "PUT",
            f"workflows/{req.graph_name}",
            "update_workflow",
            body=req.body(),
            graph_name=req.graph_name,
        )
        return await self._dwr.request(spec, read_model(_refs.DwrUpdateWorkflowResult), options)

    async def delete_workflow(
        self, graph_name: str, **options: Unpack[RequestOptions]
    ) -> OperationResult:
        """``delete_workflow`` (a "mark delete"; 204).

        :param graph_name: The workflow's name.
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises NotFoundError: No such workflow.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        g = checked("graph_name", graph_name)
        spec = self._dwr.spec("DELETE", f"workflows/{g}", "delete_workflow", graph_name=g)
        return await self._dwr.request(spec, _refs.read_operation, options)

    async def list_workflows(
        self,
        prefix: str | None = None,
        *,
        offset: int | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> DwrWorkflowPage:
        """``list_workflows``: one page; follow ``next_offset`` (or use :meth:`iter_workflows`).

        :param prefix: Keep only workflows whose name starts with this text.
        :param offset: Where the page starts, as the previous page's ``next_offset``
            gave it; ``None``: the first page.
        :param limit: Items per page, 1-1000 (default: the service's).
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
        req = _refs.validate_request(
            _refs.DwrListRequest, prefix=prefix, offset=offset, limit=limit
        )
        spec = self._dwr.spec("GET", "workflows", "list_workflows", query=req.query())
        return await self._dwr.request(spec, read_model(_refs.DwrWorkflowPage), options)

    async def iter_workflows(
        self,
        prefix: str | None = None,
        *,
        page_size: int | None = None,
        max_items: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncIterator[DwrWorkflowSummary]:
        """Every workflow (or the first ``max_items``; ``0``: none, nothing sent), page
        after page of ``page_size`` (default: the maximum, 1000, or ``max_items`` if
        fewer).

        :param prefix: Keep only workflows whose name starts with this text.
        :param page_size: Items per request, 1-1000.
        :param max_items: Stop after this many items (``0``: none, nothing sent);
            ``None``: all.
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
        :raises ResponseParseError: The service said the list goes on but gave no usable
            offset (or sent the same page again).
        """
        size = page_size_or_max(page_size, max_items)

        async def page(offset: int | None) -> tuple[list[DwrWorkflowSummary], bool, int | None]:
            got = await self.list_workflows(prefix, offset=offset, limit=size, **options)
            return _page(got.graphs, got.next_cursor(len(got.graphs)))

        async for item in follow_pages(page, max_items, "next offset"):
            yield item


def _page(items: list[_I], cursor: int | str | None) -> tuple[list[_I], bool, int | None]:
    """A v3 page as :func:`follow_pages` reads it: a cursor means the list goes on
    (one that is not an offset is unusable: the pager raises)."""
    return items, cursor is not None, cursor_int(cursor)
