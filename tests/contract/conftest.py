"""The contract suite: every test that takes ``obs_fake_server`` runs once per API.

``profile`` is the API's :class:`~tests.contract.differences.ApiProfile`; ``runtime`` a
virtual clock (:class:`VirtualClock`) that sleeps by moving time forward, so waits and
retry backoff run at once and the scenarios assert schedules, not wall-clock time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from obs_workflow_async import Runtime
from obs_workflow_async.testing import FakeWorkflowServer
from obs_workflow_async.testing.dwr_server import FakeDwrServer

from .differences import APIS, ApiProfile


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "obs_fake_server" in metafunc.fixturenames:
        metafunc.parametrize("obs_fake_server", APIS, indirect=True)


@pytest.fixture
def profile(obs_fake_server: FakeWorkflowServer) -> ApiProfile:
    api = "v3" if isinstance(obs_fake_server, FakeDwrServer) else "v2"
    return ApiProfile(api, obs_fake_server)


class VirtualClock:
    """``clock`` and ``sleep`` of a :class:`Runtime`: a sleep moves the clock forward
    (and yields to the loop once); ``on_sleep`` runs before each sleep returns."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.on_sleep: Callable[[float], object] | None = None

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(seconds)
        await asyncio.sleep(0)

    def runtime(self) -> Runtime:
        return Runtime(clock=self.clock, sleep=self.sleep, random=lambda: 0.5)


@pytest.fixture
def virtual() -> VirtualClock:
    return VirtualClock()
