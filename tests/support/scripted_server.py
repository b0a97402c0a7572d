"""A raw HTTP/1.1 server on 127.0.0.1 whose answers a test scripts byte for byte.

``script(request)`` is awaited for every request read and writes whatever it likes
with ``request.writer`` (several answers, half an answer, nothing). The server
records every request (method, path, JSON ``object`` of the body, connection
number) and which connections the client closed: what the tests count.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from obs_workflow_async import AsyncWorkflowClient
from obs_workflow_async.dwr import AsyncDwrClient
from obs_workflow_async.testing._listening import stop_accepting

__all__ = ["Request", "ScriptedServer", "answer"]


def answer(status: str, body: bytes, headers: str = "") -> bytes:
    """One complete answer with a ``Content-Length``."""
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{headers}"
    return (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body


@dataclass
class Request:
    method: str
    path: str
    body: bytes
    connection: int
    writer: asyncio.StreamWriter
    headers: dict[str, str] = field(default_factory=dict)
    """Lower-cased names."""

    @property
    def object_key(self) -> str:
        return str(json.loads(self.body)["object"]) if self.body else ""


@dataclass
class ScriptedServer:
    """``async with ScriptedServer(script) as server``; ``server.url`` is its address."""

    script: Callable[[Request], Awaitable[None]]
    requests: list[Request] = field(default_factory=list)
    received: Counter[str] = field(default_factory=Counter)
    """Start requests read per object key."""
    closed_by_client: set[int] = field(default_factory=set)
    connections: int = 0
    _server: asyncio.base_events.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def __aenter__(self) -> ScriptedServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        # the connections accepted but not yet handled are aborted below, not lost
        await stop_accepting(sock.fileno() for sock in self._server.sockets)
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError as exc:
                    if not exc.partial:
                        self.closed_by_client.add(number)
                    raise
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name:
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                body = await reader.readexactly(length) if length else b""
                request = Request(method, path, body, number, writer, headers)
                self.requests.append(request)
                if method == "POST":
                    self.received[request.object_key] += 1
                await self.script(request)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.transport.abort()
        finally:
            self._writers.discard(writer)


STARTED = json.dumps(
    {"execution_urn": "urn:x", "execution_name": "e1", "started_at": "2026-01-01T00:00:00Z"}
).encode()
"""A start answer's body, the same for both APIs."""


def api_client(api: str, url: str, **kwargs: object) -> AsyncWorkflowClient | AsyncDwrClient:
    """A client of ``api`` (``"v2"`` or ``"v3"``) for the server at ``url``."""
    if api == "v2":
        return AsyncWorkflowClient(
            server=url,
            access_key_id="AK",
            secret_access_key="SK",
            **kwargs,  # type: ignore[arg-type]
        )
    return AsyncDwrClient(
        endpoint=url,
        project_id="p1",
        access_key_id="AK",
        secret_access_key="SK",
        **kwargs,  # type: ignore[arg-type]
    )
