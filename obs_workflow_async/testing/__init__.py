"""Test helpers shipped to users: a fake OBS workflow server and pytest fixtures.

``FakeWorkflowServer`` is a real HTTP server on loopback that checks signatures
like the service. The pytest plugin (registered through the ``pytest11`` entry
point, or ``pytest_plugins = ["obs_workflow_async.testing.pytest_plugin"]``)
provides the ``obs_fake_server`` fixture.
"""

from .dwr_server import DwrClientKwargs, FakeDwrServer
from .server import (
    ClientKwargs,
    FakeWorkflowServer,
    Fault,
    Operation,
    RecordedRequest,
    verify_signature,
)
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
