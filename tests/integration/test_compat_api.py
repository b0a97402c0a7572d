"""The official SDK's camelCase calls: code written for obs.WorkflowClient, plus ``await``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from obs_workflow_async import AsyncWorkflowClient, GetResult
from obs_workflow_async.testing import FakeWorkflowServer

STATES = [{"type": "END", "state_name": "end", "start": True}]


@pytest.fixture
async def client() -> AsyncIterator[AsyncWorkflowClient]:
    server = FakeWorkflowServer(strict_workflows=True)
    async with server, AsyncWorkflowClient(**server.client_kwargs()) as c:
        yield c


async def test_an_sdk_style_program_runs_with_await(client: AsyncWorkflowClient) -> None:
    resp = await client.createWorkflowTemplate("tpl", description="demo", states=STATES)
    assert resp.status < 300 and resp.body is not None and resp.body.templateName == "tpl"
    resp2 = await client.createWorkflow("tpl", "wf", "agency", description="d")
    assert resp2.body is not None and resp2.body.graphName == "wf" and resp2.body.graphUrn
    assert (await client.getWorkflowTemplate("tpl")).body.description == "demo"  # type: ignore[union-attr]
    listed = await client.listWorkflowTemplate("t", start=1, limit=10)
    assert listed.body is not None and listed.body.count == 1 and listed.body.isTruncated is False

    started = await client.asyncAPIStartWorkflow("wf", "media", "a.mp4", inputs={"x": 1})
    assert started.body is not None and started.requestId
    name = started.body.executionName
    assert name is not None
    executions = await client.listWorkflowExecution("wf", limit=10)
    assert executions.body is not None and executions.body.count == 1
    got = await client.getWorkflowExecution(name, "wf")
    assert got.body is not None and isinstance(got.body.executionInfo, dict)
    assert got.body.executionInfo["execution_name"] == name

    restore = await client.restoreFailedWorkflowExecution(name, "wf")  # RUNNING: refused
    assert restore.status == 409 and restore.errorCode == "ExecutionNotFailed"
    assert restore.body is None and restore.requestId

    workflow = await client.getWorkflow("wf")
    assert workflow.body is not None and workflow.body.name == "wf"
    updated = await client.updateWorkflow("wf", parameters={"x": 2}, description="d2")
    assert updated.body is not None and updated.body.graphName == "wf"
    assert (await client.listWorkflow()).body.graphs[0]["name"] == "wf"  # type: ignore[union-attr,index]

    rule = {"id": "r", "graph_urn": workflow.body.graphUrn, "events": ["ObjectCreated:Put"]}
    put = await client.putTriggerPolicy("media", [rule])
    assert put.status == 200 and put.body == ""
    policy = await client.getTriggerPolicy("media")
    assert policy.body is not None and policy.body.rules == [rule]
    assert (await client.deleteTriggerPolicy("media")).status == 204

    deleted = await client.deleteWorkflow("wf")
    assert deleted.status == 204 and isinstance(deleted, GetResult)
    missing = await client.getWorkflow("wf")
    assert (missing.status, missing.errorCode, missing.body) == (404, "WorkflowNotFound", None)
    assert (await client.deleteWorkflowTemplate("tpl")).status == 204


async def test_state_filter_without_limit_works(client: AsyncWorkflowClient) -> None:
    await client.createWorkflowTemplate("tpl", states=STATES)
    await client.createWorkflow("tpl", "wf", "agency")
    for key in ("a", "b", "c"):
        await client.asyncAPIStartWorkflow("wf", "media", key)
    # The official SDK raises TypeError for a state filter without a limit.
    running = await client.listWorkflowExecution("wf", executionState="RUNNING")
    assert running.body is not None and running.body.count == 3
    done = await client.listWorkflowExecution("wf", executionState="SUCCESS")
    assert done.body is not None and (done.body.count, done.body.executions) == (0, [])
