"""A server stopped while connections are being accepted closes every one of them.

Python 3.11's selector loop accepts a burst of connections in one callback and wraps
each in a transport one loop turn later; a server closed in between used to lose them
(the transport cannot attach to a closed server), and their sockets were closed by the
garbage collector in some later test (``ResourceWarning: unclosed <socket ...>``).
Here the close lands exactly in that window, every time: the clients' connects have
completed (so the kernel holds them for accept), one loop turn lets the loop's
``select`` see them, one more lets its accept callback run.
"""

from __future__ import annotations

import asyncio
import gc
import select
import socket
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from obs_workflow_async.testing import FakeWorkflowServer
from obs_workflow_async.testing.faultproxy import FaultProxy
from tests.support.open_sockets import open_sockets, sockets_left_open
from tests.support.scripted_server import Request, ScriptedServer, answer
from tests.support.waiting import until

CLIENTS = 20


@asynccontextmanager
async def _clients(port: int) -> AsyncIterator[list[socket.socket]]:
    socks: list[socket.socket] = []
    try:
        for _ in range(CLIENTS):
            sock = socket.socket()
            socks.append(sock)
            sock.setblocking(False)
            err = sock.connect_ex(("127.0.0.1", port))
            assert err in (0, 115), err  # 115: EINPROGRESS
        # connected = queued by the kernel for accept (loopback)
        await until(lambda: len(select.select([], socks, [], 0)[1]) == CLIENTS, timeout=60)
        yield socks
    finally:
        for sock in socks:
            sock.close()


async def _stop_while_accepting(port: int, stop: Callable[[], Awaitable[None]]) -> None:
    before = open_sockets()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        async with _clients(port) as socks:
            await asyncio.sleep(0)  # the loop's select sees the connections
            await asyncio.sleep(0)  # its accept callback has run: transports come next
            client_fds = {sock.fileno() for sock in socks}
            clients = frozenset(s for s in open_sockets() - before if s[0] in client_fds)
            await stop()
            # every socket the server accepted gets closed (aborts take a loop turn to
            # close; a lost one would never be closed, or only by the GC: warned below)
            assert await sockets_left_open(before | clients, timeout=60) == frozenset()
        gc.collect()
    assert [str(w.message) for w in caught if w.category is ResourceWarning] == []


async def test_fault_proxy_stop_closes_connections_it_is_accepting() -> None:
    async with FakeWorkflowServer() as server:
        for _ in range(3):  # a restart, then another
            proxy = await FaultProxy(server.host, server.port).start()
            await _stop_while_accepting(proxy.port, proxy.stop)


async def test_fake_server_close_closes_connections_it_is_accepting() -> None:
    server = await FakeWorkflowServer().start()
    await _stop_while_accepting(server.port, server.close)


async def test_raw_test_server_exit_closes_connections_it_is_accepting() -> None:
    async def script(request: Request) -> None:
        request.writer.write(answer("200 OK", b"{}"))

    scripted = ScriptedServer(script)
    await scripted.__aenter__()
    port = int(scripted.url.rsplit(":", 1)[1])

    async def stop() -> None:
        await scripted.__aexit__(None, None, None)

    await _stop_while_accepting(port, stop)
