"""Executions: start, list, get, restore (the SDK's execution calls)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import JsonValue

from ..models import ListExecutionsRequest, validate_request
from ..v2.resources import executions
from ._results import (
    AsyncAPIStartWorkflowResponse,
    GetResult,
    GetWorkflowExecutionResponse,
    ListWorkflowExecutionResponse,
    RestoreFailedWorkflowExecutionResponse,
)
from ._sender import Sender

__all__ = ["ExecutionCalls"]


class ExecutionCalls(Sender):
    """Executions: the calls of :class:`~obs_workflow_async.compat.WorkflowClient`."""

    async def asyncAPIStartWorkflow(
        self,
        graphName: str,
        bucket: str,
        object: str,
        inputs: Mapping[str, JsonValue] | None = None,
    ) -> GetResult[AsyncAPIStartWorkflowResponse]:
        """``obs.WorkflowClient.asyncAPIStartWorkflow`` as a coroutine (HTTP errors returned).

        Retried only when the start cannot have happened (the SDK resends any 5xx).

        :param graphName: The workflow to start.
        :param bucket: The bucket of the object.
        :param object: The object's key.
        :param inputs: Workflow parameters by name (JSON values).
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        spec = executions.start_spec(graphName, bucket, object, inputs)
        return await self._result(spec, AsyncAPIStartWorkflowResponse)

    async def listWorkflowExecution(
        self,
        graphName: str,
        executionType: str | None = None,
        nextMarker: str | None = None,
        limit: int | None = None,
        executionState: str | None = None,
    ) -> GetResult[ListWorkflowExecutionResponse]:
        """One page; ``executionState`` filters it without following further pages, so
        no item is skipped (the SDK's loop can skip items, and needs ``limit``). As in

        :param graphName: The workflow.
        :param executionType: ``APICALL`` or ``TRIGGERCAL``.
        :param nextMarker: Where the page starts: the previous page's
            ``nextMarker``.
        :param limit: Items per page, 1-1000.
        :param executionState: Keep only executions in this state (filtered on
            the client).
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        request = validate_request(
            ListExecutionsRequest,
            graph_name=graphName,
            execution_type=executionType or None,
            next_marker=nextMarker or None,
            limit=limit or None,
            state=executionState or None,
        )
        result = await self._result(
            executions.list_executions_spec(request), ListWorkflowExecutionResponse
        )
        body = result.body
        if request.state is None or not isinstance(body, ListWorkflowExecutionResponse):
            return result
        kept = [
            item
            for item in body.executions or []
            if isinstance(item, dict) and item.get("execution_state") == request.state.value
        ]
        filtered = body.model_copy(update={"executions": kept, "count": len(kept)})
        return result.model_copy(update={"body": filtered})

    async def getWorkflowExecution(
        self, executionName: str, graphName: str
    ) -> GetResult[GetWorkflowExecutionResponse]:
        """``GET /v2/workflowexecutions/{executionName}?x-workflow-graph-name=...``.

        :param executionName: The execution's name.
        :param graphName: The workflow.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        spec = executions.get_execution_spec(executions.execution_ref(graphName, executionName))
        return await self._result(spec, GetWorkflowExecutionResponse)

    async def restoreFailedWorkflowExecution(
        self, executionName: str, graphName: str
    ) -> GetResult[RestoreFailedWorkflowExecutionResponse]:
        """``PUT /v2/workflowexecutions/{executionName}?x-workflow-graph-name=...``.

        :param executionName: The FAILED execution to resume.
        :param graphName: The workflow.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        spec = executions.restore_execution_spec(executions.execution_ref(graphName, executionName))
        return await self._result(spec, RestoreFailedWorkflowExecutionResponse)
