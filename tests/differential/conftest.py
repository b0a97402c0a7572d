"""The official SDK is the oracle here; skip cleanly if it is not installed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from obs_workflow_async.testing import FakeWorkflowServer
from tests.conftest import ACCESS_KEY, SECRET, TOKEN

pytest.importorskip("obs", reason="esdk-obs-python (the differential oracle) is not installed")

from obs import WorkflowClient


@pytest.fixture(scope="module")
def server() -> Iterator[FakeWorkflowServer]:
    """One fake service per test module, in a thread (the SDK is synchronous)."""
    fake = FakeWorkflowServer(
        access_key_id=ACCESS_KEY, secret_access_key=SECRET, security_token=TOKEN
    )
    with fake.run_in_thread() as running:
        yield running


def sdk_client(server: FakeWorkflowServer, mode: str, max_retry_count: int = 3) -> WorkflowClient:
    """The official client for ``server`` with the test credentials.

    ``WorkflowClient`` is a process-wide singleton: each construction re-configures it.
    """
    return WorkflowClient(
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET,
        security_token=TOKEN,
        server=server.url,
        signature=mode,
        region="cn-north-4",
        max_retry_count=max_retry_count,
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.differential)
