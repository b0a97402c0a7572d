"""Test helpers shipped to users: a fake OBS workflow server and pytest fixtures.

``FakeWorkflowServer`` is a real HTTP server on loopback that checks signatures
like the service. The pytest plugin (registered through the ``pytest11`` entry
point, or ``pytest_plugins = ["obs_workflow_async.testing.pytest_plugin"]``)
provides the ``obs_fake_server`` fixture.
"""

from .server import Execution, FakeWorkflowServer, Fault, RecordedRequest, verify_signature

__all__ = ["Execution", "FakeWorkflowServer", "Fault", "RecordedRequest", "verify_signature"]
