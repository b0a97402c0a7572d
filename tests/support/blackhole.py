"""Listeners that never answer: ports that never accept (the connect-timeout tests)
and a server that reads but never replies (the read-timeout and proxy tests)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable, Iterator


def blackholed_port(keep: list[socket.socket]) -> int:
    """A port on 127.0.0.1 whose accept queue is full: a new connection to it never
    completes. Its sockets (the listener, then the connections filling its queue) are
    appended to ``keep``; the caller closes them (:func:`blackholes` does)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port: int = listener.getsockname()[1]
    keep.append(listener)
    for _ in range(16):  # more than the queue holds: every later connect hangs
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        keep.append(filler)
    return port


@contextlib.contextmanager
def blackholes() -> Iterator[Callable[[], int]]:
    """A maker of blackholed ports (:func:`blackholed_port`); every socket it made is
    closed on exit."""
    sockets: list[socket.socket] = []
    try:
        yield lambda: blackholed_port(sockets)
    finally:
        for sock in sockets:
            sock.close()


@contextlib.asynccontextmanager
async def silent_server(*, heads: bool) -> AsyncIterator[tuple[int, list[bytes]]]:
    """A server on 127.0.0.1 that accepts connections and reads, never answers:
    (port, what it received): with ``heads``, each connection's request head (one
    entry per request sent); else every chunk read (a TLS handshake, a ``CONNECT``)."""
    received: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            if heads:
                received.append(await reader.readuntil(b"\r\n\r\n"))
                await reader.read()  # until the client gives up and closes
            else:
                while data := await reader.read(65536):
                    received.append(data)
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], received
    finally:
        server.close()
        await server.wait_closed()
