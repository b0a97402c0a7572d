"""A workflow service (v2 and v3 start paths) that sends unsolicited answers.

Every start it reads is *acted on* (counted in ``received`` per object, as a
started execution) and answered at once with a 200 start answer naming the
execution ``exec-<object>``. Then, ``delays[i]`` seconds later, the same
connection gets an extra answer nobody asked for (``stale``: a 200 start answer
naming ``stale-<object>``, a 503 or a 400). With ``sequential=True`` the server
writes that extra answer *before* reading the connection's next request (a
proxy that answers twice, then serves on); otherwise it is written from a timer
while the connection goes on serving. Nothing here measures time: the delays only
shape when the extra bytes land.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from dataclasses import dataclass, field

from obs_workflow_async.testing._listening import stop_accepting

__all__ = ["STALE", "StaleServer"]


def _answer(status: str, body: bytes, extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def _start_answer(name: str) -> bytes:
    body = json.dumps(
        {
            "execution_urn": f"urn:fgs:r:p:execution:g:{name}:d",
            "execution_name": name,
            "started_at": "2026-11-27T08:00:00.000Z",
        }
    ).encode()
    return _answer("200 OK", body, "X-Request-Id: r-" + name + "\r\n")


def _error(status: str, code: str) -> bytes:
    body = json.dumps(
        {"code": code, "message": code, "error_code": code, "error_msg": code}
    ).encode()
    return _answer(status, body)


STALE = {
    "200": lambda key: _start_answer(f"stale-{key}"),
    "503": lambda key: _error("503 Service Unavailable", "SlowDown"),
    "400": lambda key: _error("400 Bad Request", "InvalidArgument"),
}


@dataclass
class StaleServer:
    """``async with StaleServer("503") as server``; ``server.url`` is its address."""

    stale: str
    sequential: bool = False
    seed: int = 17
    received: Counter[str] = field(default_factory=Counter)
    """Starts read (and acted on) per object key: more than one is a duplicate run."""
    _server: asyncio.base_events.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)
    _timers: set[asyncio.TimerHandle] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def __aenter__(self) -> StaleServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        # the connections accepted but not yet handled are aborted below, not lost
        await stop_accepting(sock.fileno() for sock in self._server.sockets)
        self._server.close()
        for timer in self._timers:
            timer.cancel()
        for writer in list(self._writers):
            writer.transport.abort()
        await self._server.wait_closed()

    def _delay(self) -> float:
        return self._random.uniform(0.02, 0.05)

    def _write_stale(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        if not writer.transport.is_closing():
            writer.write(data)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        loop = asyncio.get_running_loop()
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length) if length else b""
                key = str(json.loads(body)["object"]) if body else ""
                self.received[key] += 1
                writer.write(_start_answer(f"exec-{key}"))
                stale = STALE[self.stale](key)
                if self.sequential:
                    await writer.drain()
                    await asyncio.sleep(self._delay())
                    self._write_stale(writer, stale)
                else:
                    timer = loop.call_later(self._delay(), self._write_stale, writer, stale)
                    self._timers.add(timer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.transport.abort()
        finally:
            self._writers.discard(writer)
