"""The flat first attempt (``_fast_path``) hands every unusual case to the retry loop,
with the same results and errors: counted on a scripted loopback server."""

from __future__ import annotations

import logging

import pytest

from obs_workflow_async import (
    AsyncWorkflowClient,
    NotFoundError,
    ServerError,
    TransportError,
    may_have_started,
)
from obs_workflow_async._fast_path import FastPath
from obs_workflow_async.dwr import AsyncDwrClient
from tests.support.scripted_server import STARTED, Request, ScriptedServer, answer, api_client


def _answers(*statuses: str) -> tuple[list[str], object]:
    """A script answering each request with the next status (the last one repeats)."""
    left = list(statuses)

    async def script(request: Request) -> None:
        status = left.pop(0) if len(left) > 1 else left[0]
        body = STARTED if status.startswith("200") else b'{"error_code": "X", "error_msg": "m"}'
        request.writer.write(answer(status, body))
        await request.writer.drain()

    return left, script


def _uses_fast_path(client: AsyncWorkflowClient | AsyncDwrClient) -> bool:
    fast = client._core.pipeline._fast  # private: which path a call takes
    return isinstance(fast, FastPath)


@pytest.mark.parametrize("api", ["v2", "v3"])
async def test_a_first_attempt_refused_is_retried_by_the_loop(api: str) -> None:
    _, script = _answers("503 Service Unavailable", "200 OK")
    async with ScriptedServer(script) as server, api_client(api, server.url) as client:
        assert _uses_fast_path(client)
        result = await client.start_workflow("graph", "bucket", "a.mp4")
    assert result.execution_name == "e1"
    assert result.retries_taken == 1
    assert [r.method for r in server.requests] == ["POST", "POST"]


@pytest.mark.parametrize("api", ["v2", "v3"])
async def test_an_ambiguous_first_attempt_is_not_resent(api: str) -> None:
    _, script = _answers("500 Internal Server Error")
    async with ScriptedServer(script) as server, api_client(api, server.url) as client:
        with pytest.raises(ServerError) as caught:
            await client.start_workflow("graph", "bucket", "a.mp4")
    assert may_have_started(caught.value)
    assert caught.value.retries_taken == 0
    assert len(server.requests) == 1


@pytest.mark.parametrize("api", ["v2", "v3"])
async def test_a_definite_failure_is_raised_at_once(api: str) -> None:
    _, script = _answers("404 Not Found")
    async with ScriptedServer(script) as server, api_client(api, server.url) as client:
        with pytest.raises(NotFoundError):
            await client.start_workflow("graph", "bucket", "a.mp4")
    assert len(server.requests) == 1


async def test_a_connection_lost_after_sending_is_ambiguous() -> None:
    async def script(request: Request) -> None:
        request.writer.transport.abort()  # read the start, answer nothing

    async with ScriptedServer(script) as server, api_client("v2", server.url) as client:
        with pytest.raises(TransportError) as caught:
            await client.start_workflow("graph", "bucket", "a.mp4")
    assert caught.value.request_sent
    assert may_have_started(caught.value)
    assert len(server.requests) == 1


async def test_debug_logging_gives_the_same_result(caplog: pytest.LogCaptureFixture) -> None:
    _, script = _answers("200 OK")
    async with ScriptedServer(script) as server, api_client("v2", server.url) as client:
        quiet = await client.start_workflow("graph", "bucket", "a.mp4")
        with caplog.at_level(logging.DEBUG, logger="obs_workflow_async._pipeline"):
            logged = await client.start_workflow("graph", "bucket", "a.mp4")
    assert logged.execution_name == quiet.execution_name == "e1"
    assert logged.retries_taken == quiet.retries_taken == 0
    assert any("-> 200" in record.getMessage() for record in caplog.records)


async def test_hooks_and_deadlines_take_the_full_loop() -> None:
    events: list[str] = []
    _, script = _answers("200 OK")
    async with ScriptedServer(script) as server:
        async with api_client("v2", server.url, hooks=[lambda e: events.append(e.kind)]) as hooked:
            assert not _uses_fast_path(hooked)
            await hooked.start_workflow("graph", "bucket", "a.mp4")
        async with api_client("v2", server.url, deadline=30.0) as bounded:
            result = await bounded.start_workflow("graph", "bucket", "a.mp4")
    assert events == ["call_started", "attempt_started", "attempt_finished", "call_finished"]
    assert result.execution_name == "e1"
    assert len(server.requests) == 2
