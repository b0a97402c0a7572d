"""The whole workflow API against the stateful fake service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from obs_workflow_async import (
    AsyncWorkflowClient,
    ConflictError,
    ExecutionFailedError,
    ExecutionState,
    InvalidRequestError,
    NotFoundError,
    ResponseParseError,
    ServerError,
    TransportError,
    WaitTimeoutError,
)
from obs_workflow_async.testing import Execution, FakeWorkflowServer, Fault
from tests.support.fake_time import FakeTime
from tests.support.waiting import until

STATES = [
    {
        "type": "OPERATION",
        "state_name": "transcode",
        "start": True,
        "next_state": "end",
        "actions": [{"action_name": "mp4", "action_template_name": "MediaTranscode"}],
    },
    {"type": "END", "state_name": "end"},
]


RULE = {"id": "r1", "graph_urn": "urn:fgs:r:p:graph:g", "events": ["ObjectCreated:*"]}


def fail_bad_objects_once(execution: Execution) -> str:
    return (
        "FAILED" if execution.object_key.endswith("-bad") and execution.restores == 0 else "SUCCESS"
    )


@pytest.fixture
async def server() -> AsyncIterator[FakeWorkflowServer]:
    async with FakeWorkflowServer(
        strict_workflows=True, execution_duration=0.05, outcome=fail_bad_objects_once
    ) as fake:
        yield fake


@pytest.fixture
async def client(server: FakeWorkflowServer) -> AsyncIterator[AsyncWorkflowClient]:
    async with AsyncWorkflowClient(**server.client_kwargs()) as c:
        yield c


async def test_the_whole_life_cycle(
    server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    created = await client.create_workflow_template(
        "transcode-tpl", description="transcode to mp4", states=STATES
    )
    assert created.template_name == "transcode-tpl"
    workflow = await client.create_workflow(
        "transcode", "transcode-tpl", "dwr-agency", description="videos"
    )
    assert workflow.graph_urn and workflow.graph_urn.endswith(":graph:transcode")
    assert workflow.created_at is not None and workflow.created_at.tzinfo is not None

    keys = [f"videos/{i:03d}" + ("-bad" if i % 10 == 3 else "") for i in range(50)]
    started = await asyncio.gather(*(client.start_workflow("transcode", "media", k) for k in keys))
    assert len({s.execution_name for s in started}) == 50

    # One page, then every page: the iterator sees each execution exactly once.
    first = await client.list_executions("transcode", limit=7)
    assert len(first.executions) == 7 and first.is_truncated and first.next_marker
    seen = [e.execution_name async for e in client.iter_executions("transcode", page_size=7)]
    assert sorted(seen) == sorted(s.execution_name for s in started)
    assert server.calls["list_executions"] == 1 + 8  # 50 items in pages of 7

    finals = await asyncio.gather(
        *(
            client.wait_for_execution("transcode", s.execution_name, poll_interval=0.02)
            for s in started
        )
    )
    failed = [f for f in finals if f.execution_state == ExecutionState.FAILED]
    assert len(failed) == 5 and all(f.is_terminal for f in finals)

    # The state filter across page boundaries loses nothing.
    failed_listed = [
        e.execution_name
        async for e in client.iter_executions("transcode", state="FAILED", page_size=3)
    ]
    assert sorted(failed_listed) == sorted(f.execution_name for f in failed)

    restored = await client.restore_execution("transcode", failed[0].execution_name)
    assert restored.execution_name == failed[0].execution_name
    final = await client.wait_for_execution(
        "transcode", failed[0].execution_name, poll_interval=0.02, raise_on_failure=True
    )
    assert final.succeeded

    deleted = await client.delete_workflow("transcode")
    assert deleted.status == 204 and deleted.request_id
    with pytest.raises(NotFoundError):
        await client.get_workflow("transcode")
    await client.delete_workflow_template("transcode-tpl")
    assert [t async for t in client.iter_workflow_templates()] == []


async def test_templates_and_workflows_crud_and_offset_paging(client: AsyncWorkflowClient) -> None:
    for i in range(12):
        await client.create_workflow_template(f"tpl-{i:02d}", states=STATES)
    page = await client.list_workflow_templates("tpl-", limit=5)
    assert [t.template_name for t in page.templates] == [f"tpl-{i:02d}" for i in range(5)]
    assert page.is_truncated and page.next_start == 6
    page2 = await client.list_workflow_templates("tpl-", start=page.next_start, limit=5)
    assert page2.templates[0].template_name == "tpl-05"
    everything = [t.template_name async for t in client.iter_workflow_templates(page_size=5)]
    assert everything == [f"tpl-{i:02d}" for i in range(12)]
    first_three = [t async for t in client.iter_workflow_templates(page_size=5, max_items=3)]
    assert len(first_three) == 3

    template = await client.get_workflow_template("tpl-00")
    assert template.states and template.create_time is not None
    with pytest.raises(ConflictError):
        await client.create_workflow_template("tpl-00")

    for i in range(4):
        await client.create_workflow(
            f"wf-{i}",
            "tpl-00",
            "agency",
            parameters=[{"parameter_name": "resolution", "type": "string", "default": "720p"}],
        )
    with pytest.raises(ConflictError):
        await client.create_workflow("wf-0", "tpl-00", "agency")
    with pytest.raises(NotFoundError):
        await client.create_workflow("wf-x", "no-such-template", "agency")
    names = [w.name async for w in client.iter_workflows("wf-", page_size=3)]
    assert names == ["wf-0", "wf-1", "wf-2", "wf-3"]
    got = await client.get_workflow("wf-1")
    assert got.definition is not None and got.definition["agency"] == "agency"
    updated = await client.update_workflow(
        "wf-1", parameters={"resolution": "1080p"}, description="hd"
    )
    assert updated.graph_name == "wf-1" and updated.last_modified is not None
    assert (await client.get_workflow("wf-1")).description == "hd"


async def test_trigger_policies(server: FakeWorkflowServer, client: AsyncWorkflowClient) -> None:
    await client.create_workflow_template("tpl", states=STATES)
    workflow = await client.create_workflow("thumbs", "tpl", "agency")
    assert workflow.graph_urn is not None
    rule = {
        "id": "images",
        "graph_urn": workflow.graph_urn,
        "events": ["ObjectCreated:*"],
        "suffix": ".jpg",
    }
    put = await client.put_trigger_policy("photos", [rule])
    assert put.status == 200
    policy = await client.get_trigger_policy("photos")
    assert [(r.id, r.events, r.suffix) for r in policy.rules] == [
        ("images", ["ObjectCreated:*"], ".jpg")
    ]
    # An IP endpoint is addressed path-style, as the SDK does it.
    assert server.requests[-1].path == "/photos?obsworkflowtriggerpolicy"
    await client.delete_trigger_policy("photos")
    with pytest.raises(NotFoundError):
        await client.get_trigger_policy("photos")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.list_workflows(limit=0), "limit"),
        (lambda c: c.list_workflows(limit=1001), "limit"),
        (lambda c: c.list_workflow_templates(start=0), "start"),
        (lambda c: c.list_executions("g", limit=5000), "limit"),
        (lambda c: c.get_execution("g", "a/b"), "execution_name"),
        (lambda c: c.get_workflow("bad name"), "graph_name"),
        (lambda c: c.create_workflow("g", "t", ""), "agency"),
        (lambda c: c.put_trigger_policy("photos", []), "rules"),
        (lambda c: c.put_trigger_policy("b-1", [{**RULE, "events": ["No"]}]), "rules.0.events.0"),
        (lambda c: c.put_trigger_policy("photos", [RULE, RULE]), "rules"),
        (lambda c: c.put_trigger_policy("Bad_Bucket", [RULE]), "bucket"),
        (lambda c: c.create_workflow_template("t", states=[{"state_name": "s"}]), "states.0.type"),
        (lambda c: c.create_workflow_template("t", description="no <html> here"), "description"),
    ],
)
async def test_invalid_arguments_never_reach_the_server(
    server: FakeWorkflowServer, client: AsyncWorkflowClient, call: object, field: str
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        await call(client)  # type: ignore[operator]
    assert caught.value.field == field
    assert server.requests == []


async def test_list_state_filter_on_one_page_skips_nothing(
    server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    server.store.execution_duration = None  # finish on command
    await client.create_workflow_template("tpl", states=STATES)
    await client.create_workflow("g", "tpl", "agency")
    started = [await client.start_workflow("g", "media", f"k{i}") for i in range(10)]
    for s in started[::3]:
        server.complete(s.execution_name, "FAILED")
    failed: list[str] = []
    marker = None
    while True:
        page = await client.list_executions("g", state="FAILED", limit=4, next_marker=marker)
        failed += [e.execution_name for e in page.executions]
        assert all(e.execution_state == "FAILED" for e in page.executions)
        if not page.is_truncated:
            break
        marker = page.next_marker
    assert sorted(failed) == sorted(s.execution_name for s in started[::3])


async def test_wait_returns_failed_or_raises_and_times_out_naming_the_execution(
    server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    await client.create_workflow_template("tpl", states=STATES)
    await client.create_workflow("g", "tpl", "agency")
    bad = await client.start_and_wait("g", "media", "x-bad", poll_interval=0.01)
    assert bad.execution_state == ExecutionState.FAILED and not bad.succeeded
    assert bad.state_map["process"].status == "FAILED"
    with pytest.raises(ExecutionFailedError) as caught:
        await client.start_and_wait(
            "g", "media", "y-bad", poll_interval=0.01, raise_on_failure=True
        )
    assert caught.value.execution.execution_state == ExecutionState.FAILED
    assert "process" in str(caught.value)

    server.store.execution_duration = None  # never finishes
    stuck = await client.start_workflow("g", "media", "stuck")
    fake = FakeTime()  # the wait's clock and pauses: it times out after 0.3 s of its fake
    async with AsyncWorkflowClient(**server.client_kwargs(), runtime=fake.runtime()) as timed:
        with pytest.raises(WaitTimeoutError) as timed_out:
            await timed.wait_for_execution(  # the polls themselves: real time, no deadline
                "g",
                stuck.execution_name,
                timeout=0.3,
                poll_interval=0.05,
                request_options={"deadline": None},
            )
    assert sum(fake.sleeps) == pytest.approx(0.3)  # it waited its whole timeout, no more
    assert fake.sleeps[:3] == pytest.approx([0.05, 0.075, 0.1125])  # backing off by 1.5
    assert isinstance(timed_out.value, TimeoutError)
    assert stuck.execution_name in str(timed_out.value) and "RUNNING" in str(timed_out.value)


async def test_cancelling_a_wait_stops_polling_at_once(
    server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    server.store.execution_duration = None
    await client.create_workflow_template("tpl", states=STATES)
    await client.create_workflow("g", "tpl", "agency")
    started = await client.start_workflow("g", "media", "k")
    waiter = asyncio.create_task(
        client.wait_for_execution("g", started.execution_name, poll_interval=0.02)
    )
    await until(lambda: server.calls["get_execution"] >= 2, timeout=60)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    polls = server.calls["get_execution"]
    # a poll still running would land within a few loop turns; a poll loop that went on
    # would poll again 0.02-0.05 s later: wait for it with a real pause (a starved
    # machine only makes it longer, which gives a leaked poll more time to show)
    await asyncio.sleep(0.2)
    assert server.calls["get_execution"] == polls


async def test_idempotent_calls_retry_more_than_posts(
    server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    await client.create_workflow_template("tpl", states=STATES)
    server.add_fault(Fault("status", status=500), operation="get_template", times=1)
    await client.get_workflow_template("tpl")
    assert server.calls["get_template"] == 2
    server.add_fault(Fault("drop"), operation="list_templates", times=1)
    await client.list_workflow_templates()
    assert server.calls["list_templates"] == 2
    server.add_fault(Fault("status", status=504), operation="delete_template", times=1)
    await client.delete_workflow_template("tpl")
    assert server.calls["delete_template"] == 2

    await client.create_workflow_template("tpl", states=STATES)
    server.add_fault(Fault("status", status=500), operation="create_workflow", times=1)
    with pytest.raises(ServerError):
        await client.create_workflow("g", "tpl", "agency")
    assert server.calls["create_workflow"] == 1
    server.add_fault(Fault("drop"), operation="create_workflow", times=1)
    with pytest.raises(TransportError) as caught:
        await client.create_workflow("g2", "tpl", "agency")
    assert caught.value.request_sent and server.calls["create_workflow"] == 2


async def test_with_options_shares_the_pool(
    server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    strict = client.with_options(max_retries=0)
    server.add_fault(Fault("status", status=503, retry_after="0"), times=1)
    with pytest.raises(ServerError):
        await strict.list_workflows()
    await strict.aclose()  # a view: the pool stays open
    assert not client.closed
    server.add_fault(Fault("status", status=503, retry_after="0"), times=1)
    page = await client.list_workflows()  # the parent still retries
    assert page.retries_taken == 1
    assert strict._core.transport is client._core.transport


async def test_stuck_pagination_is_reported_not_looped(
    server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    await client.create_workflow_template("tpl", states=STATES)
    await client.create_workflow("g", "tpl", "agency")
    for i in range(3):
        await client.start_workflow("g", "media", f"k{i}")
    original = server.store.list_executions

    def never_advances(
        graph: str, kind: str | None, marker: str | None, limit: int
    ) -> dict[str, object]:
        body = original(graph, kind, None, limit)
        body["is_truncated"], body["next_marker"] = True, "same-marker"
        return body

    server.store.list_executions = never_advances  # type: ignore[method-assign]
    with pytest.raises(ResponseParseError, match="next_marker"):
        _ = [e async for e in client.iter_executions("g", page_size=1)]
