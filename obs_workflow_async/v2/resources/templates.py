"""Workflow templates: create, get, delete, list (one page or all)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from ..._core.answers import read_model
from ..._core.client import CoreClient
from ..._core.options import RequestOptions
from ..._core.paging import follow_pages, page_size_or_max
from ..._pipeline import RequestSpec
from . import _refs

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ...models import (
        CreateTemplateRequest,
        CreateTemplateResult,
        InputParameter,
        ListRequest,
        OperationResult,
        State,
        Tag,
        TemplatePage,
        TemplateSummary,
        WorkflowTemplate,
    )
    from ._names import TemplateRef


__all__ = [
    "TemplatesMethods",
    "create_template_spec",
    "delete_template_spec",
    "get_template_spec",
    "list_templates_spec",
    "template_ref",
]

TEMPLATES = "v2/workflowtemplates"


def create_template_spec(request: CreateTemplateRequest) -> RequestSpec:
    return RequestSpec(
        "POST",
        f"{TEMPLATES}/{request.template_name}",
        (),
        request.body(),
        operation="create_workflow_template",
    )


def template_ref(template_name: object) -> TemplateRef:
    """Validate a template name (``InvalidRequestError``, nothing sent)."""
    return _refs.validate_request(_refs.TemplateRef, template_name=template_name)


def get_template_spec(ref: TemplateRef) -> RequestSpec:
    return RequestSpec("GET", f"{TEMPLATES}/{ref.template_name}", operation="get_workflow_template")


def delete_template_spec(ref: TemplateRef) -> RequestSpec:
    return RequestSpec(
        "DELETE", f"{TEMPLATES}/{ref.template_name}", operation="delete_workflow_template"
    )


def list_templates_spec(request: ListRequest) -> RequestSpec:
    return RequestSpec(
        "GET",
        f"{TEMPLATES}/{request.prefix or ''}",
        request.query(),
        operation="list_workflow_templates",
    )


class TemplatesMethods:
    """``/v2/workflowtemplates``: not in the current API reference; shapes follow the SDK."""

    _core: CoreClient

    async def create_workflow_template(
        self,
        template_name: str,
        *,
        description: str | None = None,
        states: Sequence[State] | None = None,
        inputs: Sequence[InputParameter] | None = None,
        tags: Sequence[Tag] | None = None,
        **options: Unpack[RequestOptions],
    ) -> CreateTemplateResult:
        """Create a template. ``states``/``inputs``/``tags`` take models or plain dicts.

        :param template_name: The new template's name.
        :param description: Free text, 0-256 characters.
        :param states: The template's states (:class:`State` models or plain
            dicts).
        :param inputs: The template's input parameters
            (:class:`InputParameter`).
        :param tags: Tags (:class:`Tag`).
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: The service answered an error
            (:class:`NotFoundError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout), after
            the retries.
        """
        from ...models._workflows import CreateTemplateRequest, CreateTemplateResult

        request = _refs.validate_request(
            CreateTemplateRequest,
            template_name=template_name,
            description=description,
            states=states,
            inputs=inputs,
            tags=tags,
        )
        return await self._core.request(
            create_template_spec(request), read_model(CreateTemplateResult), options
        )

    async def get_workflow_template(
        self, template_name: str, **options: Unpack[RequestOptions]
    ) -> WorkflowTemplate:
        """Template ``template_name``, as the service describes it.

        :param template_name: The template.
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: The service answered an error
            (:class:`NotFoundError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout), after
            the retries.
        """
        from ...models._workflows import WorkflowTemplate

        return await self._core.request(
            get_template_spec(template_ref(template_name)), read_model(WorkflowTemplate), options
        )

    async def delete_workflow_template(
        self, template_name: str, **options: Unpack[RequestOptions]
    ) -> OperationResult:
        """Delete template ``template_name``.

        :param template_name: The template to delete.
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
            delete_template_spec(template_ref(template_name)), _refs.read_operation, options
        )

    async def list_workflow_templates(
        self,
        prefix: str | None = None,
        *,
        start: int | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> TemplatePage:
        """One page of templates whose name starts with ``prefix``.

        See :meth:`iter_workflow_templates` for all of them.

        :param prefix: Keep only templates whose name starts with this text.
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
        from ...models._workflows import ListRequest, TemplatePage

        request = _refs.validate_request(ListRequest, prefix=prefix, start=start, limit=limit)
        return await self._core.request(
            list_templates_spec(request), read_model(TemplatePage), options
        )

    async def iter_workflow_templates(
        self,
        prefix: str | None = None,
        *,
        page_size: int | None = None,
        max_items: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncIterator[TemplateSummary]:
        """Every template (or the first ``max_items``), following ``next_start``.

        Pages hold ``page_size`` items (default: the maximum, 1000, or
        ``max_items`` if fewer).

        :param prefix: Keep only templates whose name starts with this text.
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

        async def page(start: int | None) -> tuple[list[TemplateSummary], bool, int | None]:
            got = await self.list_workflow_templates(prefix, start=start, limit=size, **options)
            return got.templates, got.is_truncated, got.next_start

        async for item in follow_pages(page, max_items, "next_start"):
            yield item
