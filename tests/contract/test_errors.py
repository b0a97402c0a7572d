"""Error answers on both APIs: the same exception classes, attributes and retry
decisions (each API's own error body: row "error body")."""

from __future__ import annotations

import pytest

from obs_workflow_async import errors, may_have_started
from obs_workflow_async.testing import Fault

from .conftest import VirtualClock
from .differences import ApiProfile


async def test_404_not_found_with_attributes(profile: ApiProfile) -> None:
    profile.seed_workflows(["g"])
    async with profile.client() as client:
        with pytest.raises(errors.NotFoundError) as info:
            await client.get_execution("g", "no-such-execution")
    error = info.value
    assert error.status == 404 and error.code and error.message
    assert error.request_id and error.request_id in str(error)
    assert error.method == "GET" and error.url is not None and "no-such-execution" in error.url
    assert "?" not in error.url and error.retries_taken == 0
    assert profile.server.calls["get_execution"] == 1


async def test_404_on_a_missing_workflow(profile: ApiProfile) -> None:
    async with profile.client() as client:
        with pytest.raises(errors.NotFoundError):
            await client.get_workflow("missing")
    assert profile.server.calls["get_workflow"] == 1


async def test_400_is_not_retried(profile: ApiProfile) -> None:
    profile.server.add_fault(
        Fault("status", 400, "Bad.Request", "bad request"), operation="get_workflow", times=None
    )
    async with profile.client() as client:
        with pytest.raises(errors.BadRequestError) as info:
            await client.get_workflow("g")
    assert info.value.status == 400 and info.value.code == "Bad.Request"
    assert info.value.message == "bad request"
    assert profile.server.calls["get_workflow"] == 1


async def test_429_is_retried_then_succeeds(profile: ApiProfile, virtual: VirtualClock) -> None:
    profile.seed_workflows(["g"])
    profile.server.add_fault(Fault("status", 429), operation="get_workflow", times=2)
    async with profile.client(runtime=virtual.runtime()) as client:
        workflow = await client.get_workflow("g")
    assert workflow is not None
    assert profile.server.calls["get_workflow"] == 3 and len(virtual.sleeps) == 2


async def test_429_on_a_start_is_retried(profile: ApiProfile, virtual: VirtualClock) -> None:
    profile.server.add_fault(Fault("status", 429), operation="start", times=1)
    async with profile.client(runtime=virtual.runtime()) as client:
        started = await client.start_workflow("g", "bkt", "a.mp4")
    assert started.execution_name is not None
    assert profile.server.calls["start"] == 2 and len(profile.server.executions) == 1


async def test_429_exhausting_retries(profile: ApiProfile, virtual: VirtualClock) -> None:
    profile.server.add_fault(Fault("status", 429), operation="list_workflows", times=None)
    async with profile.client(runtime=virtual.runtime(), max_retries=2) as client:
        with pytest.raises(errors.RateLimitError) as info:
            await client.list_workflows()
    assert info.value.status == 429 and info.value.retries_taken == 2
    assert profile.server.calls["list_workflows"] == 3


async def test_500_on_a_start_is_not_retried(profile: ApiProfile, virtual: VirtualClock) -> None:
    profile.server.add_fault(Fault("status", 500), operation="start", times=1)
    async with profile.client(runtime=virtual.runtime()) as client:
        with pytest.raises(errors.ServerError) as info:
            await client.start_workflow("g", "bkt", "a.mp4")
    assert info.value.status == 500 and info.value.method == "POST"
    assert may_have_started(info.value) and info.value.may_have_started
    assert profile.server.calls["start"] == 1 and virtual.sleeps == []


async def test_500_on_a_start_retried_when_asked(
    profile: ApiProfile, virtual: VirtualClock
) -> None:
    profile.server.add_fault(Fault("status", 500), operation="start", times=1)
    async with profile.client(runtime=virtual.runtime()) as client:
        await client.start_workflow("g", "bkt", "a.mp4", retry_non_idempotent=True)
    assert profile.server.calls["start"] == 2


async def test_500_on_a_read_is_retried(profile: ApiProfile, virtual: VirtualClock) -> None:
    profile.seed_workflows(["g"])
    profile.server.add_fault(Fault("status", 500), operation="get_workflow", times=1)
    async with profile.client(runtime=virtual.runtime()) as client:
        await client.get_workflow("g")
    assert profile.server.calls["get_workflow"] == 2


async def test_invalid_arguments_send_nothing(profile: ApiProfile) -> None:
    async with profile.client() as client:
        with pytest.raises(errors.InvalidRequestError) as start:
            await client.start_workflow("g", "Bad_Bucket!", "a.mp4")
        with pytest.raises(errors.InvalidRequestError) as get:
            await client.get_execution("g", "a/b")
    assert start.value.errors[0].field == "bucket"
    assert get.value.errors[0].field == "execution_name"
    assert not may_have_started(start.value)
    assert sum(profile.server.calls.values()) == 0


async def test_restore_execution(profile: ApiProfile) -> None:
    async with profile.client() as client:
        started = await client.start_workflow("g", "bkt", "a.mp4")
        assert started.execution_name is not None
        profile.server.complete(started.execution_name, "FAILED")
        restored = await client.restore_execution("g", started.execution_name)
        with pytest.raises(errors.NotFoundError):
            await client.restore_execution("g", "no-such-execution")
    assert restored.execution_name == started.execution_name
    assert profile.server.calls["restore_execution"] == 2
