"""AsyncDwrClient against the shipped v3 fake: every call, paging, windows, errors,
project id discovery, retries and the may-have-started rule (server-side counts)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import pytest

from obs_workflow_async import errors
from obs_workflow_async.dwr import AsyncDwrClient, ProjectIdError
from obs_workflow_async.models import ExecutionState
from obs_workflow_async.testing import FakeDwrServer, Fault
from tests.support.fake_time import FakeTime


@pytest.fixture
async def client(dwr_fake_server: FakeDwrServer) -> AsyncIterator[AsyncDwrClient]:
    async with AsyncDwrClient(**dwr_fake_server.dwr_client_kwargs(), max_retries=2) as c:
        yield c


async def test_start_signed_and_counted(
    client: AsyncDwrClient, dwr_fake_server: FakeDwrServer
) -> None:
    started = await client.start_workflow("graph-1", "bucket-a", "in/工作流 a+b.mp4", {"p": 1})
    assert started.execution_name and started.started_at is not None
    assert dwr_fake_server.attempts["graph-1"] == 1
    recorded = dwr_fake_server.requests[-1]
    assert recorded.path == f"/v3/{FakeDwrServer.PROJECT_ID}/workflows/graph-1/execute"
    assert recorded.headers["X-Project-Id"] == FakeDwrServer.PROJECT_ID
    assert recorded.headers["Authorization"].startswith("SDK-HMAC-SHA256 Access=")
    assert dwr_fake_server.calls["rejected_by_gateway"] == 0
    execution = dwr_fake_server.executions[0]
    assert (execution.object_key, execution.inputs) == ("in/工作流 a+b.mp4", {"p": 1})


async def test_wrong_secret_is_authentication_error(dwr_fake_server: FakeDwrServer) -> None:
    kwargs = {**dwr_fake_server.dwr_client_kwargs(), "secret_access_key": "wrong"}
    async with AsyncDwrClient(**kwargs) as c:  # type: ignore[arg-type]
        with pytest.raises(errors.AuthenticationError) as info:
            await c.get_workflow("g")
    assert info.value.code == "APIGW.0301" and not info.value.may_have_started
    assert dwr_fake_server.calls["rejected_by_gateway"] == 1


async def test_security_token_is_signed_and_checked() -> None:
    fake = FakeDwrServer(security_token="TOKEN-1")
    with fake.run_in_thread():
        async with AsyncDwrClient(**fake.dwr_client_kwargs()) as c:
            await c.start_workflow("g", "bkt", "o")
        kwargs = {**fake.dwr_client_kwargs(), "security_token": "other"}
        async with AsyncDwrClient(**kwargs) as c:  # type: ignore[arg-type]
            with pytest.raises(errors.AuthenticationError):
                await c.start_workflow("g", "bkt", "o")
    assert "x-security-token" in fake.requests[0].headers["Authorization"]
    assert fake.attempts["g"] == 1


async def test_throttling_is_rate_limit_and_start_is_not_retried_ambiguously(
    client: AsyncDwrClient, dwr_fake_server: FakeDwrServer
) -> None:
    dwr_fake_server.throttle(1, operation="start")
    started = await client.start_workflow("g", "bkt", "o")  # a 429 is refused: retried
    assert started.execution_name and dwr_fake_server.attempts["g"] == 2
    dwr_fake_server.throttle(5)
    with pytest.raises(errors.RateLimitError) as info:
        await client.get_workflow("g", max_retries=1)
    assert info.value.code == "APIG.0308" and not info.value.may_have_started
    dwr_fake_server.clear_faults()


async def test_apig_code_maps_class_whatever_the_status() -> None:
    error = errors.error_for_status(
        status=400,
        reason=None,
        headers={},
        retries_taken=0,
        retry_after=None,
        request_id=None,
        body='{"error_code": "APIG.0308", "error_msg": "throttled"}',
    )
    assert isinstance(error, errors.RateLimitError)
    error = errors.error_for_status(
        status=403,
        reason=None,
        headers={},
        retries_taken=0,
        retry_after=None,
        request_id=None,
        body='{"error_code": "APIGW.0301", "error_msg": "sig"}',
    )
    assert isinstance(error, errors.PermissionDeniedError)
    error = errors.error_for_status(
        status=404,
        reason=None,
        headers={},
        retries_taken=0,
        retry_after=None,
        request_id="r",
        body='{"error_code": 1234, "error_msg": "gone", "request_id": "body-id"}',
    )
    assert isinstance(error, errors.NotFoundError) and error.code == "1234"
    assert error.request_id == "r"


async def test_start_dropped_after_sending_may_have_started(
    client: AsyncDwrClient, dwr_fake_server: FakeDwrServer
) -> None:
    dwr_fake_server.add_fault(Fault("drop"), operation="start")
    with pytest.raises(errors.TransportError) as info:
        await client.start_workflow("g", "bkt", "o")
    assert info.value.may_have_started
    assert dwr_fake_server.attempts["g"] == 1  # POST execute: never resent
    assert len(dwr_fake_server.executions) == 1


async def test_get_is_retried_after_a_500(
    client: AsyncDwrClient, dwr_fake_server: FakeDwrServer
) -> None:
    await client.create_workflow("g", {"states": [{"type": "END", "state_name": "end"}]})
    dwr_fake_server.add_fault(Fault("status", 500), operation="get_workflow")
    workflow = await client.get_workflow("g")
    assert workflow.name == "g" and dwr_fake_server.calls["get_workflow"] == 2
    assert workflow.definition == {"states": [{"type": "END", "state_name": "end"}]}


async def test_all_workflow_calls(client: AsyncDwrClient, dwr_fake_server: FakeDwrServer) -> None:
    created = await client.create_workflow("wf-1", {"description": "d", "mode": "NORMAL"})
    assert created.graph_name == "wf-1" and created.graph_urn
    with pytest.raises(errors.ConflictError):
        await client.create_workflow("wf-1", {})
    updated = await client.update_workflow("wf-1", parameters={"a": "b"})
    assert updated.graph_name == "wf-1" and updated.last_modified is not None
    for n in range(5):
        await client.create_workflow(f"wf-x{n}", {})
    page = await client.list_workflows("wf-x", limit=2)
    assert [g.name for g in page.graphs] == ["wf-x0", "wf-x1"] and page.next_offset == 3
    names = [g.name async for g in client.iter_workflows("wf-x", page_size=2)]
    assert names == [f"wf-x{n}" for n in range(5)]
    assert dwr_fake_server.calls["list_workflows"] == 1 + 3
    deleted = await client.delete_workflow("wf-1")
    assert deleted.status == 204
    with pytest.raises(errors.NotFoundError) as info:
        await client.get_workflow("wf-1")
    assert info.value.code == "DWR.0404" or info.value.status == 404


async def test_execution_detail_wait_and_restore(dwr_fake_server: FakeDwrServer) -> None:
    async with AsyncDwrClient(**dwr_fake_server.dwr_client_kwargs()) as c:
        started = await c.start_workflow("g", "bkt", "o")
        assert started.execution_name is not None
        detail = await c.get_execution("g", started.execution_name)
        assert detail.execution_state == "running" and not detail.is_terminal
        assert detail.execution_name == started.execution_name
        assert detail.input == {"bucket": "bkt", "object": "o", "inputs": None}
        dwr_fake_server.complete(started.execution_name, "FAILED")
        final = await c.wait_for_execution("g", started.execution_name, poll_interval=0.01)
        assert final.execution_state == ExecutionState("fail") and final.is_terminal
        assert not final.succeeded and final.node_execution_details[0].status == "fail"
        with pytest.raises(errors.ExecutionFailedError):
            await c.wait_for_execution("g", started.execution_name, raise_on_failure=True)
        restored = await c.restore_execution("g", started.execution_name)
        assert restored.execution_name == started.execution_name
        dwr_fake_server.complete(started.execution_name, "SUCCESS")
        done = await c.wait_for_execution("g", started.execution_name, poll_interval=0.01)
        assert done.succeeded and done.execution_state == "success"


async def test_start_and_wait_and_wait_timeout() -> None:
    fake = FakeDwrServer(execution_duration=0.05)
    with fake.run_in_thread():
        async with AsyncDwrClient(**fake.dwr_client_kwargs()) as c:
            detail = await c.start_and_wait("g", "bkt", "o", poll_interval=0.02)
            assert detail.succeeded
    slow = FakeDwrServer()
    with slow.run_in_thread():
        # the wait's own clock: it times out after 0.05 s of it, however slow the machine
        # (a poll answered late on a starved machine left last_state unknown)
        fake_time = FakeTime()
        async with AsyncDwrClient(**slow.dwr_client_kwargs(), runtime=fake_time.runtime()) as c:
            started = await c.start_workflow("g", "bkt", "o")
            assert started.execution_name is not None
            with pytest.raises(errors.WaitTimeoutError) as info:
                await c.wait_for_execution(  # the polls themselves: real time, no deadline
                    "g",
                    started.execution_name,
                    timeout=0.05,
                    poll_interval=0.01,
                    request_options={"deadline": None},
                )
            assert info.value.last_state == "running"


async def test_executions_pages_windows_and_status(dwr_fake_server: FakeDwrServer) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    dwr_fake_server.seed_executions("g", 5, started_at=now - timedelta(days=8), state="FAILED")
    dwr_fake_server.seed_executions("g", 3, started_at=now - timedelta(days=5))
    boundary = now - timedelta(days=2)
    dwr_fake_server.seed_executions("g", 2, started_at=boundary)
    async with AsyncDwrClient(**dwr_fake_server.dwr_client_kwargs()) as c:
        recent = [e async for e in c.iter_executions("g")]
        assert len(recent) == 2
        every = [
            e
            async for e in c.iter_executions(
                "g", since=now - timedelta(days=10), until=now, page_size=2
            )
        ]
        assert len(every) == 10 and len({e.execution_name for e in every}) == 10
        # windows cut at the boundary second: still yielded once
        cut = [
            e
            async for e in c.iter_executions(
                "g", since=boundary - timedelta(days=1), until=now, window=timedelta(days=1)
            )
        ]
        assert len(cut) == 2
        failed = [
            e async for e in c.iter_executions("g", state="FAILED", since=now - timedelta(days=10))
        ]
        assert len(failed) == 5 and all(e.execution_state == "fail" for e in failed)
        page = await c.list_executions(
            "g", start_time=now - timedelta(days=9), end_time=now - timedelta(days=6), limit=2
        )
        assert len(page.executions) == 2 and page.is_truncated and page.next_offset == 3
        with pytest.raises(errors.InvalidRequestError):
            await c.list_executions("g", limit=201)
        with pytest.raises(errors.InvalidRequestError):
            await c.list_executions("g", state="done")


async def test_authorization_agreements_and_templates(client: AsyncDwrClient) -> None:
    with pytest.raises(errors.NotFoundError):
        await client.get_authorization()
    await client.create_authorization()
    assert (await client.get_authorization()).agency_name == "dwr_admin_trust"
    kind = "use_public_action_privacy_statement"
    await client.accept_agreement(kind)
    assert (await client.get_agreement(kind)).agreement_type == kind
    with pytest.raises(errors.InvalidRequestError):
        await client.accept_agreement("nope")
    system = [t.name async for t in client.iter_templates("system", page_size=2)]
    assert len(system) == 5
    assert len((await client.get_system_template(system[0])).provided_actions) == 1
    public = await client.list_public_templates(category="FileProcess")
    assert len(public.action_templates) == 3
    assert len((await client.get_public_template("public-template-0")).provided_actions) == 1
    definition = {
        "category": "MediaProcess",
        "func_provider": {"en-us": "me"},
        "func_name": {"en-us": "n"},
        "func_description": {"en-us": "d"},
    }
    created = await client.create_my_template("mine-1", definition)
    assert created.template_name == "mine-1" and created.func_pkg_path
    assert (await client.update_my_template("mine-1", definition)).version == "2"
    assert [t.name async for t in client.iter_templates("mine")] == ["mine-1"]
    assert (await client.get_my_template("mine-1")).provided_actions
    await client.deprecate_my_template("mine-1")
    await client.delete_my_template("mine-1")
    with pytest.raises(errors.NotFoundError):
        await client.get_my_template("mine-1")


async def test_project_id_discovered_once_through_iam(dwr_fake_server: FakeDwrServer) -> None:
    kwargs = dict(dwr_fake_server.dwr_client_kwargs())
    del kwargs["project_id"]
    async with AsyncDwrClient(
        **kwargs,
        region=dwr_fake_server.region,  # type: ignore[arg-type]
        iam_endpoint=dwr_fake_server.url,
        environ={},
    ) as c:
        await c.start_workflow("g", "bkt", "o")
        await c.with_options(timeout=5).start_workflow("g", "bkt", "o2")
        assert await c.project_id() == FakeDwrServer.PROJECT_ID
    assert dwr_fake_server.iam_calls == 1 and dwr_fake_server.attempts["g"] == 2
    iam = dwr_fake_server.requests[0]
    assert "SignedHeaders=host;user-agent;x-sdk-date," in iam.headers["Authorization"]


async def test_no_project_id_is_a_clear_error_before_sending(
    dwr_fake_server: FakeDwrServer,
) -> None:
    kwargs = dict(dwr_fake_server.dwr_client_kwargs())
    del kwargs["project_id"]
    async with AsyncDwrClient(**kwargs, environ={}) as c:  # type: ignore[arg-type]
        with pytest.raises(ProjectIdError) as info:
            await c.start_workflow("g", "bkt", "o")
    assert not errors.may_have_started(info.value)
    assert dwr_fake_server.requests == []


def test_region_table_and_unknown_region() -> None:
    c = AsyncDwrClient(
        region="cn-south-1", project_id="p1", access_key_id="a", secret_access_key="s"
    )
    assert c.server == "https://dwr.cn-south-1.myhuaweicloud.com"
    c2 = AsyncDwrClient(
        region="cn-east-3", project_id="p1", access_key_id="a", secret_access_key="s"
    )
    assert c2.server == "https://dwr-lms.cn-east-3.myhuaweicloud.com"
    with pytest.raises(errors.InvalidRequestError, match="unknown region"):
        AsyncDwrClient(region="cn-north-4", access_key_id="a", secret_access_key="s")


async def test_invalid_names_are_refused_before_sending(
    client: AsyncDwrClient, dwr_fake_server: FakeDwrServer
) -> None:
    for bad in ("", "-x", "a/b", "x" * 65, "工作流"):
        with pytest.raises(errors.InvalidRequestError):
            await client.start_workflow(bad, "bkt", "o")
    assert dwr_fake_server.requests == []


async def test_hooks_credentials_provider_and_views(dwr_fake_server: FakeDwrServer) -> None:
    from obs_workflow_async.credentials import Credentials

    events: list[tuple[str, str]] = []
    fetched = 0

    class Provider:
        async def get(self) -> Credentials:
            nonlocal fetched
            fetched += 1
            return Credentials(dwr_fake_server.access_key_id, dwr_fake_server.secret_access_key)

    hook = lambda e: events.append((e.kind, e.operation))  # noqa: E731
    pid = FakeDwrServer.PROJECT_ID
    async with AsyncDwrClient(
        endpoint=dwr_fake_server.url,
        project_id=pid,
        credentials=Provider(),
        environ={},
        hooks=[hook],
    ) as c:
        await c.start_workflow("g", "bkt", "o")
        view = c.with_options(max_retries=0)
        await view.list_executions("g")
        await view.aclose()
        assert not c.closed
        await c.get_workflow("g")
    assert fetched == 1
    assert ("call_finished", "start_workflow") in events
    assert ("call_finished", "list_executions") in events


@pytest.mark.parametrize("obs_fake_server", ["v3"], indirect=True)
async def test_obs_fake_server_fixture_starts_v3(obs_fake_server: FakeDwrServer) -> None:
    assert isinstance(obs_fake_server, FakeDwrServer)
    async with AsyncDwrClient(**obs_fake_server.dwr_client_kwargs()) as c:
        await c.start_workflow("g", "bkt", "o")
    assert obs_fake_server.attempts["g"] == 1


async def test_deadline_bounds_a_slow_answer(dwr_fake_server: FakeDwrServer) -> None:
    dwr_fake_server.add_fault(Fault("delay", delay=2.0), operation="get_workflow")
    async with AsyncDwrClient(**dwr_fake_server.dwr_client_kwargs(), deadline=0.2) as c:
        with pytest.raises(errors.RequestTimeoutError):
            await c.get_workflow("g")


async def test_discovery_failure_is_reported_and_retried(dwr_fake_server: FakeDwrServer) -> None:
    kwargs = dict(dwr_fake_server.dwr_client_kwargs())
    del kwargs["project_id"]
    dwr_fake_server.add_fault(Fault("status", 404), operation="discover_project_id")  # type: ignore[arg-type]
    async with AsyncDwrClient(
        **kwargs,
        region=dwr_fake_server.region,  # type: ignore[arg-type]
        iam_endpoint=dwr_fake_server.url,
        environ={},
    ) as c:
        with pytest.raises(errors.DiscoveryError) as info:
            await c.start_workflow("g", "bkt", "o")
        assert isinstance(info.value.__cause__, errors.NotFoundError)
        assert not info.value.may_have_started
        assert dwr_fake_server.attempts["g"] == 0
        await c.start_workflow("g", "bkt", "o")  # the next call asks IAM again
    assert dwr_fake_server.iam_calls == 1 and dwr_fake_server.attempts["g"] == 1


async def test_iam_listing_no_project_is_project_id_error(dwr_fake_server: FakeDwrServer) -> None:
    kwargs = dict(dwr_fake_server.dwr_client_kwargs())
    del kwargs["project_id"]
    async with AsyncDwrClient(
        **kwargs,
        region="cn-south-1",  # type: ignore[arg-type]
        iam_endpoint=dwr_fake_server.url,
        environ={},
    ) as c:
        with pytest.raises(ProjectIdError, match="0 projects"):
            await c.get_workflow("g")
