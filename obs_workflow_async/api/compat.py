"""The official SDK's camelCase calls, as coroutines returning a typed ``GetResult``.

Code written against ``obs.WorkflowClient`` runs after changing the import and adding
``await``. Like the SDK, these return HTTP errors as a ``GetResult`` with
``status >= 300`` instead of raising; invalid arguments and transport failures raise.
They send exactly what the Pythonic methods send (no ``null`` fields, no stray
``pathArgs``), through the same transport and retry policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from pydantic import BaseModel, JsonValue, ValidationError

from ..base_client import BaseClient
from ..compat import (
    AsyncAPIStartWorkflowResponse,
    CreateWorkflowResponse,
    CreateWorkflowTemplateResponse,
    GetResult,
    GetTriggerPolicyResponse,
    GetWorkflowExecutionResponse,
    GetWorkflowResponse,
    GetWorkflowTemplateResponse,
    ListWorkflowExecutionResponse,
    ListWorkflowResponse,
    ListWorkflowTemplateResponse,
    RestoreFailedWorkflowExecutionResponse,
    UpdateWorkflowResponse,
    compat_headers,
)
from ..errors import APIStatusError
from ..models import (
    CreateTemplateRequest,
    CreateWorkflowRequest,
    InputParameter,
    ListExecutionsRequest,
    ListRequest,
    PutTriggerPolicyRequest,
    State,
    Tag,
    TriggerRule,
    UpdateWorkflowRequest,
    validate_request,
)
from ..transport import RawResponse, RequestSpec
from . import executions, policies, templates, workflows

__all__ = ["SdkCompatAPI"]

B = TypeVar("B", bound=BaseModel)


class SdkCompatAPI(BaseClient):
    """``createWorkflowTemplate`` ... ``deleteTriggerPolicy``, with the SDK's argument names."""

    async def _sdk_call(self, spec: RequestSpec, model: type[B]) -> GetResult[B]:
        """Send ``spec``; an HTTP error becomes a ``GetResult`` (as the SDK returns it)."""
        try:
            raw = await self._send(spec, {})
        except APIStatusError as error:
            return GetResult[B].from_error(error)
        try:
            body = model.model_validate_json(raw.body)
        except ValidationError as exc:
            raise self._parse_error(raw, model, exc) from None
        return _success(raw, body)

    async def _sdk_text(self, spec: RequestSpec) -> GetResult[str]:
        """Deletes and putTriggerPolicy: the SDK's body is the raw response text."""
        try:
            raw = await self._send(spec, {})
        except APIStatusError as error:
            return GetResult[str].from_error(error)
        return _success(raw, raw.body.decode("utf-8", errors="replace"))

    # -- templates -----------------------------------------------------------------

    async def createWorkflowTemplate(
        self,
        templateName: str,
        description: str | None = None,
        states: Sequence[State] | None = None,
        inputs: Sequence[InputParameter] | None = None,
        tags: Sequence[Tag] | None = None,
    ) -> GetResult[CreateWorkflowTemplateResponse]:
        request = validate_request(
            CreateTemplateRequest, template_name=templateName, description=description,
            states=states, inputs=inputs, tags=tags,
        )  # fmt: skip
        return await self._sdk_call(
            templates.create_template_spec(request), CreateWorkflowTemplateResponse
        )

    async def getWorkflowTemplate(
        self,
        templateName: str,
    ) -> GetResult[GetWorkflowTemplateResponse]:
        spec = templates.get_template_spec(templateName)
        return await self._sdk_call(spec, GetWorkflowTemplateResponse)

    async def deleteWorkflowTemplate(self, templateName: str) -> GetResult[str]:
        return await self._sdk_text(templates.delete_template_spec(templateName))

    async def listWorkflowTemplate(
        self,
        templateNamePrefix: str | None = None,
        start: int | None = None,
        limit: int | None = None,
    ) -> GetResult[ListWorkflowTemplateResponse]:
        request = validate_request(ListRequest, prefix=templateNamePrefix, start=start, limit=limit)
        return await self._sdk_call(
            templates.list_templates_spec(request), ListWorkflowTemplateResponse
        )

    # -- workflows -----------------------------------------------------------------

    async def createWorkflow(
        self,
        templateName: str,
        graphName: str,
        agency: str,
        description: str | None = None,
        parameters: Sequence[InputParameter] | None = None,
    ) -> GetResult[CreateWorkflowResponse]:
        request = validate_request(
            CreateWorkflowRequest, graph_name=graphName, template_name=templateName,
            agency=agency, description=description, parameters=parameters,
        )  # fmt: skip
        return await self._sdk_call(workflows.create_workflow_spec(request), CreateWorkflowResponse)

    async def getWorkflow(self, graphName: str) -> GetResult[GetWorkflowResponse]:
        return await self._sdk_call(workflows.get_workflow_spec(graphName), GetWorkflowResponse)

    async def deleteWorkflow(self, graphName: str) -> GetResult[str]:
        return await self._sdk_text(workflows.delete_workflow_spec(graphName))

    async def updateWorkflow(
        self,
        graphName: str,
        parameters: Sequence[InputParameter] | Mapping[str, JsonValue] | None = None,
        description: str | None = None,
    ) -> GetResult[UpdateWorkflowResponse]:
        request = validate_request(
            UpdateWorkflowRequest, graph_name=graphName, parameters=parameters,
            description=description,
        )  # fmt: skip
        return await self._sdk_call(workflows.update_workflow_spec(request), UpdateWorkflowResponse)

    async def listWorkflow(
        self,
        graphNamePrefix: str | None = None,
        start: int | None = None,
        limit: int | None = None,
    ) -> GetResult[ListWorkflowResponse]:
        request = validate_request(ListRequest, prefix=graphNamePrefix, start=start, limit=limit)
        return await self._sdk_call(workflows.list_workflows_spec(request), ListWorkflowResponse)

    # -- executions ------------------------------------------------------------------

    async def asyncAPIStartWorkflow(
        self,
        graphName: str,
        bucket: str,
        object: str,
        inputs: Mapping[str, JsonValue] | None = None,
    ) -> GetResult[AsyncAPIStartWorkflowResponse]:
        """``obs.WorkflowClient.asyncAPIStartWorkflow`` as a coroutine (HTTP errors returned)."""
        spec = executions.start_spec(graphName, bucket, object, inputs)
        return await self._sdk_call(spec, AsyncAPIStartWorkflowResponse)

    async def listWorkflowExecution(
        self,
        graphName: str,
        executionType: str | None = None,
        nextMarker: str | None = None,
        limit: int | None = None,
        executionState: str | None = None,
    ) -> GetResult[ListWorkflowExecutionResponse]:
        """One page; ``executionState`` filters it without following further pages, so
        no item is skipped (the SDK's loop can skip items, and needs ``limit``)."""
        request = validate_request(
            ListExecutionsRequest, graph_name=graphName, execution_type=executionType,
            next_marker=nextMarker, limit=limit, state=executionState,
        )  # fmt: skip
        result = await self._sdk_call(
            executions.list_executions_spec(request), ListWorkflowExecutionResponse
        )
        if request.state is None or result.body is None:
            return result
        kept = [
            item
            for item in result.body.executions or []
            if isinstance(item, dict) and item.get("execution_state") == request.state.value
        ]
        body = result.body.model_copy(update={"executions": kept, "count": len(kept)})
        return result.model_copy(update={"body": body})

    async def getWorkflowExecution(
        self,
        executionName: str,
        graphName: str,
    ) -> GetResult[GetWorkflowExecutionResponse]:
        spec = executions.get_execution_spec(graphName, executionName)
        return await self._sdk_call(spec, GetWorkflowExecutionResponse)

    async def restoreFailedWorkflowExecution(
        self,
        executionName: str,
        graphName: str,
    ) -> GetResult[RestoreFailedWorkflowExecutionResponse]:
        spec = executions.restore_execution_spec(graphName, executionName)
        return await self._sdk_call(spec, RestoreFailedWorkflowExecutionResponse)

    # -- trigger policies ------------------------------------------------------------

    async def putTriggerPolicy(
        self,
        bucketName: str,
        rules: Sequence[TriggerRule],
    ) -> GetResult[str]:
        request = validate_request(PutTriggerPolicyRequest, bucket=bucketName, rules=rules)
        return await self._sdk_text(policies.put_trigger_policy_spec(request))

    async def getTriggerPolicy(
        self,
        bucketName: str,
    ) -> GetResult[GetTriggerPolicyResponse]:
        spec = policies.get_trigger_policy_spec(bucketName)
        return await self._sdk_call(spec, GetTriggerPolicyResponse)

    async def deleteTriggerPolicy(self, bucketName: str) -> GetResult[str]:
        return await self._sdk_text(policies.delete_trigger_policy_spec(bucketName))


T = TypeVar("T")


def _success(raw: RawResponse, body: T) -> GetResult[T]:
    return GetResult[T](
        status=raw.status,
        reason=raw.reason,
        requestId=raw.request_id,
        indicator=raw.headers.get("x-reserved-indicator"),
        header=compat_headers(raw.headers),
        body=body,
    )
