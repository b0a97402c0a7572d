"""Safe defaults inside a web request: a server-requested wait is capped per retry
(``retry_after_cap``) and one call sleeps at most ``max_retry_wait`` in total.

Time is the client's injected :class:`Runtime` clock and sleep: the sleeps are
recorded, never slept; attempts are counted on the server side.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from obs_workflow_async import AsyncWorkflowClient, ServiceUnavailableError
from obs_workflow_async._config import (
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_RETRY_AFTER_CAP,
    RetryConfig,
    Runtime,
)
from obs_workflow_async.errors import InvalidRequestError
from obs_workflow_async.testing import FakeWorkflowServer, Fault

MakeClient = Callable[..., AsyncWorkflowClient]


class FakeTime:
    """A monotonic clock that moves only when the client sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def runtime(self) -> Runtime:
        return Runtime(clock=self.clock, sleep=self.sleep, random=lambda: 0.0)


async def test_503_retry_after_7_sleeps_once_under_the_defaults(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    """The issue's case: 503 + Retry-After: 7 took 21 s (three 7 s sleeps); now one."""
    time = FakeTime()
    fake.add_fault(Fault("status", status=503, retry_after="7"), times=None)
    client = make_client(runtime=time.runtime())
    with pytest.raises(ServiceUnavailableError) as caught:
        await client.start_workflow("g", "my-bucket", "k")
    assert time.slept == [7.0]
    assert sum(time.slept) <= DEFAULT_MAX_RETRY_WAIT
    assert fake.attempts["g"] == 2
    assert caught.value.retry_after == 7.0  # for the web handler's own Retry-After


async def test_no_total_budget_gives_the_old_worst_case(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    time = FakeTime()
    fake.add_fault(Fault("status", status=503, retry_after="7"), times=None)
    client = make_client(runtime=time.runtime(), max_retry_wait=None)
    with pytest.raises(ServiceUnavailableError):
        await client.start_workflow("g", "my-bucket", "k")
    assert time.slept == [7.0, 7.0, 7.0]
    assert fake.attempts["g"] == 4


async def test_retry_after_over_the_cap_is_not_waited_for(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    time = FakeTime()
    over = DEFAULT_RETRY_AFTER_CAP + 1
    fake.add_fault(Fault("status", status=503, retry_after=str(over)), times=None)
    client = make_client(runtime=time.runtime())
    with pytest.raises(ServiceUnavailableError) as caught:
        await client.start_workflow("g", "my-bucket", "k")
    assert time.slept == []
    assert fake.attempts["g"] == 1
    assert caught.value.retry_after == over


async def test_both_bounds_are_configurable(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    time = FakeTime()
    fake.add_fault(Fault("status", status=503, retry_after="30"), times=2)
    client = make_client(runtime=time.runtime(), retry_after_cap=30, max_retry_wait=60)
    result = await client.start_workflow("g", "my-bucket", "k")
    assert result.execution_name
    assert time.slept == [30.0, 30.0]
    assert fake.attempts["g"] == 3


async def test_per_call_budget_overrides_the_client(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    time = FakeTime()
    fake.add_fault(Fault("status", status=503, retry_after="2"), times=None)
    client = make_client(runtime=time.runtime())
    with pytest.raises(ServiceUnavailableError):
        await client.start_workflow("g", "my-bucket", "k", max_retry_wait=3)
    assert time.slept == [2.0]  # a second 2 s sleep would make 4 s > 3 s


async def test_backoff_is_not_cut_by_the_default_budget(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    """Without Retry-After, the default backoff (0.5, 1, 2 s, jitter up to x1) fits."""
    time = FakeTime()
    fake.add_fault(Fault("status", status=503), times=3)
    client = make_client(runtime=Runtime(clock=time.clock, sleep=time.sleep, random=lambda: 0.99))
    await client.start_workflow("g", "my-bucket", "k")
    assert len(time.slept) == 3
    assert fake.attempts["g"] == 4


def test_bad_bounds_are_refused() -> None:
    with pytest.raises(InvalidRequestError, match="max_retry_wait"):
        RetryConfig(max_retry_wait=-1)
    with pytest.raises(InvalidRequestError, match="retry_after_cap"):
        RetryConfig(retry_after_cap=float("nan"))
