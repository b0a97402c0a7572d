"""Per-call and per-view options (``with_options``, ``timeout``, ``max_retries``,
``deadline``) and the client lifecycle (``async with``, ``aclose`` twice, a closed
client, another event loop), the same on both APIs."""

from __future__ import annotations

import asyncio

import pytest

from obs_workflow_async import errors
from obs_workflow_async.testing import Fault

from .conftest import VirtualClock
from .differences import ApiProfile

SLOW = Fault("delay", delay=2.0)
"""Slower than any timeout below by far (the assertions are on the outcome only)."""


async def test_with_options_view(profile: ApiProfile, virtual: VirtualClock) -> None:
    profile.seed_workflows(["g"])
    profile.server.add_fault(Fault("status", 429), operation="get_workflow", times=None)
    async with profile.client(runtime=virtual.runtime(), max_retries=2) as client:
        view = client.with_options(max_retries=0)
        assert type(view) is type(client)
        with pytest.raises(errors.RateLimitError):
            await view.get_workflow("g")
        assert profile.server.calls["get_workflow"] == 1
        with pytest.raises(errors.RateLimitError):
            await client.get_workflow("g")  # the client keeps its own options
        assert profile.server.calls["get_workflow"] == 4
        profile.server.clear_faults()
        await view.aclose()  # a view does not close its client's pool
        assert not client.closed
        await client.get_workflow("g")


async def test_per_call_max_retries(profile: ApiProfile, virtual: VirtualClock) -> None:
    profile.server.add_fault(Fault("status", 503), operation="list_workflows", times=None)
    async with profile.client(runtime=virtual.runtime()) as client:
        with pytest.raises(errors.ServiceUnavailableError) as info:
            await client.list_workflows(max_retries=1)
    assert info.value.retries_taken == 1
    assert profile.server.calls["list_workflows"] == 2


async def test_per_call_options_reach_the_iterators(
    profile: ApiProfile, virtual: VirtualClock
) -> None:
    profile.server.seed_executions("g", 3)
    profile.server.add_fault(Fault("status", 429), operation="list_executions", times=None)
    async with profile.client(runtime=virtual.runtime()) as client:
        with pytest.raises(errors.RateLimitError):
            _ = [e async for e in client.iter_executions("g", max_retries=0)]
    assert profile.server.calls["list_executions"] == 1


@pytest.mark.parametrize("option", ["timeout", "deadline"])
async def test_per_call_time_limit(profile: ApiProfile, option: str) -> None:
    profile.seed_workflows(["g"])
    profile.server.add_fault(SLOW, operation="get_workflow", times=1)
    async with profile.client(max_retries=0) as client:
        with pytest.raises(errors.RequestTimeoutError) as info:
            await client.get_workflow("g", **{option: 0.2})  # type: ignore[arg-type]
    assert info.value.request_sent
    assert profile.server.calls["get_workflow"] == 1


async def test_view_time_limit(profile: ApiProfile) -> None:
    profile.server.add_fault(SLOW, operation="start", times=1)
    async with profile.client() as client:
        view = client.with_options(timeout=0.2)
        with pytest.raises(errors.RequestTimeoutError) as info:
            await view.start_workflow("g", "bkt", "a.mp4")
    # a start that may have reached the service is not retried, and says so
    assert info.value.may_have_started
    assert profile.server.calls["start"] == 1


@pytest.mark.parametrize(
    "options", [{"max_retries": -1}, {"timeout": 0}, {"deadline": -1.0}, {"nope": 1}]
)
async def test_bad_options_are_refused(profile: ApiProfile, options: dict[str, object]) -> None:
    async with profile.client() as client:
        with pytest.raises((errors.InvalidRequestError, TypeError)):
            client.with_options(**options)  # type: ignore[arg-type]
    assert sum(profile.server.calls.values()) == 0


async def test_async_with_and_aclose_twice(profile: ApiProfile) -> None:
    client = profile.client()
    async with client as entered:
        assert entered is client and not client.closed
        await client.start_workflow("g", "bkt", "a.mp4")
    assert client.closed
    await client.aclose()  # idempotent
    await client.aclose()
    assert client.closed


async def test_a_closed_client_sends_nothing(profile: ApiProfile) -> None:
    client = profile.client()
    view = client.with_options(max_retries=0)
    await client.aclose()
    with pytest.raises(errors.ClientClosedError):
        await client.start_workflow("g", "bkt", "a.mp4")
    with pytest.raises(errors.ClientClosedError):
        await view.get_workflow("g")
    with pytest.raises(errors.ClientClosedError):
        _ = [w async for w in client.iter_workflows()]
    assert sum(profile.server.calls.values()) == 0


async def test_aclose_before_any_call(profile: ApiProfile) -> None:
    client = profile.client()
    assert not client.closed
    await client.aclose()
    assert client.closed


async def test_another_event_loop_is_refused(profile: ApiProfile) -> None:
    client = profile.client()
    await client.start_workflow("g", "bkt", "a.mp4")

    def other_loop() -> None:
        with pytest.raises(errors.LoopMismatchError):
            asyncio.run(client.start_workflow("g", "bkt", "b.mp4"))

    await asyncio.to_thread(other_loop)
    await client.aclose()
    assert profile.server.attempts["g"] == 1
