"""A fake OBS workflow service on loopback, for tests (ours and yours).

It is a real HTTP server (``aiohttp.web`` on 127.0.0.1, random port) that checks
the signature and the ``Date`` skew like the service, answers like the service
(JSON bodies, ``X-Request-ID``), records every started execution and can inject
faults per graph or per call.

Run it in the test's own event loop::

    async with FakeWorkflowServer() as server:
        async with AsyncWorkflowClient(**server.client_kwargs()) as client:
            await client.start_workflow("g", "bucket", "key")
        assert len(server.executions) == 1

or in a background thread (any test style, sync code, benchmarks)::

    with FakeWorkflowServer().run_in_thread() as server:
        ...
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Literal
from urllib.parse import unquote

from aiohttp import web

from .. import signing

__all__ = ["Execution", "Fault", "FakeWorkflowServer", "RecordedRequest"]

FaultKind = Literal["status", "delay", "drop", "reset_mid_response", "non_json"]


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected misbehaviour.

    ``kind``:

    - ``"status"``: answer ``status`` with a service-style JSON error (``code``,
      ``message``), or with ``body``/``content_type`` as given (e.g. an HTML page);
      ``retry_after`` adds a ``Retry-After`` header. Nothing is started.
    - ``"delay"``: wait ``delay`` seconds, then behave normally (the execution *is*
      started once the delay has passed, unless the client has gone).
    - ``"drop"``: start the execution, then close the connection without answering
      (the outcome the client sees is ambiguous).
    - ``"reset_mid_response"``: start the execution, send the headers and part of
      the body, then close the connection.
    - ``"non_json"``: start the execution and answer 200 with a non-JSON body.
    """

    kind: FaultKind
    status: int = 500
    code: str | None = None
    message: str | None = None
    retry_after: str | None = None
    body: str | None = None
    content_type: str = "application/json;charset=UTF-8"
    delay: float = 0.0


@dataclass(frozen=True, slots=True)
class Execution:
    """A workflow execution the fake started."""

    graph_name: str
    bucket: str
    object_key: str
    inputs: dict[str, object] | None
    execution_name: str
    execution_urn: str
    started_at: str
    request_id: str


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the server received it (before any fault)."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    graph_name: str | None
    peer: tuple[str, int] | None


@dataclass
class _FaultQueue:
    faults: list[tuple[Fault, int | None]] = field(default_factory=list)

    def take(self) -> Fault | None:
        if not self.faults:
            return None
        fault, remaining = self.faults[0]
        if remaining is not None:
            if remaining <= 1:
                self.faults.pop(0)
            else:
                self.faults[0] = (fault, remaining - 1)
        return fault


def _now_iso() -> str:
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class FakeWorkflowServer:
    """In-memory stand-in for the OBS workflow endpoint (see the module docstring)."""

    REGION = "cn-north-4"
    PROJECT_ID = "0123456789abcdef0123456789abcdef"
    DOMAIN_ID = "fedcba9876543210fedcba9876543210"

    def __init__(
        self,
        *,
        access_key_id: str = "FAKEACCESSKEYID00001",
        secret_access_key: str = "fake-secret-access-key-0001",
        security_token: str | None = None,
        check_signature: bool = True,
        max_skew_seconds: float = 900.0,
        region: str = "cn-north-4",
        known_graphs: set[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        record_requests: bool = True,
    ) -> None:
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.security_token = security_token
        self.check_signature = check_signature
        self.max_skew_seconds = max_skew_seconds
        self.region = region
        self.known_graphs = known_graphs
        self.host = host
        self.port = port
        self.record_requests = record_requests
        self.executions: list[Execution] = []
        self.requests: list[RecordedRequest] = []
        self.attempts: Counter[str] = Counter()
        """Start requests received per graph name (faulted ones included)."""
        self.in_flight = 0
        self.max_in_flight = 0
        self.peers: set[tuple[str, int]] = set()
        """Distinct client (host, port) pairs seen: one per TCP connection."""
        self._lock = threading.Lock()
        self._faults: dict[str | None, _FaultQueue] = {}
        self._counter = itertools.count(1)
        self._runner: web.AppRunner | None = None

    # -- configuration ---------------------------------------------------------------

    def add_fault(self, fault: Fault, *, graph: str | None = None, times: int | None = 1) -> None:
        """Apply ``fault`` to the next ``times`` start calls (of ``graph``, or of any graph
        when ``graph`` is None; ``times=None`` means every call until :meth:`clear_faults`)."""
        with self._lock:
            self._faults.setdefault(graph, _FaultQueue()).faults.append((fault, times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, graph: str) -> Fault | None:
        with self._lock:
            for key in (graph, None):
                queue = self._faults.get(key)
                if queue is not None:
                    fault = queue.take()
                    if fault is not None:
                        return fault
        return None

    def client_kwargs(self, **overrides: object) -> dict[str, object]:
        """Keyword arguments for :class:`~obs_workflow_async.AsyncWorkflowClient`."""
        kwargs: dict[str, object] = {
            "server": self.url,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
        }
        if self.security_token is not None:
            kwargs["security_token"] = self.security_token
        kwargs.update(overrides)
        return kwargs

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the fake server is not running")
        return f"http://{self.host}:{self.port}"

    def app(self) -> web.Application:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post("/v2/workflows/{graph_name}", self._start)
        return app

    async def start(self) -> FakeWorkflowServer:
        runner = web.AppRunner(
            self.app(), access_log=None, shutdown_timeout=0.5, handler_cancellation=True
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        await site.start()
        sockets = runner.addresses
        self.port = int(sockets[0][1])
        self._runner = runner
        return self

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FakeWorkflowServer:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @contextmanager
    def run_in_thread(self) -> Iterator[FakeWorkflowServer]:
        """Serve from a background thread with its own event loop."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:  # pragma: no cover - reported to the caller
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.close())
            loop.run_until_complete(loop.shutdown_asyncgens())

        thread = threading.Thread(target=serve, name="obs-fake-server", daemon=True)
        thread.start()
        ready.wait()
        try:
            if failure:
                raise failure[0]
            yield self
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()

    # -- request handling -----------------------------------------------------------------

    def _error(
        self, status: int, code: str, message: str, request_id: str,
        extra_headers: Mapping[str, str] | None = None,
    ) -> web.Response:  # fmt: skip
        body = json.dumps({"code": code, "message": message, "request_id": request_id})
        headers = {
            "X-Request-ID": request_id,
            "x-obs-request-id": request_id,
            "Content-Type": "application/json;charset=UTF-8",
            **(extra_headers or {}),
        }
        return web.Response(status=status, text=body, headers=headers)

    def _auth_problem(self, request: web.Request) -> tuple[str, str] | None:
        date_text = request.headers.get("Date")
        if date_text is None:
            return "AccessDenied", "the Date header is missing"
        try:
            sent = parsedate_to_datetime(date_text)
        except (TypeError, ValueError):
            return "AccessDenied", "the Date header is malformed"
        if sent.tzinfo is None:
            sent = sent.replace(tzinfo=timezone.utc)
        skew = abs((datetime.now(timezone.utc) - sent).total_seconds())
        if skew > self.max_skew_seconds:
            return (
                "RequestTimeTooSkewed",
                "the difference between the request time and now is too large",
            )
        if not self.check_signature:
            return None
        return verify_signature(
            method=request.method,
            raw_path=request.raw_path,
            headers=request.headers,
            access_key_id=self.access_key_id,
            secret_access_key=self.secret_access_key,
            security_token=self.security_token,
            region=self.region,
            now=sent,
        )

    async def _start(self, request: web.Request) -> web.StreamResponse:
        graph = request.match_info["graph_name"]
        request_id = uuid.uuid4().hex
        body = await request.read()
        peer = request.transport.get_extra_info("peername") if request.transport else None
        with self._lock:
            self.attempts[graph] += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if peer is not None:
                self.peers.add((str(peer[0]), int(peer[1])))
            if self.record_requests:
                self.requests.append(
                    RecordedRequest(
                        request.method, request.raw_path, dict(request.headers), body, graph,
                        (str(peer[0]), int(peer[1])) if peer else None,
                    )
                )  # fmt: skip
        try:
            return await self._handle_start(request, graph, body, request_id)
        finally:
            with self._lock:
                self.in_flight -= 1

    async def _handle_start(
        self, request: web.Request, graph: str, body: bytes, request_id: str
    ) -> web.StreamResponse:
        problem = self._auth_problem(request)
        if problem is not None:
            return self._error(403, problem[0], problem[1], request_id)
        fault = self._take_fault(graph)
        if fault is not None and fault.kind == "status":
            extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            if fault.body is not None:
                return web.Response(
                    status=fault.status,
                    text=fault.body,
                    headers={
                        "X-Request-ID": request_id,
                        "Content-Type": fault.content_type,
                        **extra,
                    },
                )
            return self._error(
                fault.status,
                fault.code or _DEFAULT_CODES.get(fault.status, "InternalError"),
                fault.message or "injected fault",
                request_id,
                extra,
            )
        if fault is not None and fault.kind == "delay":
            await asyncio.sleep(fault.delay)
        try:
            payload = json.loads(body)
        except ValueError:
            return self._error(400, "SYS.0006", "the request body is not valid JSON", request_id)
        if (
            not isinstance(payload, dict)
            or not isinstance(payload.get("bucket"), str)
            or not isinstance(payload.get("object"), str)
        ):
            return self._error(
                400, "SYS.0010", "bucket and object are required strings", request_id
            )
        inputs = payload.get("inputs")
        if inputs is not None and not isinstance(inputs, dict):
            return self._error(400, "SYS.0010", "inputs must be an object", request_id)
        if self.known_graphs is not None and graph not in self.known_graphs:
            return self._error(
                404, "WorkflowNotFound", f"workflow {graph} does not exist", request_id
            )
        execution = self._record_execution(
            graph, payload["bucket"], payload["object"], inputs, request_id
        )
        answer = {
            "execution_urn": execution.execution_urn,
            "execution_name": execution.execution_name,
            "started_at": execution.started_at,
        }
        headers = {"X-Request-ID": request_id, "x-obs-request-id": request_id}
        if fault is not None and fault.kind == "drop":
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError  # aiohttp treats this as "client went away"
        if fault is not None and fault.kind == "reset_mid_response":
            data = json.dumps(answer).encode()
            response = web.StreamResponse(status=200, headers=headers)
            response.content_type = "application/json"
            response.content_length = len(data)
            await response.prepare(request)
            await response.write(data[: len(data) // 2])
            if request.transport is not None:
                request.transport.abort()
            return response
        if fault is not None and fault.kind == "non_json":
            return web.Response(
                status=200, text=fault.body or "<html>gateway</html>",
                content_type="text/html", headers=headers,
            )  # fmt: skip
        return web.json_response(answer, headers=headers)

    def _record_execution(
        self, graph: str, bucket: str, object_key: str, inputs: dict[str, object] | None,
        request_id: str,
    ) -> Execution:  # fmt: skip
        number = next(self._counter)
        name = f"{uuid.uuid4().hex[:24]}{number:08d}"
        execution = Execution(
            graph_name=graph,
            bucket=bucket,
            object_key=object_key,
            inputs=inputs,
            execution_name=name,
            execution_urn=(
                f"urn:fgs:{self.region}:{self.PROJECT_ID}:execution:{graph}:{name}:{self.DOMAIN_ID}"
            ),
            started_at=_now_iso(),
            request_id=request_id,
        )
        with self._lock:
            self.executions.append(execution)
        return execution


_DEFAULT_CODES = {
    400: "InvalidRequest",
    401: "SYS.0004",
    403: "AccessDenied",
    404: "SYS.0003",
    409: "OperationAborted",
    429: "SYS.0011",
    500: "InternalError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


def _split_raw_path(raw_path: str) -> tuple[str, tuple[tuple[str, str | None], ...]]:
    path, _, query = raw_path.partition("?")
    pairs: list[tuple[str, str | None]] = []
    for part in query.split("&") if query else ():
        key, eq, value = part.partition("=")
        pairs.append((unquote(key), unquote(value) if eq else None))
    return unquote(path), tuple(pairs)


def verify_signature(
    *,
    method: str,
    raw_path: str,
    headers: Mapping[str, str],
    access_key_id: str,
    secret_access_key: str,
    security_token: str | None,
    region: str,
    now: datetime,
    bucket: str | None = None,
) -> tuple[str, str] | None:
    """Check ``Authorization`` the way the service does; return ``(code, message)`` or None."""
    authorization = headers.get("Authorization")
    if authorization is None:
        return "AccessDenied", "the request is not signed"
    path, query = _split_raw_path(raw_path)
    key = path[1:]
    mode: signing.SignatureMode
    if authorization.startswith("OBS "):
        mode, claimed_ak = "obs", authorization[4:].partition(":")[0]
    elif authorization.startswith("AWS "):
        mode, claimed_ak = "v2", authorization[4:].partition(":")[0]
    elif authorization.startswith("AWS4-HMAC-SHA256 "):
        mode = "v4"
        claimed_ak = authorization.split("Credential=", 1)[-1].split("/", 1)[0]
    else:
        return "AccessDenied", "unknown authorization scheme"
    if claimed_ak != access_key_id:
        return "InvalidAccessKeyId", "the access key id does not exist"
    token_header = signing.security_token_header(mode)
    if security_token is not None and headers.get(token_header) != security_token:
        return "InvalidToken", "the security token is missing or wrong"
    if mode == "v4":
        signed = authorization.split("SignedHeaders=", 1)[-1].split(",", 1)[0].split(";")
        lowered = {k.lower(): v for k, v in headers.items()}
        signed_headers = {name: lowered.get(name, "") for name in signed}
    else:
        signed_headers = dict(headers)
    expected = signing.sign(
        signing.SigningRequest(
            method=method, key=key, headers=signed_headers, query=query, bucket=bucket
        ),
        access_key_id=access_key_id,
        secret_access_key=secret_access_key,
        mode=mode,
        now=now,
        region=region,
    )
    if expected != authorization:
        return "SignatureDoesNotMatch", "the request signature we calculated does not match"
    return None
