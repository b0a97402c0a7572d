"""Workflows: create, get, update, delete, list (one page or all)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING

from ..._core.answers import read_model
from ..._core.client import CoreClient
from ..._core.options import RequestOptions
from ..._core.paging import follow_pages, page_size_or_max
from ..._pipeline import RequestSpec
from . import _refs

if TYPE_CHECKING:
    from pydantic import JsonValue
    from typing_extensions import Unpack

    from ...models import (
        CreateWorkflowRequest,
        CreateWorkflowResult,
        InputParameter,
        ListRequest,
        OperationResult,
        UpdateWorkflowRequest,
        UpdateWorkflowResult,
        Workflow,
        WorkflowPage,
        WorkflowSummary,
    )
    from ._names import GraphRef


__all__ = [
    "WorkflowsMethods",
    "create_workflow_spec",
    "delete_workflow_spec",
    "get_workflow_spec",
    "list_workflows_spec",
    "update_workflow_spec",
    "graph_ref",
]

WORKFLOWS = "v2/workflows"


def create_workflow_spec(request: CreateWorkflowRequest) -> RequestSpec:
    return RequestSpec(
        "POST",
        f"{WORKFLOWS}/{request.graph_name}",
        (("x-workflow-template-name", request.template_name),),
        request.body(),
        operation="create_workflow",
        graph_name=request.graph_name,
    )


def graph_ref(graph_name: object) -> GraphRef:
    """Validate a workflow (graph) name (``InvalidRequestError``, nothing sent)."""
    return _refs.validate_request(_refs.GraphRef, graph_name=graph_name)


def get_workflow_spec(ref: GraphRef) -> RequestSpec:
    return RequestSpec(
        "GET", f"{WORKFLOWS}/{ref.graph_name}", operation="get_workflow", graph_name=ref.graph_name
    )


def update_workflow_spec(request: UpdateWorkflowRequest) -> RequestSpec:
    return RequestSpec(
        "PUT",
        f"{WORKFLOWS}/{request.graph_name}",
        (),
        request.body(),
        operation="update_workflow",
        graph_name=request.graph_name,
    )


def delete_workflow_spec(ref: GraphRef) -> RequestSpec:
    return RequestSpec(
        "DELETE",
        f"{WORKFLOWS}/{ref.graph_name}",
        operation="delete_workflow",
        graph_name=ref.graph_name,
    )


def list_workflows_spec(request: ListRequest) -> RequestSpec:
    return RequestSpec(
        "GET", f"{WORKFLOWS}/{request.prefix or ''}", request.query(), operation="list_workflows"
    )


class WorkflowsMethods:
    """``/v2/workflows``."""

    _core: CoreClient

    async def create_workflow(
        self,
        graph_name: str,
        template_name: str,
        agency: str,
        *,
        description: str | None = None,
        parameters: Sequence[InputParameter] | None = None,
        **options: Unpack[RequestOptions],
    ) -> CreateWorkflowResult:
        """Create workflow ``graph_name`` from ``template_name`` (the SDK's form).

        ``agency`` is the IAM agency that lets Data+ call FunctionGraph. A POST: it
        is retried only where nothing can have been created (connect failure, 429, 503).

        :param graph_name: The new workflow's name.
        :param template_name: The template it is made from.
        :param agency: The IAM agency the workflow acts as (lets Data+ call
            FunctionGraph).
        :param description: Free text, 0-256 characters.
        :param parameters: Values for the template's input parameters
            (:class:`InputParameter`).
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: The service answered an error
            (:class:`NotFoundError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout), after
            the retries.
        """
        from ...models._workflows import CreateWorkflowRequest, CreateWorkflowResult

        request = _refs.validate_request(
            CreateWorkflowRequest,
            graph_name=graph_name,
            template_name=template_name,
            agency=agency,
            description=description,
            parameters=parameters,
        )
        return await self._core.request(
            create_workflow_spec(request), read_model(CreateWorkflowResult), options
        )

    async def get_workflow(self, graph_name: str, **options: Unpack[RequestOptions]) -> Workflow:
        """Workflow ``graph_name``, as the service describes it.

        :param graph_name: The workflow.
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: The service answered an error
            (:class:`NotFoundError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout), after
            the retries.
        """
        from ...models._workflows import Workflow

        return await self._core.request(
            get_workflow_spec(graph_ref(graph_name)), read_model(Workflow), options
        )

    async def update_workflow(
        self,
        graph_name: str,
        *,
        parameters: Sequence[InputParameter] | Mapping[str, JsonValue] | None = None,
        description: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> UpdateWorkflowResult:
        """Change a workflow's parameters or description.

        :param graph_name: The workflow to update.
        :param parameters: New input parameters (:class:`InputParameter` items
            or a name-to-value mapping).
        :param description: A new description, 0-256 characters.
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: The service answered an error
            (:class:`NotFoundError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout), after
            the retries.
        """
        from ...models._workflows import UpdateWorkflowRequest, UpdateWorkflowResult

        request = _refs.validate_request(
            UpdateWorkflowRequest,
            graph_name=graph_name,
            parameters=parameters,
            description=description,
        )
        return await self._core.request(
            update_workflow_spec(request), read_model(UpdateWorkflowResult), options
        )

    async def delete_workflow(
        self, graph_name: str, **options: Unpack[RequestOptions]
    ) -> OperationResult:
        """Delete workflow ``graph_name``.

        :param graph_name: The workflow to delete.
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: The service answered an error
            (:class:`NotFoundError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout), after
            the retries.
        """
        return await self._core.request(
            delete_workflow_spec(graph_ref(graph_name)), _refs.read_operation, options
        )

    async def list_workflows(
        self,
        prefix: str | None = None,
        *,
        start: int | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> WorkflowPage:
        """One page of workflows whose name starts with ``prefix``; see :meth:`iter_workflows`.

        :param prefix: Keep only workflows whose name starts with this text.
        :param start: Offset of the first item, as the previous page's
            ``next_start`` gave it.
        :param limit: Items per page, 1-1000.
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: The service answered an error
            (:class:`NotFoundError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout), after
            the retries.
        """
        from ...models._workflows import ListRequest, WorkflowPage

        request = _refs.validate_request(ListRequest, prefix=prefix, start=start, limit=limit)
        return await self._core.request(
            list_workflows_spec(request), read_model(WorkflowPage), options
        )

    async def iter_workflows(
        self,
        prefix: str | None = None,
        *,
        page_size: int | None = None,
        max_items: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncIterator[WorkflowSummary]:
        """Every workflow (or the first ``max_items``), following ``next_start``.

        Pages hold ``page_size`` items (default: the maximum, 1000, or
        ``max_items`` if fewer).

        :param prefix: Keep only workflows whose name starts with this text.
        :param page_size: Items per request, 1-1000.
        :param max_items: Stop after this many (``0``: none, nothing sent); ``None``:
            all.
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: The service answered an error
            (:class:`NotFoundError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout), after
            the retries.
        """
        size = page_size_or_max(page_size, max_items)

        async def page(start: int | None) -> tuple[list[WorkflowSummary], bool, int | None]:
            got = await self.list_workflows(prefix, start=start, limit=size, **options)
            return got.graphs, got.is_truncated, got.next_start

        async for item in follow_pages(page, max_items, "next_start"):
            yield item
