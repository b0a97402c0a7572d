"""OBS_WORKFLOW_LOG turns debug logging on (read at client creation, never at import);
records carry structured fields."""

from __future__ import annotations

import logging

import pytest

from obs_workflow_async import AsyncWorkflowClient
from obs_workflow_async._logs import LOGGER_NAME, configure_from_env
from obs_workflow_async.testing.mock import MockResponse, MockTransport

STARTED = {"execution_urn": "urn:x", "execution_name": "e1", "started_at": "2026-01-01T00:00:00Z"}


@pytest.fixture
def clean_logger() -> object:
    logger = logging.getLogger(LOGGER_NAME)
    level, handlers = logger.level, list(logger.handlers)
    yield logger
    logger.setLevel(level)
    logger.handlers[:] = handlers


def test_the_switch_is_read_when_a_client_is_created(clean_logger: logging.Logger) -> None:
    clean_logger.setLevel(logging.WARNING)
    before = len(clean_logger.handlers)
    AsyncWorkflowClient(
        server="https://obs.example.com",
        access_key_id="a",
        secret_access_key="b",
        environ={"OBS_WORKFLOW_LOG": "debug"},
    )
    assert clean_logger.level == logging.DEBUG
    assert len(clean_logger.handlers) == before + 1
    configure_from_env({"OBS_WORKFLOW_LOG": "debug"})  # a second client adds no handler
    assert len(clean_logger.handlers) == before + 1
    assert configure_from_env({}) is None
    assert configure_from_env({"OBS_WORKFLOW_LOG": "loud"}) is None


async def test_records_carry_structured_fields(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    answers = [
        MockResponse(503, headers={"Retry-After": "0"}),
        MockResponse(200, json=STARTED, headers={"X-Request-Id": "rid-1"}),
    ]
    transport = MockTransport(lambda request: answers.pop(0))
    async with AsyncWorkflowClient(
        server="https://obs.example.com",
        access_key_id="a",
        secret_access_key="b",
        transport=transport,
    ) as client:
        await client.start_workflow("my-graph", "media", "k")
    records = [
        r for r in caplog.records if r.name.startswith(LOGGER_NAME) and hasattr(r, "operation")
    ]
    assert {r.operation for r in records} == {"start_workflow"}  # type: ignore[attr-defined]
    assert {r.graph_name for r in records} == {"my-graph"}  # type: ignore[attr-defined]
    ok = [r for r in records if getattr(r, "status", None) == 200]
    assert len(ok) == 1 and ok[0].request_id == "rid-1" and ok[0].attempt == 2  # type: ignore[attr-defined]
    assert isinstance(ok[0].elapsed, float)  # type: ignore[attr-defined]
    retry = [r for r in records if hasattr(r, "delay")]
    assert len(retry) == 1 and retry[0].error == "ServiceUnavailableError"  # type: ignore[attr-defined]
