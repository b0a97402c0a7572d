"""The one-coroutine call (``_fast_path``) reads every kind of answer body as the full
path does, sends the per-session headers, never holds its slot through a retry, and
tells "failed before a connection" from the exception alone."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket

import aiohttp
import pytest

from obs_workflow_async import (
    AsyncWorkflowClient,
    RequestTimeoutError,
    TransportError,
    may_have_started,
)
from obs_workflow_async._aiohttp_transport import WRAPPING_REQUEST, request_of
from obs_workflow_async._config import Runtime
from obs_workflow_async._connections import failed_connecting
from obs_workflow_async._fast_path import FastPath
from tests.support.scripted_server import STARTED, Request, ScriptedServer, api_client
from tests.support.waiting import RecordedPauses


def _chunked(body: bytes) -> bytes:
    half = len(body) // 2
    parts = (body[:half], body[half:])
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


# Every way an answer's body can come: sized, chunked (no length), gzip sized and
# chunked, and until the connection closes.
def _sized(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


BODIES = {
    "sized": lambda: _sized(STARTED),
    "chunked": lambda: b"Transfer-Encoding: chunked\r\n\r\n" + _chunked(STARTED),
    "gzip": lambda: b"Content-Encoding: gzip\r\n" + _sized(gzip.compress(STARTED)),
    "gzip-chunked": lambda: (
        b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
        + _chunked(gzip.compress(STARTED))
    ),
    "until-close": lambda: b"Connection: close\r\n\r\n" + STARTED,
}


def _script(kind: str) -> object:
    async def script(request: Request) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        request.writer.write(head + BODIES[kind]())
        await request.writer.drain()
        if kind == "until-close":
            request.writer.close()

    return script


@pytest.mark.parametrize("api", ["v2", "v3"])
@pytest.mark.parametrize("kind", sorted(BODIES))
async def test_every_body_reads_as_on_the_full_path(api: str, kind: str) -> None:
    async with ScriptedServer(_script(kind)) as server:  # type: ignore[arg-type]
        async with api_client(api, server.url) as fast:
            assert isinstance(fast._core.pipeline._fast, FastPath)
            quick = await fast.start_workflow("graph", "bucket", "a.mp4")
        async with api_client(api, server.url, hooks=[lambda event: None]) as full:
            assert full._core.pipeline._fast is None
            slow = await full.start_workflow("graph", "bucket", "a.mp4")
    assert quick == slow
    assert quick.execution_name == "e1"


@pytest.mark.parametrize("api", ["v2", "v3"])
@pytest.mark.parametrize("reuse", [False, True])
async def test_session_headers_are_sent_on_every_start(api: str, reuse: bool) -> None:
    script = _script("sized")
    async with (
        ScriptedServer(script) as server,  # type: ignore[arg-type]
        api_client(api, server.url, reuse_connections_for_starts=reuse) as client,
    ):
        await client.start_workflow("graph", "bucket", "a.mp4")
        await client.start_workflow("graph", "bucket", "b.mp4")
    assert len(server.requests) == 2
    for request in server.requests:
        assert request.headers["accept-encoding"] == "gzip, deflate"
        assert "user-agent" in request.headers
        if reuse:
            assert request.headers.get("connection", "").lower() != "close"
        else:
            assert request.headers["connection"].lower() == "close"
    if not reuse:
        assert len({r.connection for r in server.requests}) == 2


async def test_a_borrowed_session_gets_the_headers_per_request() -> None:
    script = _script("gzip")
    async with (
        ScriptedServer(script) as server,  # type: ignore[arg-type]
        aiohttp.ClientSession() as session,
    ):
        client = AsyncWorkflowClient(
            server=server.url, access_key_id="AK", secret_access_key="SK", session=session
        )
        async with client:
            result = await client.start_workflow("graph", "bucket", "a.mp4")
    assert result.execution_name == "e1"  # decoded by us (auto_decompress off per request)
    assert server.requests[0].headers["accept-encoding"] == "gzip, deflate"


def _refusing_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # closed again: connecting is refused


@pytest.mark.parametrize("api", ["v2", "v3"])
async def test_a_retry_after_a_failed_first_attempt_gets_the_only_slot(api: str) -> None:
    """The first attempt (fast path) fails before sending; the retry loop needs the one
    connection slot: the fast path must have given it back (else: wait for ever)."""
    url = f"http://127.0.0.1:{_refusing_port()}"
    pauses = RecordedPauses()  # the backoff is not what this is about: no waiting it out
    runtime = Runtime(sleep=pauses)
    async with api_client(api, url, max_connections=1, max_retries=2, runtime=runtime) as client:
        with pytest.raises(TransportError) as caught:
            await asyncio.wait_for(client.start_workflow("graph", "bucket", "a.mp4"), 60)
    assert caught.value.retries_taken == 2
    assert len(pauses.seconds) == 2  # a backoff pause before each retry
    assert not caught.value.request_sent
    assert not may_have_started(caught.value)


async def test_a_connect_that_never_completes_is_not_sent() -> None:
    """The attempt's total runs out while connecting (a listener that never accepts,
    its backlog full): nothing was written, the error says so."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    try:
        for _ in range(8):  # fill the backlog: further connects hang in SYN
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(listener.getsockname())
            fillers.append(filler)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        async with api_client("v2", url, timeout=0.5, max_retries=0) as client:
            try:
                await client.start_workflow("graph", "bucket", "a.mp4")
            except RequestTimeoutError as exc:
                assert not exc.request_sent
                assert not may_have_started(exc)
            except TransportError as exc:  # a kernel that refuses instead of hanging
                assert not exc.request_sent
            else:  # pragma: no cover
                pytest.fail("a start with nobody accepting succeeded")
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


async def _total_runs_out_mid_connect() -> BaseException:
    """What aiohttp raises when a request's total timeout fires while connecting (a
    bare ``TimeoutError``, not its connect timeout)."""

    class Stuck(aiohttp.TCPConnector):
        async def _create_connection(self, *args: object, **kwargs: object) -> object:  # type: ignore[override]
            await asyncio.sleep(30)
            raise AssertionError("not cancelled")

    async with aiohttp.ClientSession(connector=Stuck()) as session:
        try:
            await session.get("http://127.0.0.1:9/", timeout=aiohttp.ClientTimeout(total=0.2))
        except asyncio.TimeoutError as exc:
            return exc
    raise AssertionError("the request did not time out")


async def test_failed_connecting_reads_the_exception_chain() -> None:
    exc = await _total_runs_out_mid_connect()
    assert not isinstance(exc, aiohttp.ConnectionTimeoutError)  # not judged by its type
    assert failed_connecting(exc)
    assert not failed_connecting(TimeoutError())  # no traceback through connect


def test_failed_connecting_outside_connect_is_false() -> None:
    try:
        raise OSError("after the request was written")
    except OSError as exc:
        assert not failed_connecting(exc)


def test_this_aiohttp_is_sent_on_without_the_request_wrapper() -> None:
    """aiohttp 3.10 to 3.14: ``ClientSession.request`` only wraps ``_request``, so the
    client awaits ``_request`` itself (``request_of``)."""
    assert WRAPPING_REQUEST is aiohttp.ClientSession.request
    session = aiohttp.ClientSession.__new__(aiohttp.ClientSession)  # never opened
    assert request_of(session) == session._request


@pytest.mark.parametrize("api", ["v2", "v3"])
@pytest.mark.parametrize("name", ["request", "_request"])
@pytest.mark.parametrize("borrowed", [False, True])
async def test_a_replaced_request_is_the_one_called(
    api: str, name: str, borrowed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ClientSession.request`` (or ``_request``, as aioresponses patches it) replaced
    after import sees every start, on the client's own sessions and a borrowed one:
    the client calls ``_request`` itself only where ``request`` is aiohttp's own."""
    calls: list[str] = []
    original = getattr(aiohttp.ClientSession, name)

    def replaced(self: aiohttp.ClientSession, method: str, url: object, **kwargs: object) -> object:
        calls.append(method)
        return original(self, method, url, **kwargs)

    monkeypatch.setattr(aiohttp.ClientSession, name, replaced)
    async with ScriptedServer(_script("sized")) as server:  # type: ignore[arg-type]
        session = aiohttp.ClientSession() if borrowed else None
        try:
            async with api_client(api, server.url, session=session) as client:
                result = await client.start_workflow("graph", "bucket", "a.mp4")
        finally:
            if session is not None:
                await session.close()
    assert result.execution_name == "e1"
    assert calls == ["POST"]
    assert len(server.requests) == 1
