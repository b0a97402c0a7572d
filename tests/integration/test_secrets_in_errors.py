"""No secret in any exception chain, traceback (with locals) or log, on every error path.

The security token, the ``Authorization`` header and proxy credentials must not
appear in ``str``/``repr`` of the error or of anything on its ``__cause__`` /
``__context__`` chain (their ``args`` included), nor in
``TracebackException.from_exception(err, capture_locals=True)``.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from obs_workflow_async import AsyncWorkflowClient, ObsWorkflowError, Timeout
from obs_workflow_async.testing import FakeWorkflowServer, Fault
from tests.conftest import ACCESS_KEY, PROXY_PASSWORD, SECRET, TOKEN

SECRETS = (SECRET, TOKEN, PROXY_PASSWORD)


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def assert_no_secret(error: BaseException, authorization_parts: tuple[str, ...] = ()) -> None:
    texts: list[str] = []
    for link in _chain(error):
        texts += [str(link), repr(link), repr(link.args)]
        texts += [repr(v) for v in vars(link).values()] if hasattr(link, "__dict__") else []
    texts.append(
        "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format())
    )
    blob = "\n".join(texts)
    for secret in (*SECRETS, *authorization_parts):
        assert secret not in blob, f"{secret[:6]}... leaked in {type(error).__name__}"
    assert "OBS " + ACCESS_KEY + ":" not in blob  # the Authorization header value


async def _error_of(call: Awaitable[object]) -> ObsWorkflowError:
    with pytest.raises(ObsWorkflowError) as caught:
        await call
    return caught.value


def _client(server: str, **kwargs: object) -> AsyncWorkflowClient:
    return AsyncWorkflowClient(
        server=server,
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET,
        security_token=TOKEN,
        max_retries=0,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
async def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture
async def dropping_server() -> AsyncIterator[str]:
    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.transport.abort()

    server = await asyncio.start_server(drop, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    server.close()
    await server.wait_closed()


@pytest.fixture
async def proxy_refusing() -> AsyncIterator[tuple[str, list[bytes]]]:
    seen: list[bytes] = []

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 407 Proxy Auth\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(refuse, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://user:{PROXY_PASSWORD}@127.0.0.1:{port}", seen
    server.close()
    await server.wait_closed()


Scenario = Callable[..., Awaitable[ObsWorkflowError]]


async def test_every_transport_error_path_is_clean(
    fake: FakeWorkflowServer,
    closed_port: int,
    dropping_server: str,
    proxy_refusing: tuple[str, list[bytes]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    proxy_url, proxy_seen = proxy_refusing
    errors: list[ObsWorkflowError] = []
    # connection refused
    async with _client(f"http://127.0.0.1:{closed_port}") as client:
        errors.append(await _error_of(client.start_workflow("g", "media", "k")))
    # dropped after sending, read timeout, status errors, oversized and unparsable answers
    async with _client(dropping_server) as client:
        errors.append(await _error_of(client.start_workflow("g", "media", "k")))
        errors.append(await _error_of(client.get_workflow("g")))
    async with _client(fake.url, timeout=Timeout(total=0.2)) as client:
        for fault in (
            Fault("delay", delay=1.0),
            Fault("status", status=500),
            Fault("status", status=403, code="SignatureDoesNotMatch"),
            Fault("reset_mid_response"),
            Fault("non_json"),
            Fault("huge_body", size=11 * 1024 * 1024),
        ):
            fake.add_fault(fault)
            errors.append(await _error_of(client.start_workflow("g", "media", "k")))
    # an https endpoint through a proxy that refuses CONNECT (proxy credentials in play)
    async with _client("https://obs.example.invalid", proxy=proxy_url) as client:
        errors.append(await _error_of(client.start_workflow("g", "media", "k")))
    assert proxy_seen  # the proxy was asked
    # a plain-http endpoint through the same proxy: the proxy's answer is an HTTP error
    async with _client(f"http://127.0.0.1:{closed_port}", proxy=proxy_url) as client:
        errors.append(await _error_of(client.start_workflow("g", "media", "k")))
    assert len(errors) == 11
    assert len({type(e).__name__ for e in errors}) >= 4
    for error in errors:
        assert_no_secret(error)
    for secret in SECRETS:
        assert secret not in caplog.text
