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
  429 fault (see :meth:`throttle`) answers ``APIG.0308``;
- v3 states (``running``, ``success``, ``fail``, ...), ``offset``/``next_offset``
  pages, executions at most 200 per page within a time window (default: the last
  3 days), the FunctionGraph-style execution detail, ``retry`` on failed executions,
  authorization, agreements and action templates.

Operation names (for :meth:`add_fault` and ``calls``) are the client's method names;
a start is ``"start"`` as in v2.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import TypedDict, cast

from aiohttp import web

from ..dwr import signing
from .faults import Fault
from .routes import Incoming, Operation, RouteMatch, _object, _start_args
from .server import FakeWorkflowServer
from .state import JSON, Execution, ServiceError, now_iso

__all__ = ["DwrClientKwargs", "FakeDwrServer"]

_AUTH = re.compile(
    r"^SDK-HMAC-SHA256 Access=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]+)$"
)
_TIME = "%Y-%m-%dT%H:%M:%SZ"
_V3_STATE = {"RUNNING": "running", "SUCCESS": "success", "FAILED": "fail"}


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
        self.authorized = False
        self.agreements: dict[str, str] = {}
        self.my_templates: dict[str, JSON] = {}
        self.system_templates: list[JSON] = [
            {"name": f"sys-template-{n}", "category": "MediaProcess"} for n in range(5)
        ]
        self.public_templates: list[JSON] = [
            {"name": f"public-template-{n}", "category": "FileProcess"} for n in range(3)
        ]
        self.iam_calls = 0

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
        """Answer the next ``times`` calls 429 ``APIG.0308`` (the gateway's throttling)."""
        self.add_fault(Fault("status", 429, "APIG.0308", "The throttling threshold has been "
                             "reached: policy user over ratelimit,limit:20,time:1 second"),
                       operation=operation, times=times)  # type: ignore[arg-type]  # fmt: skip

    # -- v3 shapes -------------------------------------------------------------------------

    @staticmethod
    def _json(status: int, body: object, request_id: str) -> web.Response:
        headers = {"X-Request-Id": request_id}
        if status == 204 or body is None:
            return web.Response(status=status, headers=headers)
        return web.json_response(body, status=status, headers=headers)

    @staticmethod
    def _error(
        status: int, code: str, message: str, request_id: str,
        extra_headers: Mapping[str, str] | None = None,
    ) -> web.Response:  # fmt: skip
        if status == 429 and not code.startswith("APIG"):
            code = "APIG.0308"
        body = json.dumps({"error_code": code, "error_msg": message, "request_id": request_id})
        headers = {"X-Request-Id": request_id, "Content-Type": "application/json",
                   **(extra_headers or {})}  # fmt: skip
        return web.Response(status=status, text=body, headers=headers)

    # -- the gateway ---------------------------------------------------------------------

    def _auth_problem(self, request: web.Request, bucket: str | None) -> tuple[str, str] | None:
        return None  # checked in _answer, with the gateway's statuses

    def _gateway_problem(self, request: web.Request, body: bytes) -> tuple[int, str, str] | None:
        date = request.headers.get("X-Sdk-Date")
        if date is None:
            return 401, "APIGW.0301", "X-Sdk-Date is missing"
        try:
            sent = datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            return 401, "APIGW.0301", "X-Sdk-Date is malformed"
        if abs((datetime.now(timezone.utc) - sent).total_seconds()) > self.max_skew_seconds:
            return 401, "APIGW.0303", "Incorrect app authentication information: request expired"
        if not self.check_signature:
            return None
        match = _AUTH.match(request.headers.get("Authorization", ""))
        if match is None:
            return 401, "APIGW.0301", "Incorrect IAM authentication information: Authorization"
        access, names, sig = match.groups()
        if access != self.access_key_id:
            return 401, "APIGW.0301", "Incorrect IAM authentication information: AK"
        token = request.headers.get("X-Security-Token")
        if self.security_token is not None and token != self.security_token:
            return 401, "APIGW.0301", "Incorrect IAM authentication information: token"
        signed = names.split(";")
        if "x-sdk-date" not in signed or "host" not in signed:
            return 401, "APIGW.0301", "host and x-sdk-date must be signed"
        headers = {}
        for name in signed:
            if name not in request.headers:
                return 401, "APIGW.0301", f"signed header {name} is missing"
            headers[name] = request.headers[name]
        path, _, query = request.raw_path.partition("?")
        pairs = [(k, v) for k, _, v in (p.partition("=") for p in query.split("&") if p)]
        from urllib.parse import unquote

        pairs = [(unquote(k), unquote(v)) for k, v in pairs]
        expected = signing.sign(request.method, path, pairs, headers, body or None,
                                access_key_id=access,
                                secret_access_key=self.secret_access_key)  # fmt: skip
        if expected.signature != sig:
            return 401, "APIGW.0301", "Incorrect IAM authentication information: signature"
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
        """The v3 gateway's routes (the v2 table is not served here)."""
        method, args, body = incoming.method, incoming.args, incoming.body
        request_id = incoming.request_id

        def run(status: int, action: Callable[[], object]) -> tuple[int, Callable[[], object]]:
            return status, action

        parts = list(incoming.parts)
        if parts == ["v3", "projects"]:
            return _op("discover_project_id", None, run(200, lambda: self._projects(args)))
        if len(parts) < 3 or parts[0] != "v3":
            raise ServiceError(404, "APIG.0101", "The API does not exist or has not been published")
        if parts[1] != self.PROJECT_ID:
            raise ServiceError(403, "DWR.0403", "the project id in the path is not yours")
        # the header is checked here, with the path: both name the project
        rest, store = parts[2:], self.store
        q = {k: v or "" for k, v in args.items()}
        key = (method, rest[0], len(rest))
        if rest[0] == "workflows":
            if key == ("GET", "workflows", 1):
                offset, limit = _paging(q, 1000)
                prefix = q.get("prefix", "")
                listing = run(200, lambda: _v3_page(store.list_workflows(prefix, offset, limit)))
                return _op("list_workflows", None, listing)
            g = rest[1]
            if len(rest) == 2:
                if method == "POST":
                    payload = _object(body)
                    return _op("create_workflow", g, run(200, lambda: self._create(g, payload)))
                if method == "GET":
                    return _op("get_workflow", g, run(200, lambda: self._show(g)))
                if method == "PUT":
                    payload = _object(body)
                    return _op("update_workflow", g, run(200, lambda: self._update(g, payload)))
                if method == "DELETE":
                    return _op("delete_workflow", g, run(204, lambda: self._delete(g)))
            if len(rest) == 3 and rest[2] == "execute" and method == "POST":
                b, o, inputs = _start_args(_object(body))
                return _op("start", g, run(200, lambda: _start_answer(
                    store.start(g, b, o, inputs, request_id))))  # fmt: skip
            if len(rest) >= 4 and rest[2] == "workflowexecution":
                e = rest[3]
                if len(rest) == 4 and method == "GET":
                    return _op("get_execution", g, run(200, lambda: self._detail(g, e)))
                if len(rest) == 5 and rest[4] == "retry" and method == "POST":
                    return _op("restore_execution", g, run(200, lambda: self._retry(g, e)))
        if key == ("GET", "workflowexecutions", 1):
            graph = q.get("graph_name")
            if not graph:
                raise ServiceError(400, "DWR.0400", "graph_name is required")
            offset, limit = _paging(q, 200)
            return _op("list_executions", graph,
                         run(200, lambda: self._executions(graph, q, offset, limit)))  # fmt: skip
        if rest == ["workflow-authorization"]:
            if method == "POST":
                return _op("create_authorization", None, run(200, self._authorize))
            if method == "GET":
                return _op("get_authorization", None, run(200, self._authorization))
        if rest == ["workflow-agreements"]:
            kind = q.get("type", "")
            if kind not in ("use_public_action_privacy_statement",
                            "register_public_action_statement"):  # fmt: skip
                raise ServiceError(400, "DWR.0400", "type is invalid")
            if method == "POST":
                return _op("accept_agreement", None,
                             run(200, lambda: self._accept(kind)))  # fmt: skip
            if method == "GET":
                return _op("get_agreement", None, run(200, lambda: self._agreement(kind)))
        lists: dict[str, tuple[str, Callable[[], list[JSON]]]] = {
            "actiontemplates": ("list_system_templates", lambda: self.system_templates),
            "publicactiontemplates": ("list_public_templates", lambda: self.public_templates),
            "myactiontemplates": ("list_my_templates", lambda: list(self.my_templates.values())),
        }
        if method == "GET" and len(rest) == 1 and rest[0] in lists:
            operation, items = lists[rest[0]]
            offset, limit = _paging(q, 1000)
            return _op(operation, None, run(200, lambda: _template_page(items(), q, offset, limit)))
        singles = {"actiontemplate": "get_system_template",
                   "publicactiontemplate": "get_public_template",
                   "myactiontemplate": "get_my_template"}  # fmt: skip
        if method == "GET" and len(rest) == 2 and rest[0] in singles:
            name = rest[1]
            return _op(singles[rest[0]], None, run(200, lambda: self._template(rest[0], name)))
        if rest[0] == "myactiontemplates" and len(rest) >= 2:
            name = rest[1]
            if len(rest) == 3 and rest[2] == "forbid" and method == "POST":
                return _op("deprecate_my_template", None, run(200, lambda: self._forbid(name)))
            if method in ("POST", "PUT"):
                payload = _object(body)
                op = "create_my_template" if method == "POST" else "update_my_template"
                return _op(op, None, run(200, lambda: self._save_template(name, payload, method)))
            if method == "DELETE":
                return _op("delete_my_template", None,
                             run(204, lambda: self._drop_template(name)))  # fmt: skip
        raise ServiceError(404, "APIG.0101", "The API does not exist or has not been published")

    async def _answer(self, request: web.Request, call: RouteMatch, request_id: str,
                      bucket: str | None) -> web.StreamResponse:  # fmt: skip
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
        return {"graph_name": graph, "graph_urn": workflow.graph_urn,
                "created_at": workflow.created_at}  # fmt: skip

    def _show(self, graph: str) -> JSON:
        workflow = self.store._workflow(graph)
        definition = self.definitions.get(graph, {})
        return {"name": graph, "created_at": workflow.created_at, "graph_urn": workflow.graph_urn,
                "definition": definition, "description": definition.get("description")}  # fmt: skip

    def _update(self, graph: str, payload: JSON) -> JSON:
        workflow = self.store._workflow(graph)
        workflow.parameters = payload.get("parameters")
        workflow.last_modified = now_iso()
        return {"graph_name": graph, "graph_urn": workflow.graph_urn,
                "last_modified": workflow.last_modified}  # fmt: skip

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
            self.store._refresh(e) for e in self.store.executions
            if e.graph_name == graph and e.visible_at <= now and start <= _started(e) <= end
        ]  # fmt: skip
        if status:
            matching = [e for e in matching if _v3_state(e.state) == status]
        first = offset - 1
        page = matching[first : first + limit]
        body: JSON = {"count": len(matching), "is_truncated": first + limit < len(matching),
                      "executions": [_summary(self.store, e) for e in page]}  # fmt: skip
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
            "workflow_id": graph, "workflow_urn": urn, "execution_id": e.execution_name,
            "status": state, "headers": {}, "created_by": "APICALL",
            "input": {"bucket": e.bucket, "object": e.object_key, "inputs": e.inputs},
            "output": {} if state == "success" else None,
            "begin_time": begin, "end_time": (e.stopped_at[:19] + "Z") if e.stopped_at else "",
            "last_update_time": begin,
            "node_execution_details": [{"status": state, "input": {}, "output": {},
                                        "begin_time": ms, "end_time": ms,
                                        "error_message": "" if state != "fail" else "failed",
                                        "request_id": e.request_id}],
        }  # fmt: skip

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
        return {"agency_id": "agency-1", "agency_name": "dwr_admin_trust",
                "agency_duration": "FOREVER", "trust_domain_name": "op_svc_dwr",
                "create_time": now_iso()}  # fmt: skip

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
            self.my_templates[name] = {"name": name, "category": payload.get("category"),
                                       "status": "CREATED", "version": "1"}  # fmt: skip
            return {"template_name": name, "created_at": now_iso(),
                    "func_pkg_path": f"https://upload.example/{name}.zip"}  # fmt: skip
        if name not in self.my_templates:
            raise ServiceError(404, "DWR.0404", f"template {name} does not exist")
        version = str(int(str(self.my_templates[name]["version"])) + 1)
        self.my_templates[name]["version"] = version
        return {"template_name": name, "created_at": now_iso(), "version": version}

    def _forbid(self, name: str) -> None:
        if name not in self.my_templates:
            raise ServiceError(404, "DWR.0404", f"template {name} does not exist")
        self.my_templates[name]["status"] = "DEPRECATED"


def _op(
    operation: str, graph: str | None, run: tuple[int, Callable[[], object]]
) -> RouteMatch:
    status, action = run
    return RouteMatch(cast(Operation, operation), graph, status, lambda _store: action())


def _paging(q: Mapping[str, str], max_limit: int) -> tuple[int, int]:
    def number(name: str, default: int, high: int) -> int:
        raw = q.get(name)
        if not raw:
            return default
        if not raw.isdigit() or not 1 <= int(raw) <= high:
            raise ServiceError(400, "DWR.0400", f"{name} must be 1 to {high}")
        return int(raw)

    return number("offset", 1, 10**9), number("limit", 10, max_limit)


def _v3_page(page: JSON) -> JSON:
    out = {k: v for k, v in page.items() if k != "next_start"}
    if "next_start" in page:
        out["next_offset"] = page["next_start"]
    return out


def _template_page(items: list[JSON], q: Mapping[str, str], offset: int, limit: int) -> JSON:
    prefix, category = q.get("prefix", ""), q.get("category")
    kept = [t for t in items if str(t["name"]).startswith(prefix)
            and (not category or t.get("category") == category)]  # fmt: skip
    first = offset - 1
    page = kept[first : first + limit]
    truncated = first + limit < len(kept)
    return {"count": len(page), "total": len(kept), "action_templates": page,
            "is_truncated": truncated, "offset": offset + limit if truncated else None}  # fmt: skip


def _summary(store: object, e: Execution) -> JSON:
    return {
        "graph_urn": store.graph_urn(e.graph_name),  # type: ignore[attr-defined]
        "execution_urn": e.execution_urn, "started_at": e.started_at[:19] + "Z",
        "stopped_at": (e.stopped_at[:19] + "Z") if e.stopped_at else "",
        "execution_type": e.execution_type, "execution_state": _v3_state(e.state),
        "execution_name": e.execution_name,
    }  # fmt: skip


def _start_answer(e: Execution) -> JSON:
    return {"execution_urn": e.execution_urn, "execution_name": e.execution_name,
            "started_at": e.started_at}  # fmt: skip
