"""The pytest plugin of obs-workflow-async, kept cheap to load.

pytest loads every installed ``pytest11`` plugin at start-up, in every project of
the environment. This module is that entry point, so it imports nothing but
pytest: the package (aiohttp, pydantic) and the fake server are imported when a
test first asks for the ``obs_fake_server`` fixture, not before. It sits outside
the package because importing ``obs_workflow_async.testing.pytest_plugin`` would
import ``obs_workflow_async`` first (hypothesis ships its plugin the same way).

The public name stays ``obs_workflow_async.testing.pytest_plugin``, for
``pytest_plugins = [...]`` in a conftest when plugin autoloading is off.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from obs_workflow_async.testing.dwr_server import FakeDwrServer
    from obs_workflow_async.testing.server import FakeWorkflowServer

__all__ = ["dwr_fake_server", "obs_fake_server"]


@pytest.fixture
def obs_fake_server(request: pytest.FixtureRequest) -> Iterator[FakeWorkflowServer]:
    """A fresh fake workflow server (new state, random port) for each test.

    It runs in a background thread, so it works in plain tests, in
    ``pytest-asyncio`` tests (strict or auto mode) and with any other async plugin.
    The v2 API by default; ``@pytest.mark.parametrize("obs_fake_server", ["v2", "v3"],
    indirect=True)`` starts either (``"v3"``: a ``FakeDwrServer``).
    """
    from obs_workflow_async.testing.dwr_server import FakeDwrServer
    from obs_workflow_async.testing.server import FakeWorkflowServer

    api = getattr(request, "param", "v2")
    if api not in ("v2", "v3"):
        raise ValueError(f"obs_fake_server takes 'v2' or 'v3', not {api!r}")
    server = FakeDwrServer() if api == "v3" else FakeWorkflowServer()
    with server.run_in_thread():
        yield server


@pytest.fixture
def dwr_fake_server() -> Iterator[FakeDwrServer]:
    """A fresh fake DWR v3 server: ``AsyncDwrClient(**dwr_fake_server.dwr_client_kwargs())``."""
    from obs_workflow_async.testing.dwr_server import FakeDwrServer

    server = FakeDwrServer()
    with server.run_in_thread():
        yield server
