"""Type-checked, never run: how the public API looks to mypy --strict and pyright --strict.

``python3 dev.py lint`` checks this module and examples/ as a user's code would be
checked. ``assert_type`` pins the precise types; no ``Any`` may leak out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from typing_extensions import assert_type

from obs_workflow_async import (
    APIStatusError,
    AsyncWorkflowClient,
    BatchRun,
    BatchStats,
    ExecutionDetail,
    ExecutionPage,
    ExecutionState,
    ExecutionSummary,
    ObsWorkflowError,
    OperationResult,
    StartOutcome,
    StartRequest,
    StartWorkflowResult,
    Timeout,
    TransportError,
    TriggerPolicy,
    Workflow,
    WorkflowPage,
    WorkflowSummary,
    default_chain,
)
from obs_workflow_async.compat import (
    AsyncAPIStartWorkflowResponse,
    GetResult,
    ListWorkflowResponse,
    WorkflowClient,
)
from obs_workflow_async.hooks import RequestEvent


def on_event(event: RequestEvent) -> None:
    assert_type(event.status, int | None)


async def typed_usage() -> None:
    async with AsyncWorkflowClient(
        server="obs.cn-north-4.myhuaweicloud.com",
        credentials=default_chain(),
        timeout=Timeout(total=30, connect=5),
        hooks=[on_event],
    ) as client:
        started = await client.start_workflow("g", "b-1", "k", inputs={"x": 1}, timeout=5)
        assert_type(started, StartWorkflowResult)
        assert_type(started.started_at, datetime | None)
        assert_type(started.request_id, str | None)

        page = await client.list_executions("g", state=ExecutionState.FAILED, limit=10)
        assert_type(page, ExecutionPage)
        assert_type(page.next_marker, str | None)
        items = client.iter_executions("g", state="FAILED")
        assert_type(items, AsyncIterator[ExecutionSummary])
        async for item in items:
            assert_type(item.execution_state, ExecutionState)

        assert started.execution_name is not None
        detail = await client.wait_for_execution("g", started.execution_name, timeout=60)
        assert_type(detail, ExecutionDetail)
        assert_type(detail.succeeded, bool)

        workflows = await client.list_workflows(limit=5)
        assert_type(workflows, WorkflowPage)
        async for summary in client.iter_workflows(page_size=100):
            assert_type(summary, WorkflowSummary)
        assert_type(await client.get_workflow("g"), Workflow)
        assert_type(await client.delete_workflow("g"), OperationResult)
        assert_type(await client.get_trigger_policy("b-1"), TriggerPolicy)

        async with WorkflowClient.from_client(client) as sdk:
            compat = await sdk.asyncAPIStartWorkflow("g", "b-1", "k")
            assert_type(compat, GetResult[AsyncAPIStartWorkflowResponse])
            assert_type(compat.body, AsyncAPIStartWorkflowResponse | str | None)
            listed = await sdk.listWorkflow()
            assert_type(listed, GetResult[ListWorkflowResponse])
            assert_type(await sdk.deleteWorkflow("g"), GetResult[str])
            assert_type(sdk.async_client, AsyncWorkflowClient)

        run = client.start_many(
            (StartRequest(graph_name="g", bucket="b-1", object_key=k) for k in ("a", "b")),
            concurrency=8,
            rate_limit=100.0,
        )
        assert_type(run, BatchRun)
        async with run:
            async for outcome in run:
                assert_type(outcome, StartOutcome)
                assert_type(outcome.result, StartWorkflowResult | None)
        assert_type(run.stats, BatchStats)
        outcomes = await client.start_all([{"graph_name": "g", "bucket": "b-1", "object_key": "k"}])
        assert_type(outcomes, list[StartOutcome])

        view = client.with_options(max_retries=0)
        assert_type(view, AsyncWorkflowClient)

        try:
            await client.get_execution("g", "e")
        except APIStatusError as error:
            assert_type(error.status, int)
            assert_type(error.request_id, str | None)
        except TransportError as error:
            assert_type(error.request_sent, bool)
        except ObsWorkflowError:
            pass


async def dwr_v3() -> None:
    from obs_workflow_async.dwr import AsyncDwrClient, DwrExecutionDetail

    async with AsyncDwrClient(
        region="cn-south-1", project_id="p", access_key_id="ak", secret_access_key="sk"
    ) as client:
        started = await client.start_workflow("g", "b-1", "k", {"x": 1}, deadline=30)
        assert_type(started, StartWorkflowResult)
        assert started.execution_name is not None
        detail = await client.wait_for_execution("g", started.execution_name, timeout=60)
        assert_type(detail, DwrExecutionDetail)
        outcomes = await client.start_all([{"graph_name": "g", "bucket": "b-1", "object_key": "k"}])
        assert_type(outcomes, list[StartOutcome])
        assert_type(await client.project_id(), str)
