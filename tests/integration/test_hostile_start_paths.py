"""Held-out style attacks on the start path (fast and full): what may have been
written is never judged "not sent", and nothing waits for ever."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest

from obs_workflow_async._connections import GuardedConnector, failed_connecting


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
