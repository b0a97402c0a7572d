"""Listing defaults: the maximum page size, and a state filter checked before sending."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from obs_workflow_async import AsyncWorkflowClient, ExecutionState, InvalidRequestError
from obs_workflow_async.testing import FakeWorkflowServer


@pytest.fixture
async def server() -> AsyncIterator[FakeWorkflowServer]:
    async with FakeWorkflowServer() as fake:
        yield fake


@pytest.fixture
async def client(server: FakeWorkflowServer) -> AsyncIterator[AsyncWorkflowClient]:
    async with AsyncWorkflowClient(**server.client_kwargs()) as c:
        yield c


def _limits(server: FakeWorkflowServer) -> list[str]:
    return [
        r.path.split("x-workflow-limit=")[1].split("&")[0]
        for r in server.requests
        if "x-workflow-limit=" in r.path
    ]


async def test_iter_executions_uses_pages_of_1000_unless_told(
    server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    server.seed_executions("g", 2500)
    names = [e.execution_name async for e in client.iter_executions("g")]
    assert len(names) == len(set(names)) == 2500
    assert server.calls["list_executions"] == 3
    assert _limits(server) == ["1000"] * 3
    server.requests.clear()
    assert len([e async for e in client.iter_executions("g", page_size=700)]) == 2500
    assert _limits(server) == ["700"] * 4
    server.requests.clear()
    assert len([e async for e in client.iter_executions("g", max_items=5)]) == 5
    assert _limits(server) == ["5"]


async def test_iter_workflows_and_templates_use_the_maximum_page_size(
    server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    for i in range(12):
        await client.create_workflow_template(f"tp-{i:02d}")
        server.store.ensure_workflow_record(f"wf-{i:02d}")
    assert len([w async for w in client.iter_workflows("wf-")]) == 12
    assert len([t async for t in client.iter_workflow_templates("tp-")]) == 12
    assert server.calls["list_workflows"] == 1
    assert server.calls["list_templates"] == 1
    assert _limits(server)[-2:] == ["1000", "1000"]


@pytest.mark.parametrize("state", ["FAILD", "", "done", 3])
async def test_a_mistyped_state_fails_before_sending(
    server: FakeWorkflowServer, client: AsyncWorkflowClient, state: object
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        await client.list_executions("g", state=state)  # type: ignore[arg-type]
    assert "state" in str(caught.value) and "ExecutionState" in str(caught.value)
    with pytest.raises(InvalidRequestError):
        _ = [e async for e in client.iter_executions("g", state=state)]  # type: ignore[arg-type]
    assert server.requests == []


async def test_known_states_match_in_any_case_and_new_states_pass_explicitly(
    server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    server.seed_executions("g", 3, state="FAILED")
    server.seed_executions("g", 2, state="SUCCESS")
    server.seed_executions("g", 4, state="timeout")
    assert len([e async for e in client.iter_executions("g", state="failed")]) == 3
    assert len([e async for e in client.iter_executions("g", state="Success")]) == 2
    with pytest.raises(InvalidRequestError):
        await client.list_executions("g", state="timeout")
    explicit = [e async for e in client.iter_executions("g", state=ExecutionState("TIMEOUT"))]
    assert len(explicit) == 4
