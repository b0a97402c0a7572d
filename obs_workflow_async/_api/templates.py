"""Workflow templates: create, get, delete, list (one page or all)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from .._base_client import BaseClient, RequestOptions
from .._transport import RequestSpec
from ..models import (
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
    validate_request,
)
from ..models._base import RequestModel, TemplateName
from .paging import follow_pages, page_size_or_max

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "TemplatesAPI",
    "create_template_spec",
    "delete_template_spec",
    "get_template_spec",
    "list_templates_spec",
    "template_ref",
]

TEMPLATES = "v2/workflowtemplates"


class TemplateRef(RequestModel):
    template_name: TemplateName


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
    return validate_request(TemplateRef, template_name=template_name)


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


class TemplatesAPI(BaseClient):
    """``/v2/workflowtemplates``: not in the current API reference; shapes follow the SDK."""

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
        """Create a template. ``states``/``inputs``/``tags`` take models or plain dicts."""
        request = validate_request(
            CreateTemplateRequest,
            template_name=template_name,
            description=description,
            states=states,
            inputs=inputs,
            tags=tags,
        )
        return await self._request(create_template_spec(request), CreateTemplateResult, options)

    async def get_workflow_template(
        self, template_name: str, **options: Unpack[RequestOptions]
    ) -> WorkflowTemplate:
        return await self._request(
            get_template_spec(template_ref(template_name)), WorkflowTemplate, options
        )

    async def delete_workflow_template(
        self, template_name: str, **options: Unpack[RequestOptions]
    ) -> OperationResult:
        return await self._request(
            delete_template_spec(template_ref(template_name)), OperationResult, options
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
        """
        request = validate_request(ListRequest, prefix=prefix, start=start, limit=limit)
        return await self._request(list_templates_spec(request), TemplatePage, options)

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
        """
        size = page_size_or_max(page_size, max_items)

        async def page(start: int | None) -> tuple[list[TemplateSummary], bool, int | None]:
            got = await self.list_workflow_templates(prefix, start=start, limit=size, **options)
            return got.templates, got.is_truncated, got.next_start

        async for item in follow_pages(page, max_items, "next_start"):
            yield item
