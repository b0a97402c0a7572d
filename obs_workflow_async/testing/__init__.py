"""Test helpers shipped to users: a fake OBS workflow server and pytest fixtures.

``FakeWorkflowServer`` is a real HTTP server on loopback that checks signatures
like the service. Its parts: :mod:`.server` (the app, lifecycle, recording),
:mod:`.routes` (the URL table), :mod:`.faults` (injected faults), :mod:`.signature`
(signature checking), :mod:`.replies` (answers in the service's shape), :mod:`.state`
(the in-memory store); :mod:`.faultproxy` is a fault-injecting TCP proxy and
:mod:`.mock` an in-memory transport.

The pytest plugin (registered through the ``pytest11`` entry point, or
``pytest_plugins = ["obs_workflow_async.testing.pytest_plugin"]``) provides the
``obs_fake_server`` fixture.

The names below are imported on first use: importing one part (``.signature``,
``.mock``) does not start the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .dwr_server import DwrClientKwargs, FakeDwrServer
    from .faults import Fault
    from .routes import Operation
    from .server import ClientKwargs, FakeWorkflowServer, RecordedRequest
    from .signature import verify_signature
    from .state import Execution, ServiceError, WorkflowStore

_EXPORTS: dict[str, str] = {
    "ClientKwargs": ".server",
    "DwrClientKwargs": ".dwr_server",
    "Execution": ".state",
    "FakeDwrServer": ".dwr_server",
    "FakeWorkflowServer": ".server",
    "Fault": ".faults",
    "Operation": ".routes",
    "RecordedRequest": ".server",
    "ServiceError": ".state",
    "WorkflowStore": ".state",
    "verify_signature": ".signature",
}

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

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
