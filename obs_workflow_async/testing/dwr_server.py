"""``FakeDwrServer``: the shipped fake, serving the DWR v3 API (and IAM's project list).

It reuses :class:`~.server.FakeWorkflowServer` (its store, faults, counters, recorded
requests, lifecycle and thread runner) and changes what differs in v3:

- the gateway's ``SDK-HMAC-SHA256`` check: the ``Authorization`` header's
  ``SignedHeaders`` are re-signed with :mod:`obs_workflow_async.dwr.signing`;
  ``X-Sdk-Date`` more than 15 minutes off gives 401 ``APIGW.0303``, a wrong
  signature, key or token 401 ``APIGW.0301``;
- the project id, in every path (``/v3/{project_id}/...``) and, when sent, in
  ``X-Project-Id``: another one is 403 ``DWR.0403``;
- errors as ``{"error_code", "error_msg", "request_id"}`` with ``X-Request-Id``; a
  429 fault (see :meth:`FakeDwrServer.throttle`) answers ``APIG.0308``;
- v3 states (``running``, ``success``, ``fail``, ...), ``offset``/``next_offset``
  pages, executions at most 200 per page within a time window (default: the last
  3 days), the FunctionGraph-style execution detail, ``retry`` on failed executions,
  authorization, agreements and action templates.

Operation names (for :meth:`FakeDwrServer.add_fault` and ``calls``) are the client's method names;
a start is ``"start"`` as in v2.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import TypedDict, cast
from urllib.parse import unquote

from aiohttp import web

from ..dwr import signing
from .dwr_routes import _no_such_api, _resolve
from .faults import Fault
from .routes import Incoming, Operation, RouteMatch
from .server import FakeWorkflowServer
from .state import JSON, Execution, ServiceError, now_iso

__all__ = ["DwrClientKwargs", "FakeDwrServer"]

_AUTH = re.compile(
    r"^SDK-HMAC-SHA256 Access=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]+)$"
)
_TIME = "%Y-%m-%dT%H:%M:%SZ"
_V3_STATE = {"RUNNING": "running", "SUCCESS": "success", "FAILED": "fail"}
_Problem = tuple[int, str, str]
"""A gateway refusal: status, ``error_code``, ``error_msg``."""


class DwrClientKwargs(TypedDict, total=False):
    """The connection arguments of :class:`~obs_workflow_async.dwr.AsyncDwrClient`."""

    endpoint: str
    project_id: str
    access_key_id: str
    secret_access_key: str
    security_token: str


def _v3_state(state: str) -> str:
    return _V3_STATE.get(state, state.lower())


def _parse_time(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, _TIME).replace(tzinfo=timezone.utc)
    except ValueError:
        raise ServiceError(400, "DWR.0400", f"{name} must be yyyy-MM-ddTHH:mm:ssZ") from None


def _started(execution: Execution) -> datetime:
    return datetime.strptime(execution.started_at[:19], "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=timezone.utc
    )


class FakeDwrServer(FakeWorkflowServer):
    """The v3 fake; takes :class:`FakeWorkflowServer`'s arguments (see the module docstring)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.definitions: dict[str, JSON] = {}
        self.authorized: bool = False
        self.agreements: dict[str, str] = {}
        self.my_templates: dict[str, JSON] = {}
        self.system_templates: list[JSON] = [
            {"name": f"sys-template-{n}", "category": "MediaProcess"} for n in range(5)
        ]
        self.public_templates: list[JSON] = [
            {"name": f"public-template-{n}", "category": "FileProcess"} for n in range(3)
        ]
        self.iam_calls: int = 0

    def dwr_client_kwargs(self) -> DwrClientKwargs:
        """``AsyncDwrClient(**server.dwr_client_kwargs())``."""
        kwargs: DwrClientKwargs = {
            "endpoint": self.url,
            "project_id": self.PROJECT_ID,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
        }
        if self.security_token is not None:
            kwargs["security_token"] = self.security_token
        return kwargs

    def throttle(self, times: int = 1, *, operation: str | None = None) -> None:
        """Answer the next ``times`` calls 429 ``APIG.0308`` (the gateway's throttling).

        :param times: How many calls to throttle.
        :param operation: Throttle only this operation; ``None``: any.
        """
        self.add_fault(
            Fault(
                "status",
                429,
                "APIG.0308",
                "The throttling threshold has been "
                "reached: policy user over ratelimit,limit:20,time:1 second",
            ),
            operation=cast(Operation | None, operation),
            times=times,
        )

    # -- v3 shapes -------------------------------------------------------------------------

    @staticmethod
    def _json(status: int, body: object, request_id: str) -> web.Response:
        headers = {"X-Request-Id": request_id}
        if status == 204 or body is None:
            return web.Response(status=status, headers=headers)
        return web.json_response(body, status=status, headers=headers)

    @staticmethod
    def _error(
        status: int,
        code: str,
        message: str,
        request_id: str,
        extra_headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        if status == 429 and not code.startswith("APIG"):
            code = "APIG.0308"
        body = json.dumps({"error_code": code, "error_msg": message, "request_id": request_id})
        headers = {
            "X-Request-Id": request_id,
            "Content-Type": "application/json",
            **(extra_headers or {}),
        }
        return web.Response(status=status, text=body, headers=headers)

    # -- the gateway ---------------------------------------------------------------------

    def _error_reply(
        self,
        status: int,
        code: str,
        message: str,
        request_id: str,
        extra_headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        return self._error(status, code, message, request_id, extra_headers)

    def _auth_problem(self, request: web.Request, bucket: str | None) -> tuple[str, str] | None:
        return None  # checked in _answer, with the gateway's statuses

    def _gateway_problem(self, request: web.Request, body: bytes) -> _Problem | None:
        """Why the gateway refuses the request, if it does: ``X-Sdk-Date`` missing,
        malformed or too far off, then (with ``check_signature``) the signature."""
        problem = _date_problem(request.headers.get("X-Sdk-Date"), self.max_skew_seconds)
        if problem is not None or not self.check_signature:
            return problem
        return self._signature_problem(request, body)

    def _signature_problem(self, request: web.Request, body: bytes) -> _Problem | None:
        """The ``Authorization`` header's key, token and signed headers, then the
        signature re-computed over them."""
        match = _AUTH.match(request.headers.get("Authorization", ""))
        if match is None:
            return 401, "APIGW.0301", "Incorrect IAM authentication information: Authorization"
        access, names, sig = match.groups()
        signed = names.split(";")
        problem = self._credential_problem(access, request.headers.get("X-Security-Token"))
        if problem is None:
            problem = _signed_headers_problem(request.headers, signed)
        if problem is not None:
            return problem
        headers = {name: request.headers[name] for name in signed}
        path, _, query = request.raw_path.partition("?")
        expected = signing.sign(
            request.method,
            path,
            _query_pairs(query),
            headers,
            body or None,
            access_key_id=access,
            secret_access_key=self.secret_access_key,
        )
        if expected.signature != sig:
            return 401, "APIGW.0301", "Incorrect IAM authentication information: signature"
        return None

    def _credential_problem(self, access: str, token: str | None) -> _Problem | None:
        if access != self.access_key_id:
            return 401, "APIGW.0301", "Incorrect IAM authentication information: AK"
        if self.security_token is not None and token != self.security_token:
            return 401, "APIGW.0301", "Incorrect IAM authentication information: token"
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        problem = self._gateway_problem(request, body)
        if problem is not None:
            with self._lock:
                self.calls["rejected_by_gateway"] += 1
            return self._error(problem[0], problem[1], problem[2], "gateway")
        return await super()._handle(request)

    # -- routing -------------------------------------------------------------------------

    def _route(self, incoming: Incoming) -> RouteMatch:
        """The v3 gateway's routes (the v2 table is not served here): IAM's project list
        (any method), else ``/v3/{project_id}/<resource>/...`` from
        :data:`~.dwr_routes._V3_RESOURCES`."""
        if incoming.parts == ("v3", "projects"):
            args = incoming.args
            return RouteMatch(
                cast(Operation, "discover_project_id"),
                None,
                200,
                lambda _store: self._projects(args),
            )
        self._check_project(incoming.parts)
        return _resolve(self, incoming)

    def _check_project(self, parts: tuple[str, ...]) -> None:
        """A v3 path names this fake's project (the ``X-Project-Id`` header, which also
        names it, is checked in :meth:`_answer`)."""
        if len(parts) < 3 or parts[0] != "v3":
            raise _no_such_api()
        if parts[1] != self.PROJECT_ID:
            raise ServiceError(403, "DWR.0403", "the project id in the path is not yours")

    async def _answer(
        self, request: web.Request, call: RouteMatch, request_id: str, bucket: str | None
    ) -> web.StreamResponse:
        header = request.headers.get("X-Project-Id")
        iam = request.path.rstrip("/") == "/v3/projects"
        if header is not None and header != self.PROJECT_ID and not iam:
            return self._error(403, "DWR.0403", "X-Project-Id is not this project", request_id)
        return await super()._answer(request, call, request_id, bucket)

    # -- operations ------------------------------------------------------------------------

    def _projects(self, args: Mapping[str, str | None]) -> JSON:
        self.iam_calls += 1
        if args.get("name") != self.region:
            return {"projects": []}
        return {"projects": [{"id": self.PROJECT_ID, "name": self.region}]}

    def _create(self, graph: str, payload: JSON) -> JSON:
        if graph in self.store.workflows:
            raise ServiceError(409, "DWR.0409", f"workflow {graph} already exists")
        workflow = self.store.ensure_workflow(graph)
        self.definitions[graph] = payload
        return {
            "graph_name": graph,
            "graph_urn": workflow.graph_urn,
            "created_at": workflow.created_at,
        }

    def _show(self, graph: str) -> JSON:
        workflow = self.store._workflow(graph)
        definition = self.definitions.get(graph, {})
        return {
            "name": graph,
            "created_at": workflow.created_at,
            "graph_urn": workflow.graph_urn,
            "definition": definition,
            "description": definition.get("description"),
        }

    def _update(self, graph: str, payload: JSON) -> JSON:
        workflow = self.store._workflow(graph)
        workflow.parameters = payload.get("parameters")
        workflow.last_modified = now_iso()
        return {
            "graph_name": graph,
            "graph_urn": workflow.graph_urn,
            "last_modified": workflow.last_modified,
        }

    def _delete(self, graph: str) -> None:
        self.store.delete_workflow(graph)
        self.definitions.pop(graph, None)

    def _executions(self, graph: str, q: Mapping[str, str], offset: int, limit: int) -> JSON:
        self.store._workflow(graph)
        given_start = _parse_time(q.get("start_time"), "start_time")
        given_end = _parse_time(q.get("end_time"), "end_time")
        window = timedelta(days=3)
        if given_start is None:
            end = given_end or datetime.now(timezone.utc).replace(microsecond=0)
            start = end - window
        else:
            start, end = given_start, given_end or given_start + window
        if end - start > timedelta(days=3):
            raise ServiceError(400, "DWR.0400", "the time window is at most 3 days")
        status = q.get("status")
        now = self.store.clock()
        matching = [
            self.store._refresh(e)
            for e in self.store.executions
            if e.graph_name == graph and e.visible_at <= now and start <= _started(e) <= end
        ]
        if status:
            matching = [e for e in matching if _v3_state(e.state) == status]
        first = offset - 1
        page = matching[first : first + limit]
        body: JSON = {
            "count": len(matching),
            "is_truncated": first + limit < len(matching),
            "executions": [_summary(self.store, e) for e in page],
        }
        if body["is_truncated"]:
            body["next_offset"] = offset + limit
        return body

    def _detail(self, graph: str, name: str) -> JSON:
        e = self.store.find_execution(graph, name)
        state = _v3_state(e.state)
        urn = f"urn:fss:{self.region}:{self.PROJECT_ID}:workflow:default:{graph}:latest"
        begin = e.started_at[:19] + "Z"
        ms = int(_started(e).timestamp() * 1000)
        return {
            "workflow_id": graph,
            "workflow_urn": urn,
            "execution_id": e.execution_name,
            "status": state,
            "headers": {},
            "created_by": "APICALL",
            "input": {"bucket": e.bucket, "object": e.object_key, "inputs": e.inputs},
            "output": {} if state == "success" else None,
            "begin_time": begin,
            "end_time": (e.stopped_at[:19] + "Z") if e.stopped_at else "",
            "last_update_time": begin,
            "node_execution_details": [
                {
                    "status": state,
                    "input": {},
                    "output": {},
                    "begin_time": ms,
                    "end_time": ms,
                    "error_message": "" if state != "fail" else "failed",
                    "request_id": e.request_id,
                }
            ],
        }

    def _retry(self, graph: str, name: str) -> JSON:
        try:
            return self.store.restore(graph, name)
        except ServiceError as error:
            raise ServiceError(error.status, "DWR.0409", error.message) from None

    def _accept(self, kind: str) -> None:
        self.agreements.setdefault(kind, now_iso())

    def _drop_template(self, name: str) -> None:
        self.my_templates.pop(name, None)

    def _authorize(self) -> None:
        self.authorized = True

    def _authorization(self) -> JSON:
        if not self.authorized:
            raise ServiceError(404, "DWR.0404", "no workflow authorization")
        return {
            "agency_id": "agency-1",
            "agency_name": "dwr_admin_trust",
            "agency_duration": "FOREVER",
            "trust_domain_name": "op_svc_dwr",
            "create_time": now_iso(),
        }

    def _agreement(self, kind: str) -> JSON:
        if kind not in self.agreements:
            raise ServiceError(404, "DWR.0404", "agreement not accepted")
        return {"agreement_type": kind, "create_time": self.agreements[kind]}

    def _template(self, kind: str, name: str) -> JSON:
        if kind == "myactiontemplate":
            if name not in self.my_templates:
                raise ServiceError(404, "DWR.0404", f"template {name} does not exist")
            return {"provided_actions": {"name": name, "template": self.my_templates[name]}}
        pool = self.system_templates if kind == "actiontemplate" else self.public_templates
        if not any(t["name"] == name for t in pool):
            raise ServiceError(404, "DWR.0404", f"template {name} does not exist")
        action: JSON = {"name": name, "action_name": "run"}
        return {"provided_actions": [action] if kind == "actiontemplate" else action}

    def _save_template(self, name: str, payload: JSON, method: str) -> JSON:
        if method == "POST":
            if name in self.my_templates:
                raise ServiceError(409, "DWR.0409", f"template {name} exists")
            self.my_templates[name] = {
                "name": name,
                "category": payload.get("category"),
                "status": "CREATED",
                "version": "1",
            }
            return {
                "template_name": name,
                "created_at": now_iso(),
                "func_pkg_path": f"https://upload.example/{name}.zip",
            }
        if name not in self.my_templates:
            raise ServiceError(404, "DWR.0404", f"template {name} does not exist")
        version = str(int(str(self.my_templates[name]["version"])) + 1)
        self.my_templates[name]["version"] = version
        return {"template_name": name, "created_at": now_iso(), "version": version}

    def _forbid(self, name: str) -> None:
        if name not in self.my_templates:
            raise ServiceError(404, "DWR.0404", f"template {name} does not exist")
        self.my_templates[name]["status"] = "DEPRECATED"


def _summary(store: object, e: Execution) -> JSON:
    return {
        "graph_urn": store.graph_urn(e.graph_name),  # type: ignore[attr-defined]
        "execution_urn": e.execution_urn,
        "started_at": e.started_at[:19] + "Z",
        "stopped_at": (e.stopped_at[:19] + "Z") if e.stopped_at else "",
        "execution_type": e.execution_type,
        "execution_state": _v3_state(e.state),
        "execution_name": e.execution_name,
    }


# -- the gateway's checks ------------------------------------------------------------------


def _date_problem(date: str | None, max_skew_seconds: float) -> _Problem | None:
    if date is None:
        return 401, "APIGW.0301", "X-Sdk-Date is missing"
    try:
        sent = datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return 401, "APIGW.0301", "X-Sdk-Date is malformed"
    if abs((datetime.now(timezone.utc) - sent).total_seconds()) > max_skew_seconds:
        return 401, "APIGW.0303", "Incorrect app authentication information: request expired"
    return None


def _signed_headers_problem(headers: Mapping[str, str], signed: Sequence[str]) -> _Problem | None:
    if "x-sdk-date" not in signed or "host" not in signed:
        return 401, "APIGW.0301", "host and x-sdk-date must be signed"
    for name in signed:
        if name not in headers:
            return 401, "APIGW.0301", f"signed header {name} is missing"
    return None


def _query_pairs(query: str) -> list[tuple[str, str]]:
    """A raw query string's decoded ``(name, value)`` pairs, in order."""
    pairs = (part.partition("=") for part in query.split("&") if part)
    return [(unquote(name), unquote(value)) for name, _, value in pairs]
