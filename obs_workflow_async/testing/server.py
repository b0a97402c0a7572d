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
import socket
import ssl
import threading
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, TypedDict

from aiohttp import web

from ._listening import stop_accepting
from .faults import Fault, FaultRule, FaultRules, after_call
from .replies import error_reply, json_reply
from .routes import Incoming, Operation, RouteMatch, resolve
from .signature import check_date, split_raw_path, verify_signature
from .state import Execution, InputMode, Outcome, ServiceError, WorkflowStore

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "ClientKwargs",
    "Execution",
    "FakeWorkflowServer",
    "Fault",
    "InputMode",
    "Operation",
    "RecordedRequest",
    "verify_signature",
]


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
        self.domain: str = domain or host
        """The endpoint's host name as clients address it: bucket calls arrive as
        ``<bucket>.<domain>`` (virtual-host style). Defaults to ``host``."""
        self.port: int = port
        self.record_requests = record_requests
        self.ssl_context = ssl_context
        self.store: WorkflowStore = WorkflowStore(
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
        self.in_flight: int = 0
        self.max_in_flight: int = 0
        self.peers: set[tuple[str, int]] = set()
        """Distinct client (host, port) pairs seen: one per TCP connection."""
        self._lock = threading.Lock()
        self._faults = FaultRules(self._lock, seed)
        self._runner: web.AppRunner | None = None
        self._listener: socket.socket | None = None

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
        bucket ``seeded``) started at ``started_at`` (default now), without requests.

        :param graph: The workflow (its name); created if missing.
        :param count: How many executions to add.
        :param started_at: Their start (and stop) time; ``None``: now.
        :param state: Their final state (default ``SUCCESS``).
        :returns: The executions added, in order.
        """
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
        generator, so runs repeat).

        :param fault: What to do instead of (or besides) answering (:class:`Fault`).
        :param graph: Fault only calls about this workflow; ``None``: any.
        :param operation: Fault only this operation; ``None``: any.
        :param times: How many matching calls to fault; ``None``: every one.
        :param probability: The chance, in (0, 1], that a matching call is faulted.
        :raises ValueError: ``probability`` is outside (0, 1].
        """
        if not 0 < probability <= 1:
            raise ValueError("probability must be in (0, 1]")
        self._faults.add(FaultRule(fault, graph, operation, times, probability))

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self._faults.clear()

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
        """The server's base URL (``http://127.0.0.1:PORT``, https with ``ssl_context``)."""
        if self._runner is None:
            raise RuntimeError("the fake server is not running")
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def app(self) -> web.Application:
        """The ``aiohttp.web`` application (to mount it in your own test server)."""
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    async def start(self) -> Self:
        """Start listening (in the running loop); :meth:`close` stops."""
        runner = web.AppRunner(
            self.app(), access_log=None, shutdown_timeout=0.5, handler_cancellation=True
        )
        await runner.setup()
        # our own listening socket: close() must reach it to stop accepting first
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener: socket.socket | None = None
        try:
            listener = socket.create_server((self.host, self.port), family=family, backlog=128)
            site = web.SockSite(runner, listener, ssl_context=self.ssl_context)
            await site.start()
        except BaseException:
            if listener is not None:
                listener.close()
            await runner.cleanup()
            raise
        self.port = int(runner.addresses[0][1])
        self._runner = runner
        self._listener = listener
        return self

    async def close(self) -> None:
        """Stop listening and drop open connections."""
        runner, self._runner = self._runner, None
        listener, self._listener = self._listener, None
        if runner is not None:
            if listener is not None and listener.fileno() != -1:
                # the connections accepted but not yet handed to aiohttp are seen by
                # its cleanup, not lost (see _listening)
                await stop_accepting([listener.fileno()])
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @contextmanager
    def run_in_thread(self) -> Iterator[Self]:
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

    def _bucket_from_host(self, request: web.Request) -> str | None:
        host = request.headers.get("Host", "").rsplit(":", 1)[0]
        suffix = "." + self.domain
        return host[: -len(suffix)] if host.endswith(suffix) else None

    def _auth_problem(self, request: web.Request, bucket: str | None) -> tuple[str, str] | None:
        sent = check_date(request.headers.get("Date"), self.max_skew_seconds)
        if isinstance(sent, tuple):
            return sent
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
        path, query = split_raw_path(request.raw_path)
        bucket = self._bucket_from_host(request)
        parts = tuple(path.strip("/").split("/")) if path.strip("/") else ()
        try:
            call = self._route(
                Incoming(request.method, parts, dict(query), body, request_id, bucket)
            )
        except ServiceError as error:
            return self._error_reply(error.status, error.code, error.message, request_id)
        self._record(request, call, body)
        try:
            return await self._answer(request, call, request_id, bucket)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _error_reply(
        self,
        status: int,
        code: str,
        message: str,
        request_id: str,
        extra_headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        """An error answer in the shape of the API faked (another API overrides it)."""
        return error_reply(status, code, message, request_id, extra_headers)

    def _route(self, incoming: Incoming) -> RouteMatch:
        """The operation a request asks for (another API's fake routes its own table)."""
        return resolve(incoming)

    def _record(self, request: web.Request, call: RouteMatch, body: bytes) -> None:
        """Count the call (and its start attempt) and record the request."""
        peername = request.transport.get_extra_info("peername") if request.transport else None
        peer = (str(peername[0]), int(peername[1])) if peername else None
        with self._lock:
            self.calls[call.operation] += 1
            if call.operation == "start" and call.graph is not None:
                self.attempts[call.graph] += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if peer is not None:
                self.peers.add(peer)
            if self.record_requests:
                self.requests.append(
                    RecordedRequest(
                        request.method,
                        request.raw_path,
                        dict(request.headers),
                        body,
                        call.graph,
                        peer,
                        call.operation,
                    )
                )

    async def _answer(
        self, request: web.Request, call: RouteMatch, request_id: str, bucket: str | None
    ) -> web.StreamResponse:
        problem = self._auth_problem(request, bucket)
        if problem is not None:
            return self._error_reply(403, problem[0], problem[1], request_id)
        fault = self._faults.take(call.graph, call.operation)
        if fault is not None and fault.kind == "status":
            return fault.status_reply(request_id, self._error_reply)
        if fault is not None and fault.kind == "delay":
            await asyncio.sleep(fault.delay)
        try:
            with self._lock:
                answer = call.action(self.store)
        except ServiceError as error:
            return self._error_reply(error.status, error.code, error.message, request_id)
        if fault is not None and (misbehave := after_call(fault)) is not None:
            return await misbehave(fault, request, call.status, answer, request_id)
        return json_reply(call.status, answer, request_id)
