"""The fake service's memory: templates, workflows, executions and trigger policies.

Plain synchronous logic with no I/O, so that the HTTP layer (:mod:`.server`) stays
thin and the rules are easy to read. Every operation returns JSON-ready data or
raises :class:`ServiceError` with the status and code the service would answer.
Execution states advance lazily: a read after ``finish_at`` sees the outcome.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

__all__ = ["Execution", "ServiceError", "WorkflowStore"]

JSON = dict[str, object]


class ServiceError(Exception):
    """An error answer: HTTP status, service code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def now_iso() -> str:
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


@dataclass
class Execution:
    """A workflow execution the fake started (or a bucket trigger started)."""

    graph_name: str
    bucket: str
    object_key: str
    inputs: dict[str, object] | None
    execution_name: str
    execution_urn: str
    started_at: str
    request_id: str
    execution_type: str = "APICALL"
    state: str = "RUNNING"
    stopped_at: str = ""
    finish_at: float | None = None
    restores: int = 0

    @property
    def marker(self) -> str:
        """The list order key, also the ``next_marker`` form: type then name."""
        return self.execution_type + self.execution_name


@dataclass
class _Template:
    name: str
    body: JSON
    create_time: str = field(default_factory=now_iso)
    last_modify_time: str = field(default_factory=now_iso)


@dataclass
class _Workflow:
    name: str
    graph_urn: str
    created_at: str
    template_name: str | None = None
    agency: str | None = None
    description: str | None = None
    parameters: object = None
    last_modified: str = field(default_factory=now_iso)


Outcome = Callable[[Execution], str]
"""Decides how a running execution ends: ``"SUCCESS"`` or ``"FAILED"`` (or another state)."""


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _always_success(execution: Execution) -> str:
    return "SUCCESS"


def _offset_listing(
    key: str, names: list[str], start: int, limit: int, render: Callable[[str], JSON]
) -> JSON:
    """One page of an offset-paginated list (1-based ``start``, ``next_start`` if truncated)."""
    first = start - 1
    page = names[first : first + limit]
    body: JSON = {
        "count": len(page),
        key: [render(name) for name in page],
        "is_truncated": first + limit < len(names),
    }
    if body["is_truncated"]:
        body["next_start"] = start + limit
    return body


class WorkflowStore:
    """Everything the fake service remembers."""

    def __init__(
        self,
        *,
        region: str,
        project_id: str,
        domain_id: str,
        strict_workflows: bool,
        execution_duration: float | None,
        outcome: Outcome | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.region = region
        self.project_id = project_id
        self.domain_id = domain_id
        self.strict_workflows = strict_workflows
        self.execution_duration = execution_duration
        self.outcome: Outcome = outcome or _always_success
        self.clock = clock
        self.templates: dict[str, _Template] = {}
        self.workflows: dict[str, _Workflow] = {}
        self.executions: list[Execution] = []
        self.policies: dict[str, list[JSON]] = {}
        self._counter = itertools.count(1)

    # -- helpers -----------------------------------------------------------------------

    def graph_urn(self, graph: str) -> str:
        return f"urn:fgs:{self.region}:{self.project_id}:graph:{graph}"

    def _workflow(self, graph: str) -> _Workflow:
        workflow = self.workflows.get(graph)
        if workflow is None:
            raise ServiceError(404, "WorkflowNotFound", f"workflow {graph} does not exist")
        return workflow

    def _refresh(self, execution: Execution) -> Execution:
        finish_at = execution.finish_at
        if execution.state == "RUNNING" and finish_at is not None and self.clock() >= finish_at:
            self.finish(execution, self.outcome(execution))
        return execution

    def finish(self, execution: Execution, state: str) -> None:
        execution.state = state
        execution.stopped_at = now_iso()
        execution.finish_at = None

    def _schedule(self, execution: Execution) -> None:
        duration = self.execution_duration
        execution.finish_at = None if duration is None else self.clock() + duration

    # -- templates ---------------------------------------------------------------------

    def create_template(self, name: str, body: JSON) -> JSON:
        if name in self.templates:
            raise ServiceError(409, "TemplateAlreadyExists", f"template {name} already exists")
        self.templates[name] = _Template(name, body)
        return {"template_name": name}

    def get_template(self, name: str) -> JSON:
        template = self.templates.get(name)
        if template is None:
            raise ServiceError(404, "TemplateNotFound", f"template {name} does not exist")
        return {
            "template_name": name,
            **template.body,
            "create_time": template.create_time,
            "last_modify_time": template.last_modify_time,
        }

    def delete_template(self, name: str) -> None:
        if self.templates.pop(name, None) is None:
            raise ServiceError(404, "TemplateNotFound", f"template {name} does not exist")

    def list_templates(self, prefix: str, start: int, limit: int) -> JSON:
        names = sorted(n for n in self.templates if n.startswith(prefix))

        def render(name: str) -> JSON:
            template = self.templates[name]
            return {
                "template_name": name,
                "description": template.body.get("description"),
                "create_time": template.create_time,
            }

        return _offset_listing("templates", names, start, limit, render)

    # -- workflows ---------------------------------------------------------------------

    def create_workflow(self, graph: str, template_name: str, body: JSON) -> JSON:
        if graph in self.workflows:
            raise ServiceError(409, "WorkflowAlreadyExists", f"workflow {graph} already exists")
        if template_name not in self.templates:
            raise ServiceError(404, "TemplateNotFound", f"template {template_name} does not exist")
        if not body.get("agency"):
            raise ServiceError(400, "SYS.0010", "agency is required")
        workflow = _Workflow(
            graph,
            self.graph_urn(graph),
            now_iso(),
            template_name=template_name,
            agency=str(body["agency"]),
            description=_text(body.get("description")),
            parameters=body.get("parameters"),
        )
        self.workflows[graph] = workflow
        return {
            "graph_name": graph,
            "graph_urn": workflow.graph_urn,
            "created_at": workflow.created_at,
        }

    def ensure_workflow_record(self, graph: str) -> None:
        """Pre-create a bare workflow (``known_graphs``)."""
        self.workflows.setdefault(graph, _Workflow(graph, self.graph_urn(graph), now_iso()))

    def ensure_workflow(self, graph: str) -> _Workflow:
        """For starts: a strict store insists the workflow exists; a lax one creates it."""
        if graph not in self.workflows and not self.strict_workflows:
            self.workflows[graph] = _Workflow(graph, self.graph_urn(graph), now_iso())
        return self._workflow(graph)

    def get_workflow(self, graph: str) -> JSON:
        workflow = self._workflow(graph)
        template = self.templates.get(workflow.template_name or "")
        return {
            "name": graph,
            "graph_urn": workflow.graph_urn,
            "created_at": workflow.created_at,
            "description": workflow.description,
            "definition": {
                "agency": workflow.agency,
                "states": template.body.get("states") if template else None,
                "inputs": workflow.parameters,
            },
        }

    def update_workflow(self, graph: str, body: JSON) -> JSON:
        workflow = self._workflow(graph)
        if "parameters" in body:
            workflow.parameters = body["parameters"]
        if "description" in body:
            workflow.description = _text(body["description"])
        workflow.last_modified = now_iso()
        return {
            "graph_name": graph,
            "graph_urn": workflow.graph_urn,
            "last_modified": workflow.last_modified,
        }

    def delete_workflow(self, graph: str) -> None:
        self._workflow(graph)
        del self.workflows[graph]

    def list_workflows(self, prefix: str, start: int, limit: int) -> JSON:
        names = sorted(n for n in self.workflows if n.startswith(prefix))

        def render(name: str) -> JSON:
            workflow = self.workflows[name]
            return {
                "name": name,
                "created_at": workflow.created_at,
                "graph_urn": workflow.graph_urn,
            }

        return _offset_listing("graphs", names, start, limit, render)

    # -- executions --------------------------------------------------------------------

    def start(
        self,
        graph: str,
        bucket: str,
        object_key: str,
        inputs: dict[str, object] | None,
        request_id: str,
        execution_type: str = "APICALL",
    ) -> Execution:
        self.ensure_workflow(graph)
        number = next(self._counter)
        name = f"{uuid.uuid4().hex[:24]}{number:08d}"
        execution = Execution(
            graph_name=graph,
            bucket=bucket,
            object_key=object_key,
            inputs=inputs,
            execution_name=name,
            execution_urn=(
                f"urn:fgs:{self.region}:{self.project_id}:execution:{graph}:{name}:{self.domain_id}"
            ),
            started_at=now_iso(),
            request_id=request_id,
            execution_type=execution_type,
        )
        self._schedule(execution)
        self.executions.append(execution)
        return execution

    def find_execution(self, graph: str, name: str) -> Execution:
        self._workflow(graph)
        for execution in self.executions:
            if execution.graph_name == graph and execution.execution_name == name:
                return self._refresh(execution)
        raise ServiceError(404, "ExecutionNotFound", f"execution {name} does not exist")

    def _summary(self, execution: Execution) -> JSON:
        return {
            "graph_urn": self.graph_urn(execution.graph_name),
            "execution_urn": execution.execution_urn,
            "started_at": execution.started_at,
            "stopped_at": execution.stopped_at,
            "execution_type": execution.execution_type,
            "execution_state": execution.state,
            "execution_name": execution.execution_name,
        }

    def list_executions(
        self, graph: str, execution_type: str | None, marker: str | None, limit: int
    ) -> JSON:
        self._workflow(graph)
        items = sorted(
            (
                self._refresh(e)
                for e in self.executions
                if e.graph_name == graph
                and (execution_type is None or e.execution_type == execution_type)
            ),
            key=lambda e: e.marker,
        )
        if marker:
            items = [e for e in items if e.marker >= marker]
        page = items[:limit]
        body: JSON = {
            "count": len(page),
            "executions": [self._summary(e) for e in page],
            "is_truncated": len(items) > limit,
        }
        if len(items) > limit:
            body["next_marker"] = items[limit].marker
        return body

    def get_execution(self, graph: str, name: str) -> JSON:
        execution = self.find_execution(graph, name)
        failed = execution.state not in ("RUNNING", "SUCCESS")
        state_map = {
            "start": {"state_name": "start", "status": "SUCCESS", "type": "NOOP"},
            "process": {
                "state_name": "process",
                "status": "FAILED" if failed else execution.state,
                "type": "OPERATION",
                "started_at": execution.started_at,
            },
        }
        return {
            "execution_info": {
                **self._summary(execution),
                "input": {"bucket": execution.bucket, "object": execution.object_key,
                          "inputs": execution.inputs},
                "start_state": "start",
                "state_map": state_map,
            }
        }  # fmt: skip

    def restore(self, graph: str, name: str) -> JSON:
        execution = self.find_execution(graph, name)
        if execution.state != "FAILED":
            raise ServiceError(
                409, "ExecutionNotFailed", f"execution {name} is {execution.state}, not FAILED"
            )
        execution.state = "RUNNING"
        execution.stopped_at = ""
        execution.restores += 1
        self._schedule(execution)
        return {
            "execution_urn": execution.execution_urn,
            "execution_name": execution.execution_name,
            "restored_at": now_iso(),
        }

    # -- trigger policies ----------------------------------------------------------------

    def put_policy(self, bucket: str, body: JSON) -> None:
        rules = body.get("rules")
        if not isinstance(rules, list) or not rules:
            raise ServiceError(400, "InvalidArgument", "rules must be a non-empty list")
        urns = {w.graph_urn for w in self.workflows.values()}
        for rule in rules:
            if not isinstance(rule, Mapping) or rule.get("graph_urn") not in urns:
                raise ServiceError(400, "InvalidArgument", "every rule must name an existing graph")
        self.policies[bucket] = [dict(rule) for rule in rules]

    def get_policy(self, bucket: str) -> JSON:
        rules = self.policies.get(bucket)
        if rules is None:
            raise ServiceError(404, "NoSuchTriggerPolicy", f"bucket {bucket} has no trigger policy")
        return {"rules": rules}

    def delete_policy(self, bucket: str) -> None:
        if self.policies.pop(bucket, None) is None:
            raise ServiceError(404, "NoSuchTriggerPolicy", f"bucket {bucket} has no trigger policy")
