"""pytest fixtures around :class:`FakeWorkflowServer`.

``obs_fake_server`` runs the fake in a background thread, so it works in plain
tests, in ``pytest-asyncio`` tests and with any other async plugin::

    async def test_my_service(obs_fake_server):
        async with AsyncWorkflowClient(**obs_fake_server.client_kwargs()) as client:
            await my_service.process(client, "videos/a.mp4")
        assert [e.object_key for e in obs_fake_server.executions] == ["videos/a.mp4"]
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import FakeWorkflowServer


@pytest.fixture
def obs_fake_server() -> Iterator[FakeWorkflowServer]:
    """A fresh fake workflow server (new state, random port) for each test."""
    with FakeWorkflowServer().run_in_thread() as server:
        yield server
