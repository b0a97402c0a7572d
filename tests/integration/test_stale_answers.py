"""A connection never hands one request's answer to another (issue 17).

A server (or a proxy) that sends an unsolicited second answer on a kept-alive
connection: ``tests/support/stale_server.py`` acts on every start it reads and
answers it (``exec-<object>``), then writes an extra 200 / 503 / 400 on the same
connection 20-50 ms later. Counted on the server: no object is started twice,
every success names its own execution and was read by the server, every definite
failure is for a start the server never read. Nothing here depends on timing: the
delays only decide where the extra bytes land, and the invariants hold wherever
they do.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from yarl import URL

from obs_workflow_async import (
    ObsWorkflowError,
    StartOutcome,
    StartRequest,
    Timeout,
    may_have_started,
)
from obs_workflow_async._aiohttp_transport import AiohttpTransport
from obs_workflow_async._config import parse_endpoint
from obs_workflow_async._retry import Failure
from obs_workflow_async.transport import PreparedRequest, SendError
from tests.support.scripted_server import STARTED, Request, ScriptedServer, answer, api_client
from tests.support.stale_server import StaleServer
from tests.support.waiting import until

OBJECTS = 100
SINGLE = 10


def _check(server: StaleServer, key: str, name: str | None, error: ObsWorkflowError | None) -> None:
    if error is None:  # a success is this start's own answer, for a start the server read
        assert name == f"exec-{key}", (key, name)
        assert server.received[key] == 1
    elif not may_have_started(error):  # safe to resend only if the server never read it
        assert server.received[key] == 0, (key, error)


@pytest.mark.parametrize("sequential", [False, True], ids=["timer", "sequential"])
@pytest.mark.parametrize("stale", ["200", "503", "400"])
@pytest.mark.parametrize("api", ["v2", "v3"])
async def test_start_many_never_reads_a_stale_answer(
    api: str, stale: str, sequential: bool
) -> None:
    async with StaleServer(stale, sequential=sequential) as server:
        keys = [f"obj-{n}" for n in range(OBJECTS)]
        items = [StartRequest(graph_name="g", bucket="media", object_key=k) for k in keys]
        outcomes: list[StartOutcome]
        async with api_client(api, server.url) as client:
            outcomes = await client.start_all(items, concurrency=4)
    assert len(outcomes) == OBJECTS
    for outcome in outcomes:
        assert outcome.request is not None
        name = outcome.result.execution_name if outcome.result is not None else None
        _check(server, outcome.request.object_key, name, outcome.error)
    assert [k for k, n in server.received.items() if n > 1] == []  # 0 started twice


@pytest.mark.parametrize("stale", ["200", "503", "400"])
@pytest.mark.parametrize("api", ["v2", "v3"])
async def test_sequential_starts_never_read_a_stale_answer(api: str, stale: str) -> None:
    async with StaleServer(stale, sequential=True) as server, api_client(api, server.url) as client:
        for n in range(SINGLE):
            key = f"one-{n}"
            try:
                result = await client.start_workflow("g", "media", key)
            except ObsWorkflowError as exc:
                _check(server, key, None, exc)
            else:
                _check(server, key, result.execution_name, None)
    assert [k for k, n in server.received.items() if n > 1] == []


# -- the pooled connections of idempotent calls ----------------------------------------


def _sender(url: str) -> AiohttpTransport:
    return AiohttpTransport(
        endpoint=parse_endpoint(url),
        verify=True,
        max_connections=4,
        keepalive_timeout=60,
        user_agent="test",
    )


def _get(url: str, path: str) -> PreparedRequest:
    return PreparedRequest("GET", URL(url + path), None, dict)


def _numbered(request: Request) -> bytes:
    body = json.dumps({"path": request.path, "connection": request.connection}).encode()
    return answer("200 OK", body)


async def test_a_connection_that_received_bytes_while_idle_is_never_reused() -> None:
    release = asyncio.Event()

    async def script(request: Request) -> None:
        request.writer.write(_numbered(request))
        if request.path == "/first":
            await request.writer.drain()
            await release.wait()  # the client holds the idle connection by now
            request.writer.write(answer("200 OK", b'{"stale": true}'))

    async with ScriptedServer(script) as server:
        transport = _sender(server.url)
        try:
            first = await transport.send(_get(server.url, "/first"), Timeout(total=5), None)
            assert json.loads(first.body) == {"path": "/first", "connection": 1}
            release.set()
            # the client closes the connection as the stray answer arrives
            await until(lambda: 1 in server.closed_by_client)
            second = await transport.send(_get(server.url, "/second"), Timeout(total=5), None)
        finally:
            await transport.aclose()
    assert json.loads(second.body) == {"path": "/second", "connection": 2}
    assert server.connections == 2


async def test_a_second_answer_within_one_exchange_makes_it_ambiguous() -> None:
    """The first answer is cut before its end; the end arrives with another answer."""

    async def script(request: Request) -> None:
        body = b'{"mine": true}'
        head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        head += "Transfer-Encoding: chunked\r\n\r\n"
        request.writer.write(head.encode() + f"{len(body):x}\r\n".encode() + body + b"\r\n")
        await request.writer.drain()
        request.writer.write(b"0\r\n\r\n" + answer("200 OK", b'{"other": true}'))

    async with ScriptedServer(script) as server:
        transport = _sender(server.url)
        try:
            with pytest.raises(SendError) as caught:
                await transport.send(_get(server.url, "/x"), Timeout(total=5), None)
        finally:
            await transport.aclose()
    assert caught.value.failure is Failure.AMBIGUOUS
    assert caught.value.request_sent
    assert "another request" in caught.value.message


@pytest.mark.parametrize("api", ["v2", "v3"])
async def test_a_start_whose_connection_carries_two_answers_may_have_started(api: str) -> None:
    async def script(request: Request) -> None:
        request.writer.write(answer("200 OK", STARTED) + answer("503 Service Unavailable", b"{}"))

    async with ScriptedServer(script) as server, api_client(api, server.url) as client:
        with pytest.raises(ObsWorkflowError) as caught:
            await client.start_workflow("g", "media", "k")
    assert may_have_started(caught.value)
    assert server.received["k"] == 1
