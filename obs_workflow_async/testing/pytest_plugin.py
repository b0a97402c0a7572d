"""pytest fixtures around ``FakeWorkflowServer``.

``obs_fake_server`` runs the fake in a background thread, so it works in plain
tests, in ``pytest-asyncio`` tests and with any other async plugin::

    async def test_my_service(obs_fake_server):
        async with AsyncWorkflowClient(**obs_fake_server.client_kwargs()) as client:
            await my_service.process(client, "videos/a.mp4")
        assert [e.object_key for e in obs_fake_server.executions] == ["videos/a.mp4"]

Installing the package registers the plugin through the ``pytest11`` entry point,
which names the small top-level module ``_obs_workflow_async_pytest``: it imports
nothing but pytest, and the fake server is imported when a test first uses the
fixture. With plugin autoloading off, list this module in a conftest:
``pytest_plugins = ["obs_workflow_async.testing.pytest_plugin"]``.
"""

from __future__ import annotations

from _obs_workflow_async_pytest import dwr_fake_server, obs_fake_server

__all__ = ["dwr_fake_server", "obs_fake_server"]
