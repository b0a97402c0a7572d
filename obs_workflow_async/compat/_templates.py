"""Workflow templates: create, get, delete, list (the SDK's template calls)."""

from __future__ import annotations

from collections.abc import Sequence

from ..models import (
    CreateTemplateRequest,
    InputParameter,
    ListRequest,
    State,
    Tag,
    validate_request,
)
from ..v2.resources import templates
from ._results import (
    CreateWorkflowTemplateResponse,
    GetResult,
    GetWorkflowTemplateResponse,
    ListWorkflowTemplateResponse,
)
from ._sender import Sender

__all__ = ["TemplateCalls"]


class TemplateCalls(Sender):
    """Workflow templates: the calls of :class:`~obs_workflow_async.compat.WorkflowClient`."""

    async def createWorkflowTemplate(
        self,
        templateName: str,
        description: str | None = None,
        states: Sequence[State] | None = None,
        inputs: Sequence[InputParameter] | None = None,
        tags: Sequence[Tag] | None = None,
    ) -> GetResult[CreateWorkflowTemplateResponse]:
        """``POST /v2/workflowtemplates/{templateName}``.

        :param templateName: The new template's name.
        :param description: Free text, 0-256 characters.
        :param states: The template's states (:class:`~.models.State` or plain
            dicts).
        :param inputs: The template's input parameters.
        :param tags: Tags.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        request = validate_request(
            CreateTemplateRequest,
            template_name=templateName,
            description=description,
            states=states,
            inputs=inputs,
            tags=tags,
        )
        spec = templates.create_template_spec(request)
        return await self._result(spec, CreateWorkflowTemplateResponse)

    async def getWorkflowTemplate(
        self, templateName: str
    ) -> GetResult[GetWorkflowTemplateResponse]:
        """``GET /v2/workflowtemplates/{templateName}``.

        :param templateName: The workflow template.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        spec = templates.get_template_spec(templates.template_ref(templateName))
        return await self._result(spec, GetWorkflowTemplateResponse)

    async def deleteWorkflowTemplate(self, templateName: str) -> GetResult[str]:
        """``DELETE /v2/workflowtemplates/{templateName}``.

        :param templateName: The workflow template.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        return await self._text(
            templates.delete_template_spec(templates.template_ref(templateName))
        )

    async def listWorkflowTemplate(
        self,
        templateNamePrefix: str | None = None,
        start: int | None = None,
        limit: int | None = None,
    ) -> GetResult[ListWorkflowTemplateResponse]:
        """One page of templates. As in the SDK, ``""`` and ``0`` mean "not given".

        :param templateNamePrefix: Keep only templates whose name starts with
            this text.
        :param start: Offset of the first item.
        :param limit: Items per page, 1-1000.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        request = validate_request(
            ListRequest,
            prefix=templateNamePrefix or None,
            start=start or None,
            limit=limit or None,
        )
        spec = templates.list_templates_spec(request)
        return await self._result(spec, ListWorkflowTemplateResponse)
