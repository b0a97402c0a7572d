"""Action templates (v3): system, public and your own ("my") templates."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING

from ..._core.answers import read_model
from ..._core.options import RequestOptions
from ..._core.paging import follow_pages, page_size_or_max
from ...errors import ErrorDetail, InvalidRequestError
from .. import _refs
from ..project import DwrCalls
from ..rules import as_definition, template
from .workflows import _page

if TYPE_CHECKING:
    from pydantic import JsonValue
    from typing_extensions import Unpack

    from ...models import OperationResult
    from ..models import (
        DwrActionTemplate,
        DwrCreateMyTemplateResult,
        DwrMyTemplateDefinition,
        DwrTemplateDetail,
        DwrTemplatePage,
        DwrUpdateMyTemplateResult,
    )


class TemplatesMethods:
    """``/actiontemplates``, ``/publicactiontemplates`` and ``/myactiontemplates``."""

    _dwr: DwrCalls

    async def _template_page(
        self, path: str, operation: str, options: RequestOptions, **query: object
    ) -> DwrTemplatePage:
        req = _refs.validate_request(_refs.DwrListRequest, **query)
        spec = self._dwr.spec("GET", path, operation, query=req.query())
        return await self._dwr.request(spec, read_model(_refs.DwrTemplatePage), options)

    async def list_system_templates(
        self,
        prefix: str | None = None,
        *,
        category: str | None = None,
        offset: int | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> DwrTemplatePage:
        """``list_system_templates``: ``GET /actiontemplates``.

        :param prefix: Keep only templates whose name starts with this text.
        :param category: Keep only templates of this category.
        :param offset: Where the page starts, as the previous page's ``next_offset``
            gave it; ``None``: the first page.
        :param limit: Items per page (default: the service's).
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
        return await self._template_page(
            "actiontemplates",
            "list_system_templates",
            options,
            prefix=prefix,
            category=category,
            offset=offset,
            limit=limit,
        )

    async def list_public_templates(
        self,
        prefix: str | None = None,
        *,
        category: str | None = None,
        offset: int | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> DwrTemplatePage:
        """``show_public_action_list``: ``GET /publicactiontemplates``.

        :param prefix: Keep only templates whose name starts with this text.
        :param category: Keep only templates of this category.
        :param offset: Where the page starts, as the previous page's ``next_offset``
            gave it; ``None``: the first page.
        :param limit: Items per page (default: the service's).
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
        return await self._template_page(
            "publicactiontemplates",
            "list_public_templates",
            options,
            prefix=prefix,
            category=category,
            offset=offset,
            limit=limit,
        )

    async def list_my_templates(
        self,
        prefix: str | None = None,
        *,
        category: str | None = None,
        status: str | None = None,
        offset: int | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> DwrTemplatePage:
        """``list_my_action_template``: ``GET /myactiontemplates``.

        :param prefix: Keep only templates whose name starts with this text.
        :param category: Keep only templates of this category.
        :param status: Keep only templates in this status (as the service spells it).
        :param offset: Where the page starts, as the previous page's ``next_offset``
            gave it; ``None``: the first page.
        :param limit: Items per page (default: the service's).
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
        return await self._template_page(
            "myactiontemplates",
            "list_my_templates",
            options,
            prefix=prefix,
            category=category,
            status=status,
            offset=offset,
            limit=limit,
        )

    async def iter_templates(
        self,
        kind: str = "system",
        prefix: str | None = None,
        *,
        category: str | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncIterator[DwrActionTemplate]:
        """Every template of ``kind`` (``system``, ``public`` or ``mine``), following
        the page's ``offset`` (where the next page starts); ``page_size`` and
        ``max_items`` as for :meth:`~obs_workflow_async.dwr.AsyncDwrClient.iter_workflows`.

        :param kind: ``system`` (:meth:`list_system_templates`), ``public`` or ``mine``
            (your own templates).
        :param prefix: Keep only templates whose name starts with this text.
        :param category: Keep only templates of this category.
        :param page_size: Items per request (default: the most a page holds, or
            ``max_items`` if fewer).
        :param max_items: Stop after this many items (``0``: none, nothing sent);
            ``None``: all.
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: Another ``kind``, or an argument breaks a rule (nothing sent).
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
        lister = {
            "system": self.list_system_templates,
            "public": self.list_public_templates,
            "mine": self.list_my_templates,
        }.get(kind)
        if lister is None:
            raise InvalidRequestError([ErrorDetail("kind", "must be system, public or mine")])

        async def page(offset: int | None) -> tuple[list[DwrActionTemplate], bool, int | None]:
            got = await lister(prefix, category=category, offset=offset, limit=size, **options)
            return _page(got.action_templates, got.next_cursor(len(got.action_templates)))

        async for item in follow_pages(page, max_items, "next offset"):
            yield item

    async def get_system_template(
        self, template_name: str, **options: Unpack[RequestOptions]
    ) -> DwrTemplateDetail:
        """``show_system_template_detail``: ``GET /actiontemplate/{name}``.

        :param template_name: The action template's name (1-128 characters, no ``/``).
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises NotFoundError: No such template.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        spec = self._dwr.spec(
            "GET", f"actiontemplate/{template(template_name)}", "get_system_template"
        )
        return await self._dwr.request(spec, read_model(_refs.DwrTemplateDetail), options)

    async def get_public_template(
        self, template_name: str, **options: Unpack[RequestOptions]
    ) -> DwrTemplateDetail:
        """``show_public_template_info``: ``GET /publicactiontemplate/{name}``.

        :param template_name: The action template's name (1-128 characters, no ``/``).
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises NotFoundError: No such template.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        spec = self._dwr.spec(
            "GET", f"publicactiontemplate/{template(template_name)}", "get_public_template"
        )
        return await self._dwr.request(spec, read_model(_refs.DwrTemplateDetail), options)

    async def get_my_template(
        self, template_name: str, **options: Unpack[RequestOptions]
    ) -> DwrTemplateDetail:
        """``show_third_template_info``: ``GET /myactiontemplate/{name}``.

        :param template_name: The action template's name (1-128 characters, no ``/``).
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises NotFoundError: No such template.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        spec = self._dwr.spec(
            "GET", f"myactiontemplate/{template(template_name)}", "get_my_template"
        )
        return await self._dwr.request(spec, read_model(_refs.DwrTemplateDetail), options)

    async def create_my_template(
        self,
        template_name: str,
        definition: DwrMyTemplateDefinition | Mapping[str, JsonValue],
        **options: Unpack[RequestOptions],
    ) -> DwrCreateMyTemplateResult:
        """``create_my_action_template``: the answer carries pre-signed upload URLs.

        :param template_name: The new template's name (1-128 characters, no ``/``).
        :param definition: The template: a :class:`~.dwr.models.DwrMyTemplateDefinition`
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
        body = as_definition(_refs.DwrMyTemplateDefinition, definition).body()
        spec = self._dwr.spec(
            "POST", f"myactiontemplates/{template(template_name)}", "create_my_template", body=body
        )
        return await self._dwr.request(spec, read_model(_refs.DwrCreateMyTemplateResult), options)

    async def update_my_template(
        self,
        template_name: str,
        definition: DwrMyTemplateDefinition | Mapping[str, JsonValue],
        **options: Unpack[RequestOptions],
    ) -> DwrUpdateMyTemplateResult:
        """``update_my_action_template``.

        :param template_name: The action template's name (1-128 characters, no ``/``).
        :param definition: The template: a :class:`~.dwr.models.DwrMyTemplateDefinition`
            or a plain mapping of its fields (checked before sending).
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises NotFoundError: No such template.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        body = as_definition(_refs.DwrMyTemplateDefinition, definition).body()
        spec = self._dwr.spec(
            "PUT", f"myactiontemplates/{template(template_name)}", "update_my_template", body=body
        )
        return await self._dwr.request(spec, read_model(_refs.DwrUpdateMyTemplateResult), options)

    async def delete_my_template(
        self, template_name: str, **options: Unpack[RequestOptions]
    ) -> OperationResult:
        """``delete_my_action_template``.

        :param template_name: The action template's name (1-128 characters, no ``/``).
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises NotFoundError: No such template.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        spec = self._dwr.spec(
            "DELETE", f"myactiontemplates/{template(template_name)}", "delete_my_template"
        )
        return await self._dwr.request(spec, _refs.read_operation, options)

    async def deprecate_my_template(
        self, template_name: str, **options: Unpack[RequestOptions]
    ) -> OperationResult:
        """``update_my_action_template_to_deprecated``: ``POST .../{name}/forbid``.

        :param template_name: The action template's name (1-128 characters, no ``/``).
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises NotFoundError: No such template.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        spec = self._dwr.spec(
            "POST", f"myactiontemplates/{template(template_name)}/forbid", "deprecate_my_template"
        )
        return await self._dwr.request(spec, _refs.read_operation, options)
