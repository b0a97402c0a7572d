"""A fake OBS workflow service on loopback, for tests (ours and yours).

It is a real HTTP server (``aiohttp.web`` on 127.0.0.1, random port) that checks
the signature and the ``Date`` skew like the service, answers like the service
(JSON bodies, ``X-Request-ID``), serves every workflow endpoint statefully
(:mod:`.state`), and can inject faults per graph, per operation or per call.

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
import json
import random
import ssl
import threading
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Literal, TypedDict
from urllib.parse import unquote

from aiohttp import web

from .. import signing
from .state import Execution, InputMode, Outcome, ServiceError, WorkflowStore

__all__ = [
    "ClientKwargs",
    "Execution",
    "FakeWorkflowServer",
    "Fault",
    "InputMode",
    "RecordedRequest",
    "verify_signature",
]

FaultKind = Literal["status", "delay", "drop", "reset_mid_response", "non_json", "huge_body"]

Operation = Literal[
    "start", "create_workflow", "get_workflow", "update_workflow", "delete_workflow",
    "list_workflows", "create_template", "get_template", "delete_template", "list_templates",
    "list_executions", "get_execution", "restore_execution", "put_trigger_policy",
    "get_trigger_policy", "delete_trigger_policy",
]  # fmt: skip
"""The calls the fake serves, named after the client's methods."""


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected misbehaviour.

    ``kind``:

    - ``"status"``: answer ``status`` with a service-style JSON error (``code``,
      ``message``), or with ``body``/``content_type`` as given (e.g. an HTML page);
      ``retry_after`` adds a ``Retry-After`` header. Nothing is done.
    - ``"delay"``: wait ``delay`` seconds, then behave normally (the call takes
      effect once the delay has passed, unless the client has gone).
    - ``"drop"``: do it, then close the connection without answering (the outcome
      the client sees is ambiguous).
    - ``"reset_mid_response"``: do it, send the headers and part of the body, then
      close the connection.
    - ``"non_json"``: do it and answer 200 with a non-JSON body.
    - ``"huge_body"``: do it and answer 200 with ``size`` bytes of JSON padding,
      chunked unless ``content_length`` is set.
    """

    kind: FaultKind
    status: int = 500
    code: str | None = None
    message: str | None = None
    retry_after: str | None = None
    body: str | None = None
    content_type: str = "application/json;charset=UTF-8"
    delay: float = 0.0
    size: int = 0
    content_length: bool = False


class ClientKwargs(TypedDict, total=False):
    """The connection arguments of :class:`~obs_workflow_async.AsyncWorkflowClient`."""

    server: str
    access_key_id: str
    secret_access_key: str
    security_token: str


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the server received it (before any fault)."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    graph_name: str | None
    peer: tuple[str, int] | None
    operation: str | None = None


@dataclass
class _FaultRule:
    fault: Fault
    graph: str | None
    operation: str | None
    remaining: int | None
    probability: float = 1.0

    def matches(self, graph: str | None, operation: str) -> bool:
        return (self.graph is None or self.graph == graph) and (
            self.operation is None or self.operation == operation
        )


@dataclass
class _Call:
    """A request resolved to an operation of the store."""

    operation: Operation
    graph: str | None = None
    run: Callable[[], Awaitable[tuple[int, object]]] | None = None


class FakeWorkflowServer:
    """In-memory stand-in for the OBS workflow endpoint (see the module docstring).

    ``strict_workflows`` (default False) makes a start on an unknown workflow a 404;
    otherwise the workflow is created on the fly. ``known_graphs`` pre-creates
    workflows and turns strict mode on. ``execution_duration`` (seconds, default
    None) moves executions from RUNNING to the state ``outcome(execution)`` returns
    (default SUCCESS) after that long; with None they stay RUNNING until
    :meth:`complete` is called.

    Execution details carry ``execution_info.input`` as JSON text of ``{"bucket",
    "object", "inputs"}`` (``input_mode="json_text"``, the default); ``"object"`` sends
    it as a JSON object, ``"without_object"`` as the inputs alone (no bucket or
    object: settling then answers ``unknown``), ``"none"`` leaves it out.
    ``listing_lag`` (seconds) hides a new execution from listings for that long
    (details see it at once), like a listing that lags behind starts.
    """

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
        strict_workflows: bool = False,
        execution_duration: float | None = None,
        outcome: Outcome | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        record_requests: bool = True,
        seed: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        input_mode: InputMode = "json_text",
        listing_lag: float = 0.0,
        domain: str | None = None,
    ) -> None:
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.security_token = security_token
        self.check_signature = check_signature
        self.max_skew_seconds = max_skew_seconds
        self.region = region
        self.host = host
        self.domain = domain or host
        """The endpoint's host name as clients address it: bucket calls arrive as
        ``<bucket>.<domain>`` (virtual-host style). Defaults to ``host``."""
        self.port = port
        self.record_requests = record_requests
        self.ssl_context = ssl_context
        self.store = WorkflowStore(
            region=region,
            project_id=self.PROJECT_ID,
            domain_id=self.DOMAIN_ID,
            strict_workflows=strict_workflows or known_graphs is not None,
            execution_duration=execution_duration,
            outcome=outcome,
            input_mode=input_mode,
            listing_lag=listing_lag,
        )
        for graph in known_graphs or ():
            self.store.ensure_workflow_record(graph)
        self.requests: list[RecordedRequest] = []
        self.attempts: Counter[str] = Counter()
        """Start requests received per graph name (faulted ones included)."""
        self.calls: Counter[str] = Counter()
        """Requests received per operation (faulted ones included)."""
        self.in_flight = 0
        self.max_in_flight = 0
        self.peers: set[tuple[str, int]] = set()
        """Distinct client (host, port) pairs seen: one per TCP connection."""
        self._lock = threading.Lock()
        self._faults: list[_FaultRule] = []
        self._random = random.Random(seed)
        self._runner: web.AppRunner | None = None

    # -- state and configuration ---------------------------------------------------------

    @property
    def executions(self) -> list[Execution]:
        """Every execution started so far, in start order."""
        return self.store.executions

    def seed_executions(
        self,
        graph: str,
        count: int,
        *,
        started_at: datetime | None = None,
        state: str = "SUCCESS",
    ) -> list[Execution]:
        """Add ``count`` finished API executions of ``graph`` (objects ``seeded/<n>`` in
        bucket ``seeded``) started at ``started_at`` (default now), without requests."""
        with self._lock:
            return self.store.seed_executions(graph, count, started_at=started_at, state=state)

    def complete(self, execution_name: str, state: str = "SUCCESS") -> Execution:
        """Finish a running execution now, in ``state`` (e.g. ``"FAILED"``)."""
        with self._lock:
            for execution in self.store.executions:
                if execution.execution_name == execution_name:
                    self.store.finish(execution, state)
                    return execution
        raise KeyError(execution_name)

    def add_fault(
        self,
        fault: Fault,
        *,
        graph: str | None = None,
        operation: Operation | None = None,
        times: int | None = 1,
        probability: float = 1.0,
    ) -> None:
        """Apply ``fault`` to the next ``times`` matching calls (``times=None``: every
        one until :meth:`clear_faults`). ``graph`` and ``operation`` narrow the match;
        with neither, any call matches. With ``probability`` < 1 each matching call
        is faulted only with that chance (drawn from the server's seeded random
        generator, so runs repeat)."""
        if not 0 < probability <= 1:
            raise ValueError("probability must be in (0, 1]")
        with self._lock:
            self._faults.append(_FaultRule(fault, graph, operation, times, probability))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, graph: str | None, operation: str) -> Fault | None:
        with self._lock:
            for rule in self._faults:
                if rule.matches(graph, operation):
                    if rule.probability < 1 and self._random.random() >= rule.probability:
                        continue
                    if rule.remaining is not None:
                        rule.remaining -= 1
                        if rule.remaining <= 0:
                            self._faults.remove(rule)
                    return rule.fault
        return None

    def client_kwargs(self) -> ClientKwargs:
        """Where and how to connect, for ``AsyncWorkflowClient(**server.client_kwargs(), ...)``."""
        kwargs: ClientKwargs = {
            "server": self.url,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
        }
        if self.security_token is not None:
            kwargs["security_token"] = self.security_token
        return kwargs

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the fake server is not running")
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def app(self) -> web.Application:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    async def start(self) -> FakeWorkflowServer:
        runner = web.AppRunner(
            self.app(), access_log=None, shutdown_timeout=0.5, handler_cancellation=True
        )
        await runner.setup()
        site = web.TCPSite(
            runner, self.host, self.port, reuse_address=True, ssl_context=self.ssl_context
        )
        await site.start()
        self.port = int(runner.addresses[0][1])
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

    @staticmethod
    def _json(status: int, body: object, request_id: str) -> web.Response:
        headers = {"X-Request-ID": request_id, "x-obs-request-id": request_id}
        if status == 204 or body is None:
            return web.Response(status=status, headers=headers)
        return web.json_response(body, status=status, headers=headers)

    @staticmethod
    def _error(
        status: int, code: str, message: str, request_id: str,
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

    def _bucket_from_host(self, request: web.Request) -> str | None:
        host = request.headers.get("Host", "").rsplit(":", 1)[0]
        suffix = "." + self.domain
        return host[: -len(suffix)] if host.endswith(suffix) else None

    def _auth_problem(self, request: web.Request, bucket: str | None) -> tuple[str, str] | None:
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
            bucket=bucket,
        )

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        request_id = uuid.uuid4().hex
        body = await request.read()
        peer = request.transport.get_extra_info("peername") if request.transport else None
        path, query = _split_raw_path(request.raw_path)
        args = dict(query)
        bucket = self._bucket_from_host(request)
        try:
            call = self._resolve(request.method, path, args, body, request_id, bucket)
        except ServiceError as error:
            return self._error(error.status, error.code, error.message, request_id)
        with self._lock:
            self.calls[call.operation] += 1
            if call.operation == "start" and call.graph is not None:
                self.attempts[call.graph] += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if peer is not None:
                self.peers.add((str(peer[0]), int(peer[1])))
            if self.record_requests:
                self.requests.append(
                    RecordedRequest(
                        request.method, request.raw_path, dict(request.headers), body,
                        call.graph, (str(peer[0]), int(peer[1])) if peer else None,
                        call.operation,
                    )
                )  # fmt: skip
        try:
            return await self._answer(request, call, request_id, bucket)
        finally:
            with self._lock:
                self.in_flight -= 1

    async def _answer(
        self, request: web.Request, call: _Call, request_id: str, bucket: str | None
    ) -> web.StreamResponse:
        problem = self._auth_problem(request, bucket)
        if problem is not None:
            return self._error(403, problem[0], problem[1], request_id)
        fault = self._take_fault(call.graph, call.operation)
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
        assert call.run is not None
        try:
            status, answer = await call.run()
        except ServiceError as error:
            return self._error(error.status, error.code, error.message, request_id)
        if fault is not None and fault.kind == "drop":
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError  # aiohttp treats this as "client went away"
        if fault is not None and fault.kind == "reset_mid_response":
            data = json.dumps(answer).encode()
            response = web.StreamResponse(
                status=status, headers={"X-Request-ID": request_id, "x-obs-request-id": request_id}
            )
            response.content_type = "application/json"
            response.content_length = len(data)
            await response.prepare(request)
            await response.write(data[: len(data) // 2])
            if request.transport is not None:
                request.transport.abort()
            return response
        if fault is not None and fault.kind == "huge_body":
            response = web.StreamResponse(status=200, headers={"X-Request-ID": request_id})
            response.content_type = "application/json"
            if fault.content_length:
                response.content_length = fault.size
            else:
                response.enable_chunked_encoding()
            await response.prepare(request)
            chunk = b" " * 65536
            sent = 0
            try:
                while sent < fault.size:
                    piece = chunk[: fault.size - sent]
                    await response.write(piece)
                    sent += len(piece)
            except (ConnectionResetError, RuntimeError):
                return response  # the client refused the rest: that is the point
            await response.write_eof()
            return response
        if fault is not None and fault.kind == "non_json":
            return web.Response(
                status=200, text=fault.body or "<html>gateway</html>", content_type="text/html",
                headers={"X-Request-ID": request_id, "x-obs-request-id": request_id},
            )  # fmt: skip
        return self._json(status, answer, request_id)

    # -- routing -----------------------------------------------------------------------------

    def _resolve(
        self,
        method: str,
        path: str,
        args: Mapping[str, str | None],
        body: bytes,
        request_id: str,
        host_bucket: str | None,
    ) -> _Call:
        """Map a request to an operation of the store (the service's URL scheme)."""
        store = self.store
        lock = self._lock

        def run(
            status: int, action: Callable[[], object]
        ) -> Callable[[], Awaitable[tuple[int, object]]]:
            async def go() -> tuple[int, object]:
                with lock:
                    return status, action()

            return go

        parts = path.strip("/").split("/") if path.strip("/") else []
        if "obsworkflowtriggerpolicy" in args:
            bucket = host_bucket or (parts[0] if len(parts) == 1 else None)
            if bucket is None:
                raise ServiceError(400, "InvalidBucketName", "no bucket in the request")
            if method == "PUT":
                payload = _object(body)
                return _Call(
                    "put_trigger_policy", None, run(200, lambda: store.put_policy(bucket, payload))
                )
            if method == "GET":
                return _Call("get_trigger_policy", None, run(200, lambda: store.get_policy(bucket)))
            if method == "DELETE":
                return _Call(
                    "delete_trigger_policy", None, run(204, lambda: store.delete_policy(bucket))
                )
            raise ServiceError(405, "MethodNotAllowed", f"{method} is not allowed here")
        if len(parts) < 2 or parts[0] != "v2":
            raise ServiceError(404, "SYS.0003", "unsupported API")
        resource, name = parts[1], "/".join(parts[2:])
        listing = "x-workflow-prefix" in args
        if resource == "workflows":
            if method == "GET" and listing:
                start, limit = _paging(args)
                return _Call(
                    "list_workflows",
                    None,
                    run(200, lambda: store.list_workflows(name, start, limit)),
                )
            if not name:
                raise ServiceError(404, "SYS.0003", "unsupported API")
            if method == "POST" and "x-workflow-template-name" in args:
                template = args["x-workflow-template-name"] or ""
                payload = _object(body)
                return _Call(
                    "create_workflow",
                    name,
                    run(201, lambda: store.create_workflow(name, template, payload)),
                )
            if method == "POST":
                payload = _object(body)
                bucket_name, object_key, inputs = _start_args(payload)
                return _Call(
                    "start",
                    name,
                    run(
                        200,
                        lambda: _started(
                            store.start(name, bucket_name, object_key, inputs, request_id)
                        ),
                    ),
                )
            if method == "GET":
                return _Call("get_workflow", name, run(200, lambda: store.get_workflow(name)))
            if method == "PUT":
                payload = _object(body)
                return _Call(
                    "update_workflow", name, run(200, lambda: store.update_workflow(name, payload))
                )
            if method == "DELETE":
                return _Call("delete_workflow", name, run(204, lambda: store.delete_workflow(name)))
        if resource == "workflowtemplates":
            if method == "GET" and listing:
                start, limit = _paging(args)
                return _Call(
                    "list_templates",
                    None,
                    run(200, lambda: store.list_templates(name, start, limit)),
                )
            if not name:
                raise ServiceError(404, "SYS.0003", "unsupported API")
            if method == "POST":
                payload = _object(body)
                return _Call(
                    "create_template", None, run(201, lambda: store.create_template(name, payload))
                )
            if method == "GET":
                return _Call("get_template", None, run(200, lambda: store.get_template(name)))
            if method == "DELETE":
                return _Call("delete_template", None, run(204, lambda: store.delete_template(name)))
        if resource == "workflowexecutions":
            graph = args.get("x-workflow-graph-name")
            if not graph:
                raise ServiceError(400, "SYS.0010", "x-workflow-graph-name is required")
            if method == "GET" and not name:
                _, limit = _paging(args)
                kind = args.get("x-workflow-execution-type")
                marker = args.get("x-workflow-next-marker")
                return _Call(
                    "list_executions",
                    graph,
                    run(200, lambda: store.list_executions(graph, kind, marker, limit)),
                )
            if method == "GET":
                return _Call(
                    "get_execution", graph, run(200, lambda: store.get_execution(graph, name))
                )
            if method == "PUT":
                return _Call(
                    "restore_execution", graph, run(200, lambda: store.restore(graph, name))
                )
        raise ServiceError(404, "SYS.0003", "unsupported API")


def _started(execution: Execution) -> dict[str, str]:
    return {
        "execution_urn": execution.execution_urn,
        "execution_name": execution.execution_name,
        "started_at": execution.started_at,
    }


def _object(body: bytes) -> dict[str, object]:
    if not body:
        return {}
    try:
        payload = json.loads(body)
    except ValueError:
        raise ServiceError(400, "SYS.0006", "the request body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise ServiceError(400, "SYS.0006", "the request body must be a JSON object")
    return payload


def _start_args(payload: Mapping[str, object]) -> tuple[str, str, dict[str, object] | None]:
    bucket, object_key, inputs = payload.get("bucket"), payload.get("object"), payload.get("inputs")
    if not isinstance(bucket, str) or not isinstance(object_key, str):
        raise ServiceError(400, "SYS.0010", "bucket and object are required strings")
    if inputs is not None and not isinstance(inputs, dict):
        raise ServiceError(400, "SYS.0010", "inputs must be an object")
    return bucket, object_key, inputs


def _paging(args: Mapping[str, str | None]) -> tuple[int, int]:
    def number(name: str, default: int, low: int, high: int) -> int:
        raw = args.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ServiceError(400, "InvalidArgument", f"{name} must be an integer") from None
        if not low <= value <= high:
            raise ServiceError(400, "InvalidArgument", f"{name} must be {low} to {high}")
        return value

    return number("x-workflow-start", 1, 1, 10**9), number("x-workflow-limit", 10, 1, 1000)


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
    """Check ``Authorization`` the way the service does; return ``(code, message)`` or None.

    ``bucket`` is the bucket named by the Host header (virtual-host style); a
    path-style bucket is simply the first path segment and needs nothing special.
    """
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
