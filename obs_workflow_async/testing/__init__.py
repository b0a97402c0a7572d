"""Test helpers shipped to users: a fake OBS workflow server and pytest fixtures.

``FakeWorkflowServer`` is a real HTTP server on loopback that checks signatures
like the service. Its parts: :mod:`.server` (the app, lifecycle, recording),
:mod:`.routes` (the URL table), :mod:`.faults` (injected faults), :mod:`.signature`
(signature checking), :mod:`.replies` (answers in the service's shape), :mod:`.state`
(the in-memory store); :mod:`.faultproxy` is a fault-injecting TCP proxy and
:mod:`.mock` an in-memory sender.

The pytest plugin (registered through the ``pytest11`` entry point, or
``pytest_plugins = ["obs_workflow_async.testing.pytest_plugin"]``) provides the
``obs_fake_server`` fixture.
"""

from .dwr_server import DwrClientKwargs, FakeDwrServer
from .faults import Fault
from .routes import Operation
from .server import ClientKwargs, FakeWorkflowServer, RecordedRequest
from .signature import verify_signature
from .state import Execution, ServiceError, WorkflowStore

__all__ = [
    "ClientKwargs",
    "DwrClientKwargs",
    "Execution",
    "FakeDwrServer",
    "FakeWorkflowServer",
    "Fault",
    "Operation",
    "RecordedRequest",
    "ServiceError",
    "WorkflowStore",
    "verify_signature",
]
