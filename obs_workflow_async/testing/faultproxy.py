"""A fault-injecting TCP proxy on loopback, for testing clients against a bad network.

It relays bytes between a client and an upstream server and, for each chunk the
client sends (in practice: each request), may inject a fault drawn from its seeded
random generator:

- ``latency``: hold the chunk for ``latency`` seconds before relaying it;
- ``reset_before``: drop the connection instead of relaying the chunk (the server
  never sees that request);
- ``reset_after``: relay the chunk, then drop the connection as soon as the answer
  starts (the server did the work, the client never hears of it);
- ``slow``: relay the answer one small piece every ``drip`` seconds (slow loris).

``stop()`` and ``start()`` take the listener down and up again (with every
connection) on the same port, like a server restarting.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from dataclasses import dataclass

from ._listening import stop_accepting

__all__ = ["FaultPlan", "FaultProxy"]


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """Chance of each fault per client chunk; they are tried in this order."""

    reset_before: float = 0.0
    reset_after: float = 0.0
    slow: float = 0.0
    latency: float = 0.0
    latency_seconds: float = 0.2
    drip_seconds: float = 0.05
    drip_bytes: int = 8


class FaultProxy:
    """Relay ``127.0.0.1:<port>`` to ``upstream_host:upstream_port`` with injected faults."""

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        plan: FaultPlan | None = None,
        *,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.upstream: tuple[str, int] = (upstream_host, upstream_port)
        self.plan: FaultPlan = plan or FaultPlan()
        self.host = host
        self.port: int = port
        self.injected: Counter[str] = Counter()
        """Faults injected so far, by kind."""
        self.connections: int = 0
        self._random = random.Random(seed)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        # every accepted connection, from connection_made to connection_lost (a relay
        # task may not have started yet when the proxy stops)
        self._open: set[asyncio.Transport] = set()
        self._all_lost = asyncio.Event()
        self._all_lost.set()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> FaultProxy:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._protocol, self.host, self.port, reuse_address=True
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def stop(self) -> None:
        """Close the listener and every relayed connection (a "restart" begins); return
        once every socket is closed (no connection outlives the proxy)."""
        server, self._server = self._server, None
        if server is not None:
            # the connections accepted but not yet handed over are seen, not lost
            await stop_accepting(sock.fileno() for sock in server.sockets)
            server.close()
        for transport in list(self._open):
            transport.abort()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._all_lost.wait()  # abort() closes each socket in connection_lost
        if server is not None:
            await server.wait_closed()

    def _protocol(self) -> asyncio.StreamReaderProtocol:
        proxy = self
        reader = asyncio.StreamReader(limit=2**16)

        class Tracked(asyncio.StreamReaderProtocol):
            tracked: asyncio.Transport

            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                assert isinstance(transport, asyncio.Transport)  # a TCP connection
                proxy._open.add(transport)
                proxy._all_lost.clear()
                self.tracked = transport
                super().connection_made(transport)

            def connection_lost(self, exc: Exception | None) -> None:
                proxy._open.discard(self.tracked)
                if not proxy._open:
                    proxy._all_lost.set()
                super().connection_lost(exc)

        return Tracked(reader, self._accepted)

    def _accepted(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        # The relay task is made and tracked here, not by StreamReaderProtocol: on
        # Python 3.11 its done-callback raises for a cancelled task instead of closing
        # the connection, and stop() must see (and cancel) a task not yet started too.
        task = asyncio.get_running_loop().create_task(self._serve(client_r, client_w))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def __aenter__(self) -> FaultProxy:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _pick(self) -> str | None:
        plan = self.plan
        roll = self._random.random()
        for kind, chance in (
            ("reset_before", plan.reset_before),
            ("reset_after", plan.reset_after),
            ("slow", plan.slow),
            ("latency", plan.latency),
        ):
            if roll < chance:
                self.injected[kind] += 1
                return kind
            roll -= chance
        return None

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self._writers.add(client_w)
        self.connections += 1
        upstream_w: asyncio.StreamWriter | None = None
        relays: list[asyncio.Task[None]] = []
        try:
            upstream_r, upstream_w = await asyncio.open_connection(*self.upstream)
            self._writers.add(upstream_w)
            state = {"reset_on_answer": False, "slow": False}
            relays = [
                asyncio.create_task(
                    self._client_to_upstream(client_r, client_w, upstream_w, state)
                ),
                asyncio.create_task(self._upstream_to_client(upstream_r, client_w, state)),
            ]
            await asyncio.gather(*relays)
        except (OSError, asyncio.IncompleteReadError):
            client_w.transport.abort()
        except asyncio.CancelledError:
            # stop() ends the relays it owns
            pass
        finally:
            for relay in relays:  # one failed or we were cancelled: end the other one too
                relay.cancel()
            for writer in (client_w, upstream_w):
                if writer is not None:
                    self._writers.discard(writer)
                    writer.transport.abort()  # a no-op once closed
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.gather(*relays, return_exceptions=True)
            if upstream_w is not None:  # its socket is closed in connection_lost
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await upstream_w.wait_closed()

    async def _client_to_upstream(
        self,
        reader: asyncio.StreamReader,
        client_w: asyncio.StreamWriter,
        upstream_w: asyncio.StreamWriter,
        state: dict[str, bool],
    ) -> None:
        while data := await reader.read(65536):
            fault = self._pick()
            if fault == "reset_before":
                client_w.transport.abort()
                upstream_w.transport.abort()
                return
            if fault == "latency":
                await asyncio.sleep(self.plan.latency_seconds)
            elif fault == "reset_after":
                state["reset_on_answer"] = True
            elif fault == "slow":
                state["slow"] = True
            upstream_w.write(data)
            await upstream_w.drain()
        with contextlib.suppress(OSError):
            upstream_w.write_eof()

    async def _upstream_to_client(
        self, reader: asyncio.StreamReader, client_w: asyncio.StreamWriter, state: dict[str, bool]
    ) -> None:
        while data := await reader.read(65536):
            if state["reset_on_answer"]:
                client_w.transport.abort()
                return
            if state["slow"]:
                step = self.plan.drip_bytes
                for i in range(0, len(data), step):
                    client_w.write(data[i : i + step])
                    await client_w.drain()
                    await asyncio.sleep(self.plan.drip_seconds)
                state["slow"] = False
                continue
            client_w.write(data)
            await client_w.drain()
        # the upstream closed: forward all of its answer, then close the client side
        # (an abort here would drop what is still buffered, the end of an answer)
        client_w.close()
        with contextlib.suppress(OSError):
            await client_w.wait_closed()
