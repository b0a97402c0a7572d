"""A hostile workflow service of the project's own, at the TCP level.

Each start names its misbehaviour in the object key: ``<case>/<n>`` answers as
:data:`CASES` says for ``<case>``. The server parses the request itself (so it can
answer anything, however malformed: 1xx, a close-delimited body cut short, a reset)
and records, per object key, how many requests it read and how many it *acted on*
(started a workflow for): the server-side count every test asserts against.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from obs_workflow_async.testing._listening import stop_accepting

__all__ = ["CASES", "EXPECTED_STARTED_AT", "Case", "HostileServer"]

Writer = Callable[[asyncio.StreamWriter], None]


def _answer(status: str, body: bytes = b"", headers: str = "", *, length: bool = True) -> bytes:
    head = f"HTTP/1.1 {status}\r\n{headers}"
    if length:
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def _json_error(status: str, code: str) -> bytes:
    body = json.dumps({"code": code, "message": f"hostile {code}", "request_id": "r-1"}).encode()
    return _answer(status, body, "Content-Type: application/json\r\n")


_HTML = "Content-Type: text/html\r\n"
_JSON = "Content-Type: application/json\r\n"
_OK_BODY = json.dumps(
    {"execution_urn": "urn:dgr:x", "execution_name": "NAME", "started_at": "2026-11-27T08:00:00Z"}
).encode()


_RFC = "Thu, 23 Apr 2020 13:37:43 GMT"
_DATE = f"Date: {_RFC}\r\n"


def _start(started_at: str | None) -> bytes:
    """A start answer naming its execution, with ``started_at`` as raw JSON (or absent)."""
    text = '{"execution_urn": "urn:dgr:x", "execution_name": "NAME"'
    if started_at is not None:
        text += f', "started_at": {started_at}'
    return (text + "}").encode()


@dataclass(frozen=True)
class Case:
    """What the service does with a start, and what the client must conclude."""

    acts: bool
    """Whether the service starts the workflow before answering."""
    answer: bytes | None
    """The bytes sent back; ``None`` closes the connection without a word."""
    may_have_started: bool
    """The verdict the client must give (``True`` for every case where ``acts``)."""
    close: bool = True
    """Close the connection after answering (a close-delimited or cut-short body)."""
    hang: bool = False
    """Never answer (the client's timeout decides)."""
    ok: bool = False
    """The client must report success."""


CASES: dict[str, Case] = {
    # definite: nothing started, safe to resend
    "400": Case(False, _json_error("400 Bad Request", "WF.0001"), False),
    "401": Case(False, _json_error("401 Unauthorized", "InvalidAccessKeyId"), False),
    "403": Case(False, _json_error("403 Forbidden", "AccessDenied"), False),
    "404": Case(False, _json_error("404 Not Found", "NoSuchWorkflow"), False),
    "409": Case(False, _json_error("409 Conflict", "Conflict"), False),
    "413": Case(False, _answer("413 Payload Too Large", b"<html>too large</html>"), False),
    "429": Case(False, _json_error("429 Too Many Requests", "Throttled"), False),
    "503": Case(False, _json_error("503 Service Unavailable", "SlowDown"), False),
    # may have started: every other 5xx
    "500": Case(True, _json_error("500 Internal Server Error", "InternalError"), True),
    "501": Case(True, _json_error("501 Not Implemented", "NotImplemented"), True),
    "502": Case(True, _answer("502 Bad Gateway", b"<html>bad gateway</html>"), True),
    "504": Case(True, _answer("504 Gateway Timeout", b""), True),
    "507": Case(True, _json_error("507 Insufficient Storage", "Storage"), True),
    "520": Case(True, _answer("520 Unknown", b"oops"), True),
    "524": Case(True, _answer("524 A Timeout Occurred", b""), True),
    "599": Case(True, _answer("599 Network Timeout", b""), True),
    # 3xx: not followed, may have started
    "301": Case(True, _answer("301 Moved", b"", "Location: http://127.0.0.1:1/\r\n"), True),
    "307": Case(True, _answer("307 Temporary", b"", "Location: http://127.0.0.1:1/\r\n"), True),
    # 2xx whose body is not a start answer: it started
    "200-empty": Case(True, _answer("200 OK", b""), True),
    "200-html": Case(True, _answer("200 OK", b"<html>ok</html>", _HTML), True),
    "200-nofield": Case(True, _answer("200 OK", b'{"hello": 1}'), True),
    "200-list": Case(True, _answer("200 OK", b"[1, 2]"), True),
    "204": Case(True, _answer("204 No Content", b"", length=False), True),
    "200-cut": Case(True, _answer("200 OK", _OK_BODY[:20], length=False), True),
    "200-short": Case(True, b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n" + _OK_BODY, True),
    # lost after acting
    "drop": Case(True, None, True),
    "hang": Case(True, None, True, hang=True),
    "garbage": Case(True, b"NOT HTTP AT ALL\r\n\r\n", True),
    # a plain success
    "ok": Case(True, _answer("200 OK", _OK_BODY, _JSON), True, ok=True),
    # 2xx start answers that name the execution: each is a start, whatever the time looks like
    "ok-nostart": Case(True, _answer("200 OK", _start(None), _JSON + _DATE), True, ok=True),
    "ok-null": Case(True, _answer("200 OK", _start("null"), _JSON + _DATE), True, ok=True),
    "ok-garbled": Case(True, _answer("200 OK", _start('"soon"'), _JSON + _DATE), True, ok=True),
    "ok-rfc1123": Case(True, _answer("200 OK", _start(f'"{_RFC}"'), _JSON), True, ok=True),
    "ok-slashes": Case(
        True, _answer("200 OK", _start('"2020/04/23 13:37:43"'), _JSON), True, ok=True
    ),
    "ok-epoch": Case(True, _answer("201 Created", _start("1587649063000"), _JSON), True, ok=True),
    "ok-urn-only": Case(
        True, _answer("200 OK", b'{"execution_urn": "urn:dgr:x"}', _JSON), True, ok=True
    ),
}

EXPECTED_STARTED_AT = {
    "ok-nostart": "2020-04-23T13:37:43+00:00",  # from the Date header
    "ok-null": "2020-04-23T13:37:43+00:00",
    "ok-garbled": "2020-04-23T13:37:43+00:00",
    "ok-rfc1123": "2020-04-23T13:37:43+00:00",
    "ok-slashes": "2020-04-23T13:37:43+00:00",
    "ok-epoch": "2020-04-23T13:37:43+00:00",
}


@dataclass
class HostileServer:
    """``async with HostileServer() as server``; ``server.url`` is its address."""

    received: Counter[str] = field(default_factory=Counter)
    acted: Counter[str] = field(default_factory=Counter)
    cases: dict[str, Case] = field(default_factory=lambda: dict(CASES))
    _server: asyncio.base_events.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def __aenter__(self) -> HostileServer:
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
        self._writers.add(writer)
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
                case = self.cases[key.split("/")[0]]
                self.received[key] += 1
                if case.acts:
                    self.acted[key] += 1
                if case.hang:
                    await asyncio.sleep(3600)
                if case.answer is None:
                    writer.transport.abort()
                    return
                answer = case.answer
                if case.close and b"\r\n" in answer:
                    # say so, as servers do: a client must not reuse this connection
                    status, _, rest = answer.partition(b"\r\n")
                    answer = status + b"\r\nConnection: close\r\n" + rest
                writer.write(answer)
                await writer.drain()
                if case.close:
                    writer.close()
                    return
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.transport.abort()
        finally:
            self._writers.discard(writer)
