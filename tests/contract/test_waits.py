"""``wait_for_execution`` and ``start_and_wait`` on both APIs, on the client's injected
:class:`Runtime` clock: the same poll schedule, the same outcomes and errors."""

from __future__ import annotations

import pytest

from obs_workflow_async import errors

from .conftest import VirtualClock
from .differences import FAILED, ApiProfile


async def test_wait_returns_a_success(profile: ApiProfile, virtual: VirtualClock) -> None:
    async with profile.client(runtime=virtual.runtime()) as client:
        started = await client.start_workflow("g", "bkt", "a.mp4")
        assert started.execution_name is not None
        profile.server.complete(started.execution_name)
        done = await client.wait_for_execution("g", started.execution_name)
    assert done.succeeded and done.is_terminal
    assert done.execution_name == started.execution_name
    assert profile.server.calls["get_execution"] == 1 and virtual.sleeps == []


@pytest.mark.parametrize("raise_on_failure", [False, True])
async def test_wait_on_a_failure(
    profile: ApiProfile, virtual: VirtualClock, raise_on_failure: bool
) -> None:
    async with profile.client(runtime=virtual.runtime()) as client:
        started = await client.start_workflow("g", "bkt", "a.mp4")
        assert started.execution_name is not None
        # it fails after the second poll
        virtual.on_sleep = lambda _: profile.server.complete(str(started.execution_name), "FAILED")
        if raise_on_failure:
            with pytest.raises(errors.ExecutionFailedError) as info:
                await client.wait_for_execution("g", started.execution_name, raise_on_failure=True)
            detail = info.value.execution
        else:
            detail = await client.wait_for_execution("g", started.execution_name)
    assert detail.is_terminal and not detail.succeeded
    assert detail.execution_state.value == FAILED[profile.api]
    assert profile.server.calls["get_execution"] == 2 and virtual.sleeps == [1.0]


async def test_wait_times_out_on_the_runtime_clock(
    profile: ApiProfile, virtual: VirtualClock
) -> None:
    """Polls at 0, 1, 2.5, 4.75, 8.125 (x1.5 each), then every 5 s (the cap), the last
    at the timeout: the same schedule on both APIs, with no real time spent."""
    async with profile.client(runtime=virtual.runtime()) as client:
        started = await client.start_workflow("g", "bkt", "a.mp4")
        assert started.execution_name is not None
        with pytest.raises(errors.WaitTimeoutError) as info:
            await client.wait_for_execution(
                "g", started.execution_name, timeout=30, poll_interval=1, max_poll_interval=5
            )
    assert info.value.execution_name == started.execution_name
    assert info.value.timeout == 30
    assert info.value.last_state is not None and info.value.last_state.upper() == "RUNNING"
    assert virtual.sleeps == [1.0, 1.5, 2.25, 3.375, 5.0, 5.0, 5.0, 5.0, 1.875]
    # Nine polls answered; the tenth, at the timeout, has what is left of the wait as its
    # deadline (1 ms on aiohttp's own, real clock): whether the server reads it before
    # that expires depends on how busy the machine is, so both counts are right.
    assert profile.server.calls["get_execution"] in (9, 10)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("timeout", {"timeout": 0}),
        ("timeout", {"timeout": -1}),
        ("poll_interval", {"poll_interval": 0}),
        ("poll_interval", {"poll_interval": "1"}),
        ("max_poll_interval", {"max_poll_interval": True}),
    ],
)
async def test_wait_refuses_bad_seconds_before_polling(
    profile: ApiProfile, name: str, kwargs: dict[str, object]
) -> None:
    async with profile.client() as client:
        with pytest.raises(errors.InvalidRequestError) as info:
            await client.wait_for_execution("g", "e1", **kwargs)  # type: ignore[arg-type]
    assert info.value.errors[0].field == name
    assert profile.server.calls["get_execution"] == 0


async def test_wait_for_a_missing_execution_is_not_found(profile: ApiProfile) -> None:
    profile.seed_workflows(["g"])
    async with profile.client() as client:
        with pytest.raises(errors.NotFoundError):
            await client.wait_for_execution("g", "no-such-execution")
    assert profile.server.calls["get_execution"] == 1


async def test_start_and_wait(profile: ApiProfile, virtual: VirtualClock) -> None:
    def finish_all(_: float) -> None:
        for execution in profile.server.executions:
            if execution.state == "RUNNING":
                profile.server.complete(execution.execution_name)

    virtual.on_sleep = finish_all
    async with profile.client(runtime=virtual.runtime()) as client:
        done = await client.start_and_wait("g", "bkt", "a.mp4", {"k": "v"}, poll_interval=2)
    assert done.succeeded
    assert [e.execution_name for e in profile.server.executions] == [done.execution_name]
    assert profile.server.attempts["g"] == 1
    assert profile.server.calls["get_execution"] == 2 and virtual.sleeps == [2.0]


async def test_start_and_wait_times_out(profile: ApiProfile, virtual: VirtualClock) -> None:
    async with profile.client(runtime=virtual.runtime()) as client:
        with pytest.raises(errors.WaitTimeoutError):
            await client.start_and_wait("g", "bkt", "a.mp4", timeout=3, poll_interval=1)
    assert profile.server.attempts["g"] == 1
    assert sum(virtual.sleeps) == 3.0


async def test_start_and_wait_start_refused(profile: ApiProfile) -> None:
    async with profile.client() as client:
        with pytest.raises(errors.InvalidRequestError):
            await client.start_and_wait("g", "Bad_Bucket!", "a.mp4")
    assert profile.server.calls["start"] == 0 and profile.server.calls["get_execution"] == 0
