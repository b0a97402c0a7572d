"""Held-out style attacks on the start path (fast and full): what may have been
written is never judged "not sent", and nothing waits for ever."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gzip
import os
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable

import aiohttp
import pytest
import trustme

from obs_workflow_async import (
    AsyncWorkflowClient,
    ClientClosedError,
    CredentialsError,
    ObsWorkflowError,
    Runtime,
    Timeout,
    TransportError,
    may_have_started,
)
from obs_workflow_async._body import MAX_RESPONSE_BYTES
from obs_workflow_async._connections import GuardedConnector, failed_connecting
from obs_workflow_async.credentials import Credentials, CredentialsCache, StaticProvider
from obs_workflow_async.dwr import AsyncDwrClient
from tests.support.scripted_server import STARTED, api_client


def _refusing_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def _after_writing_while_handling_a_connect_failure() -> BaseException:
    """A read timeout of a request the server has read whole, surfacing in a frame
    that is handling another request's connect failure (a caller's fallback)."""
    got, done = asyncio.Event(), asyncio.Event()

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await reader.readexactly(2)
        got.set()
        await done.wait()  # never answers
        writer.transport.abort()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    timeout = aiohttp.ClientTimeout(sock_read=0.2)
    try:
        async with (
            aiohttp.ClientSession(connector=GuardedConnector()) as session,
            aiohttp.ClientSession() as other,
        ):
            try:
                await other.get(f"http://127.0.0.1:{_refusing_port()}/")
            except aiohttp.ClientConnectorError:
                try:
                    await session.post(f"http://127.0.0.1:{port}/", data=b"{}", timeout=timeout)
                except aiohttp.ServerTimeoutError as exc:
                    assert got.is_set()  # the request was read by the server
                    return exc
    finally:
        done.set()
        server.close()
        await server.wait_closed()
        await asyncio.sleep(0.01)
    raise AssertionError("no timeout")  # pragma: no cover


async def test_failed_connecting_ignores_an_unrelated_handled_connect_failure() -> None:
    """Python chains the timeout (raised after the body was written) to the connect
    failure the awaiting frame was handling: that context is no evidence that this
    request failed while connecting (it would make a sent start "safe to resend")."""
    exc = await _after_writing_while_handling_a_connect_failure()
    assert exc.__context__ is not None  # the trap is armed
    assert not failed_connecting(exc)


# -- the fast path and the full path judge every hostile answer alike --------------------

Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)


def _ok(body: bytes = STARTED, extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + extra
        + b"Content-Length: %d\r\n\r\n" % len(body)
        + body
    )


async def _abort_on_accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.transport.abort()


async def _reset_after_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.transport.abort()


async def _close_after_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.close()


async def _half_head(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Le")
    await writer.drain()
    writer.close()


async def _half_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.write(_ok()[:-5])
    await writer.drain()
    writer.close()


async def _answer_then_hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.write(_ok()[:-5])
    await writer.drain()
    await asyncio.sleep(30)


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    await asyncio.sleep(30)


async def _slow_loris(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(0.02)


async def _continue_then_reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    await writer.drain()
    writer.transport.abort()


async def _continue_then_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n" + _ok())
    await writer.drain()


async def _early_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")  # answers before reading the body
    writer.write(_ok(extra=b"Connection: close\r\n"))
    await writer.drain()
    writer.close()


async def _long_length(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.write(_ok()[: -len(STARTED)].replace(b"Length: ", b"Length: 9") + STARTED)
    await writer.drain()
    writer.close()


async def _short_length(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n"
    writer.write(head + STARTED)
    await writer.drain()


@functools.cache
def _bomb() -> bytes:
    return gzip.compress(b"{" + b" " * (MAX_RESPONSE_BYTES + 1024 * 1024), compresslevel=9)


async def _gzip_bomb(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.write(_ok(_bomb(), b"Content-Encoding: gzip\r\n"))
    await writer.drain()


async def _unavailable(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    body = b'{"error_code":"X","error_msg":"busy"}'
    writer.write(
        b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Type: application/json"
        + b"\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    await writer.drain()


async def _throttled(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    body = b'{"error_code":"X","error_msg":"slow down"}'
    writer.write(
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Type: application/json"
        + b"\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    await writer.drain()


async def _internal(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.write(b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n")
    await writer.drain()


async def _twice(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.write(_ok() + _ok(STARTED.replace(b"e1", b"e2")))
    await writer.drain()


BEHAVIOURS: dict[str, Behaviour] = {
    f.__name__.lstrip("_"): f
    for f in (
        _abort_on_accept,
        _reset_after_body,
        _close_after_body,
        _half_head,
        _half_body,
        _answer_then_hang,
        _silent,
        _slow_loris,
        _continue_then_reset,
        _continue_then_ok,
        _early_answer,
        _long_length,
        _short_length,
        _gzip_bomb,
        _unavailable,
        _throttled,
        _internal,
        _twice,
    )
}


class _Hostile:
    """A raw server running ``behaviour`` on every connection; counts whole requests."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.tasks: set[asyncio.Task[None]] = set()
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.base_events.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        self.writers.append(writer)
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await self.behaviour(reader, writer)

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.transport.abort()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.server.wait_closed()


async def _verdict(api: str, behaviour: Behaviour, *, hooks: bool, retries: int) -> object:
    options: dict[str, object] = {
        "timeout": Timeout(total=0.6, connect=0.3, read=0.3),
        "max_retries": retries,
    }
    if hooks:
        options["hooks"] = [lambda event: None]
    async with _Hostile(behaviour) as url, api_client(api, url, **options) as client:
        assert (client._core.pipeline._fast is None) == hooks
        try:
            result = await asyncio.wait_for(client.start_workflow("graph", "bucket", "a.mp4"), 10)
        except ObsWorkflowError as exc:
            return (type(exc).__name__, may_have_started(exc), getattr(exc, "request_sent", None))
        return ("ok", result.execution_name)


MAY_HAVE_STARTED = {
    "reset_after_body",
    "close_after_body",
    "half_head",
    "half_body",
    "answer_then_hang",
    "silent",
    "slow_loris",
    "continue_then_reset",
    "gzip_bomb",
}
"""The server read the whole start and gave no usable answer: ambiguous, whatever path."""


@pytest.mark.parametrize("api", ["v2", "v3"])
@pytest.mark.parametrize("name", sorted(BEHAVIOURS))
async def test_fast_and_full_path_judge_a_hostile_server_alike(api: str, name: str) -> None:
    behaviour = BEHAVIOURS[name]
    fast = await _verdict(api, behaviour, hooks=False, retries=0)
    full = await _verdict(api, behaviour, hooks=True, retries=0)
    assert fast == full
    if name in MAY_HAVE_STARTED:
        assert isinstance(fast, tuple) and fast[0] != "ok" and fast[1] is True, fast


@pytest.mark.parametrize("name", ["abort_on_accept", "throttled", "unavailable", "internal"])
async def test_fast_and_full_path_retry_a_hostile_server_alike(name: str) -> None:
    """With retries (the fast path hands its failed first attempt to the retry loop)."""
    behaviour = BEHAVIOURS[name]
    fast = await _verdict("v2", behaviour, hooks=False, retries=1)
    full = await _verdict("v2", behaviour, hooks=True, retries=1)
    assert fast == full


# -- an error that says "nothing sent" never hides an earlier attempt ----------------------


@pytest.mark.parametrize("api", ["v2", "v3"])
@pytest.mark.parametrize("hooks", [False, True])
async def test_closing_the_client_while_a_sent_start_waits_to_retry(api: str, hooks: bool) -> None:
    """The first attempt was read whole by the server (then reset): it may have started
    the workflow. With ``retry_non_idempotent`` the call waits to retry; the client is
    closed meanwhile. The call must not end as ``ClientClosedError`` (which says
    "nothing sent, safe to resend")."""
    holder: list[AsyncWorkflowClient | AsyncDwrClient] = []

    async def close_instead_of_sleeping(delay: float) -> None:
        await holder[0].aclose()

    options: dict[str, object] = {
        "timeout": Timeout(total=2.0),
        "max_retries": 2,
        "retry_non_idempotent": True,
        "runtime": Runtime(sleep=close_instead_of_sleeping),
    }
    if hooks:
        options["hooks"] = [lambda event: None]
    async with _Hostile(_reset_after_body) as url:
        client = api_client(api, url, **options)
        holder.append(client)
        async with client:
            with pytest.raises(ObsWorkflowError) as caught:
                await asyncio.wait_for(client.start_workflow("graph", "bucket", "a.mp4"), 10)
    assert may_have_started(caught.value), repr(caught.value)
    assert isinstance(caught.value, TransportError)
    assert caught.value.request_sent
    assert isinstance(caught.value.__cause__, ClientClosedError)


class _ExpiringAfterFirstUse(CredentialsCache):
    """Credentials for the first attempt only; fetching them for a retry fails."""

    def __init__(self) -> None:
        super().__init__(StaticProvider(Credentials("AK", "SK")))
        self.used = False

    def fresh(self) -> Credentials | None:
        if self.used:
            return None
        self.used = True
        return Credentials("AK", "SK")

    async def get(self) -> Credentials:
        raise CredentialsError("the credentials expired and could not be refreshed")


@pytest.mark.parametrize("hooks", [False, True])
async def test_no_credentials_for_the_retry_of_a_sent_start(hooks: bool) -> None:
    """``CredentialsError`` says nothing was sent; raised for the retry of an attempt
    the server read whole, it must not hide that attempt."""
    cache = _ExpiringAfterFirstUse()
    async with _Hostile(_reset_after_body) as url:
        client = AsyncWorkflowClient(
            server=url,
            credentials=cache,
            timeout=Timeout(total=2.0),
            max_retries=2,
            retry_non_idempotent=True,
            runtime=Runtime(sleep=lambda delay: asyncio.sleep(0)),
            hooks=[lambda event: None] if hooks else (),
        )
        async with client:
            assert (client._core.pipeline._fast is None) == hooks
            with pytest.raises(ObsWorkflowError) as caught:
                await asyncio.wait_for(client.start_workflow("graph", "bucket", "a.mp4"), 10)
    assert cache.used
    assert may_have_started(caught.value), repr(caught.value)
    assert isinstance(caught.value.__cause__, CredentialsError)


# -- a pooled connection for starts: a stray answer never becomes the next start's --------


async def _sequence(hooks: bool, stray_after: float) -> list[object]:
    served = 0

    async def answer_then_stray(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        while True:
            await _read_request(reader)
            served += 1
            writer.write(_ok(STARTED.replace(b"e1", b"e%d" % served)))
            await writer.drain()
            if served == 1:  # then an answer nobody asked for, on the idle connection
                await asyncio.sleep(stray_after)
                writer.write(_ok(STARTED.replace(b"e1", b"stale")))
                await writer.drain()

    options: dict[str, object] = {
        "timeout": Timeout(total=2.0),
        "max_retries": 0,
        "reuse_connections_for_starts": True,
        "max_connections": 1,
    }
    if hooks:
        options["hooks"] = [lambda event: None]
    verdicts: list[object] = []
    async with _Hostile(answer_then_stray) as url, api_client("v2", url, **options) as client:
        for name in ("a.mp4", "b.mp4"):
            try:
                result = await asyncio.wait_for(client.start_workflow("graph", "bucket", name), 10)
            except ObsWorkflowError as exc:
                verdicts.append((type(exc).__name__, may_have_started(exc)))
            else:
                verdicts.append(result.execution_name)
            await asyncio.sleep(stray_after + 0.05)  # the stray arrives while idle
    return verdicts


@pytest.mark.parametrize("hooks", [False, True])
async def test_a_stray_answer_on_a_pooled_start_connection_is_nobodys(hooks: bool) -> None:
    verdicts = await _sequence(hooks, 0.02)
    assert verdicts[0] == "e1"
    assert "stale" not in verdicts, verdicts
    # the second start went on a new connection and got its own answer
    assert verdicts[1] == "e2", verdicts


# -- TLS: an error after the handshake is never a handshake failure ------------------------


def _tls_garbage_after_the_request(listener: socket.socket, context: ssl.SSLContext) -> None:
    """Accept one TLS connection, read the request whole, then write a TLS record
    that does not decrypt (raw, under the TLS layer)."""
    conn, _ = listener.accept()
    with context.wrap_socket(conn, server_side=True) as tls:
        data = b""
        while b"\r\n\r\n" not in data:
            data += tls.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.lower().split(b"\r\n")
        length = int(
            next(line for line in lines if line.startswith(b"content-length")).split(b":")[1]
        )
        while len(body) < length:
            body += tls.recv(65536)
        os.write(tls.fileno(), b"\x17\x03\x03\x00\x10" + b"x" * 16)
        with contextlib.suppress(OSError):
            tls.recv(1)  # until the client hangs up


@pytest.mark.parametrize("hooks", [False, True])
async def test_a_tls_error_after_the_request_was_written_may_have_started(hooks: bool) -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        serving = threading.Thread(
            target=_tls_garbage_after_the_request, args=(listener, server_context), daemon=True
        )
        serving.start()
        url = f"https://127.0.0.1:{listener.getsockname()[1]}"
        options: dict[str, object] = {"verify": client_context, "timeout": Timeout(total=5)}
        if hooks:
            options["hooks"] = [lambda event: None]
        async with api_client("v2", url, **options) as client:
            with pytest.raises(TransportError) as caught:
                await asyncio.wait_for(client.start_workflow("graph", "bucket", "a.mp4"), 10)
        await asyncio.to_thread(serving.join, 5)
    assert caught.value.request_sent
    assert may_have_started(caught.value)
    assert caught.value.retries_taken == 0  # an ambiguous start is not retried
