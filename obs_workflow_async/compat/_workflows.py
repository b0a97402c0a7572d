"""Workflows: create, get, delete, update, list (the SDK's workflow calls)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import JsonValue

from ..models import (
    CreateWorkflowRequest,
    InputParameter,
    ListRequest,
    UpdateWorkflowRequest,
    validate_request,
)
from ..v2.resources import workflows
from ._results import (
    CreateWorkflowResponse,
    GetResult,
    GetWorkflowResponse,
    ListWorkflowResponse,
    UpdateWorkflowResponse,
)
from ._sender import Sender

__all__ = ["WorkflowCalls"]


class WorkflowCalls(Sender):
    """Workflows: the calls of :class:`~obs_workflow_async.compat.WorkflowClient`."""

    async def createWorkflow(
        self,
        templateName: str,
        graphName: str,
        agency: str,
        description: str | None = None,
        parameters: Sequence[InputParameter] | None = None,
    ) -> GetResult[CreateWorkflowResponse]:
        """``POST /v2/workflows/{graphName}?x-workflow-template-name=...``.

        :param templateName: The template it is made from.
        :param graphName: The new workflow's name.
        :param agency: The IAM agency the workflow acts as.
        :param description: Free text, 0-256 characters.
        :param parameters: Values for the template's input parameters.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        request = validate_request(
            CreateWorkflowRequest,
            graph_name=graphName,
            template_name=templateName,
            agency=agency,
            description=description,
            parameters=parameters,
        )
        return await self._result(workflows.create_workflow_spec(request), CreateWorkflowResponse)

    async def getWorkflow(self, graphName: str) -> GetResult[GetWorkflowResponse]:
        """``GET /v2/workflows/{graphName}``.

        :param graphName: The workflow.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        return await self._result(
            workflows.get_workflow_spec(workflows.graph_ref(graphName)), GetWorkflowResponse
        )

    async def deleteWorkflow(self, graphName: str) -> GetResult[str]:
        """``DELETE /v2/workflows/{graphName}``.

        :param graphName: The workflow.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        return await self._text(workflows.delete_workflow_spec(workflows.graph_ref(graphName)))

    async def updateWorkflow(
        self,
        graphName: str,
        parameters: Sequence[InputParameter] | Mapping[str, JsonValue] | None = None,
        description: str | None = None,
    ) -> GetResult[UpdateWorkflowResponse]:
        """``PUT /v2/workflows/{graphName}``.

        :param graphName: The workflow.
        :param parameters: New input parameters (items or a name-to-value
            mapping).
        :param description: Free text, 0-256 characters.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        request = validate_request(
            UpdateWorkflowRequest,
            graph_name=graphName,
            parameters=parameters,
            description=description,
        )
        return await self._result(workflows.update_workflow_spec(request), UpdateWorkflowResponse)

    async def listWorkflow(
        self,
        graphNamePrefix: str | None = None,
        start: int | None = None,
        limit: int | None = None,
    ) -> GetResult[ListWorkflowResponse]:
        """One page of workflows. As in the SDK, ``""`` and ``0`` mean "not given".

        :param graphNamePrefix: Keep only workflows whose name starts with this
            text.
        :param start: Offset of the first item.
        :param limit: Items per page, 1-1000.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        request = validate_request(
            ListRequest, prefix=graphNamePrefix or None, start=start or None, limit=limit or None
        )
        return await self._result(workflows.list_workflows_spec(request), ListWorkflowResponse)
