"""Type-checked, never run: the migration guide's typed pattern and the v3 fake's type.

``resp.body`` of a compat call is ``Model | str | None`` (the parsed answer below 300,
the error text at or above it): ``isinstance`` narrows it without a ``cast``, as
docs/migration.md shows. ``async with`` a fake gives the fake's own class (``Self``).
"""

from __future__ import annotations

from typing_extensions import assert_type

from obs_workflow_async import AsyncWorkflowClient, ExecutionState
from obs_workflow_async.compat import (
    AsyncAPIStartWorkflowResponse,
    GetResult,
    GetWorkflowResponse,
    WorkflowClient,
)
from obs_workflow_async.testing import FakeDwrServer, FakeWorkflowServer


async def ported(client: WorkflowClient) -> str | None:
    resp = await client.asyncAPIStartWorkflow("graph", "bucket", "object", inputs={"a": 1})
    assert_type(resp, GetResult[AsyncAPIStartWorkflowResponse])
    if isinstance(resp.body, AsyncAPIStartWorkflowResponse):  # what `status < 300` meant
        assert_type(resp.body.executionName, str | None)
        return resp.body.executionName
    assert_type(resp.body, str | None)  # the error text
    got = await client.getWorkflow("graph")
    if isinstance(got.body, GetWorkflowResponse):
        return got.body.name
    return None


async def fakes() -> None:
    async with FakeDwrServer() as v3:
        assert_type(v3, FakeDwrServer)
    async with FakeWorkflowServer() as v2:
        assert_type(v2, FakeWorkflowServer)
    with FakeDwrServer().run_in_thread() as threaded:
        assert_type(threaded, FakeDwrServer)
    assert_type(await FakeDwrServer().start(), FakeDwrServer)


def enum_text() -> None:
    assert_type(str(ExecutionState.RUNNING), str)
    assert_type(f"{ExecutionState.RUNNING}", str)


async def server_from_the_environment() -> None:
    # ``server`` may be omitted: OBS_SERVER is read when the client is built
    async with AsyncWorkflowClient(max_retry_wait=3.0, retry_after_cap=5.0) as client:
        assert_type(client, AsyncWorkflowClient)
        await client.start_workflow("g", "b", "k", deadline=10.0, max_retry_wait=None)
