"""The fake service's memory: templates, workflows, executions and trigger policies.

Plain synchronous logic with no I/O, so that the HTTP layer (:mod:`.server`) stays
thin and the rules are easy to read. Every operation returns JSON-ready data or
raises :class:`ServiceError` with the status and code the service would answer.
Execution states advance lazily: a read after ``finish_at`` sees the outcome.
"""

from __future__ import annotations

import bisect
import itertools
import json
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime

from .records import (  # re-exported: the records live in .records
    JSON,
    Execution,
    InputMode,
    Outcome,
    ServiceError,
    _always_success,
    _offset_listing,
    _Template,
    _text,
    _Workflow,
    now_iso,
)

__all__ = ["JSON", "Execution", "InputMode", "Outcome", "ServiceError", "WorkflowStore", "now_iso"]


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
        input_mode: InputMode = "json_text",
        listing_lag: float = 0.0,
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
        self.input_mode: InputMode = input_mode
        """``"json_text"`` (default): ``input`` is JSON text of ``{"bucket", "object",
        "inputs"}``, as ``execution_info.input`` is documented ("JSON"); ``"object"``: the
        same as a JSON object; ``"without_object"``: JSON text of the inputs only (no
        bucket, no object); ``"none"``: no ``input`` at all."""
        self.listing_lag = listing_lag
        """Seconds (store clock) before a new execution shows in listings; details
        see it at once."""
        self._counter = itertools.count(1)
        self._by_name: dict[tuple[str, str], Execution] = {}
        self._listed: dict[tuple[str, str | None], tuple[int, list[str], list[Execution]]] = {}

    # -- helpers -----------------------------------------------------------------------

    def graph_urn(self, graph: str) -> str:
        """The URN the service gives workflow ``graph``."""
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
        """End ``execution`` in ``state`` now (as the service's engine would).

        :param execution: The execution to end (one this store holds).
        :param state: Its final state: ``SUCCESS``, ``FAILED`` or another service state.
        """
        execution.state = state
        execution.stopped_at = now_iso()
        execution.finish_at = None

    def _schedule(self, execution: Execution) -> None:
        duration = self.execution_duration
        execution.finish_at = None if duration is None else self.clock() + duration

    # -- templates ---------------------------------------------------------------------

    def create_template(self, name: str, body: JSON) -> JSON:
        """Store a workflow template; the service's answer.

        :param name: The template's name.
        :param body: The template as the create request sent it (JSON object).
        :returns: The service's answer, ``{"template_name": name}``.
        :raises ServiceError: 409 ``TemplateAlreadyExists`` if ``name`` is taken.
        """
        if name in self.templates:
            raise ServiceError(409, "TemplateAlreadyExists", f"template {name} already exists")
        self.templates[name] = _Template(name, body)
        return {"template_name": name}

    def get_template(self, name: str) -> JSON:
        """A template as the service shows it.

        :param name: The template's name.
        :returns: The template's body with its name and create/modify times.
        :raises ServiceError: 404 ``TemplateNotFound`` if there is none by that name.
        """
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
        """Remove a template.

        :param name: The template's name.
        :raises ServiceError: 404 ``TemplateNotFound`` if there is none by that name.
        """
        if self.templates.pop(name, None) is None:
            raise ServiceError(404, "TemplateNotFound", f"template {name} does not exist")

    def list_templates(self, prefix: str, start: int, limit: int) -> JSON:
        """A page of templates by name prefix."""
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
        """Create workflow ``graph`` from a template; the service's answer."""
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
        """A workflow as the service shows it."""
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
        """Change a workflow's description or inputs; the service's answer."""
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
        """Remove a workflow."""
        self._workflow(graph)
        del self.workflows[graph]

    def list_workflows(self, prefix: str, start: int, limit: int) -> JSON:
        """A page of workflows by name prefix."""
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
        """Start an execution of ``graph`` on ``bucket``/``object_key``."""
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
            visible_at=self.clock() + self.listing_lag,
        )
        self._schedule(execution)
        self.add_execution(execution)
        return execution

    def add_execution(self, execution: Execution) -> None:
        """Remember an execution (started here, or seeded by a test with any ``started_at``).

        :param execution: The execution to add; listings and look-ups find it from now on.
        """
        self.executions.append(execution)
        self._by_name[(execution.graph_name, execution.execution_name)] = execution

    def seed_executions(
        self,
        graph: str,
        count: int,
        *,
        bucket: str = "seeded",
        started_at: datetime | None = None,
        state: str = "SUCCESS",
        execution_type: str = "APICALL",
    ) -> list[Execution]:
        """Add ``count`` finished executions of ``graph`` at once (objects
        ``seeded/<n>``), started at ``started_at`` (default now): a large history for
        listing tests and benchmarks without starting them one by one.

        :param graph: The workflow (its name); created if missing.
        :param count: How many executions to add.
        :param bucket: The bucket recorded on each execution.
        :param started_at: Their start (and stop) time; ``None``: now.
        :param state: Their final state (default ``SUCCESS``).
        :param execution_type: ``APICALL`` (default) or ``TRIGGERCAL``.
        :returns: The executions added, in order.
        """
        self.ensure_workflow(graph)
        stamp = now_iso(started_at)
        made = []
        for _ in range(count):
            number = next(self._counter)
            name = f"{uuid.uuid4().hex[:24]}{number:08d}"
            execution = Execution(
                graph_name=graph,
                bucket=bucket,
                object_key=f"seeded/{number}",
                inputs=None,
                execution_name=name,
                execution_urn=(
                    f"urn:fgs:{self.region}:{self.project_id}:execution:{graph}:{name}:"
                    f"{self.domain_id}"
                ),
                started_at=stamp,
                request_id="seeded",
                execution_type=execution_type,
                state=state,
                stopped_at=stamp,
            )
            self.add_execution(execution)
            made.append(execution)
        return made

    def find_execution(self, graph: str, name: str) -> Execution:
        """The execution named ``name`` of ``graph`` (404 if none).

        :param graph: The workflow (its name).
        :param name: The execution's name.
        :returns: The execution, its state brought up to date.
        :raises ServiceError: 404 if the workflow or the execution does not exist.
        """
        self._workflow(graph)
        execution = self._by_name.get((graph, name))
        if execution is not None:
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
        """A page of executions of ``graph``, by marker.

        :param graph: The workflow (its name).
        :param execution_type: Keep only ``APICALL`` or ``TRIGGERCAL`` ones; ``None``: all.
        :param marker: Where the page starts (a previous page's ``next_marker``);
            ``None`` or empty: the first page.
        :param limit: Executions on the page at most.
        :returns: The service's page: ``count``, ``executions``, ``is_truncated`` and,
            when truncated, ``next_marker``.
        :raises ServiceError: 404 if the workflow does not exist.
        """
        self._workflow(graph)
        markers, ordered = self._sorted(graph, execution_type)
        first = bisect.bisect_left(markers, marker) if marker else 0
        now = self.clock()
        page: list[Execution] = []
        position = first
        while position < len(ordered) and len(page) < limit:
            execution = ordered[position]
            position += 1
            if execution.visible_at <= now:  # a lagging listing hides the newest ones
                page.append(self._refresh(execution))
        rest = next((e for e in ordered[position:] if e.visible_at <= now), None)
        body: JSON = {
            "count": len(page),
            "executions": [self._summary(e) for e in page],
            "is_truncated": rest is not None,
        }
        if rest is not None:
            body["next_marker"] = rest.marker
        return body

    def _sorted(self, graph: str, execution_type: str | None) -> tuple[list[str], list[Execution]]:
        """The graph's executions in marker order, cached until the next start."""
        key = (graph, execution_type)
        cached = self._listed.get(key)
        if cached is not None and cached[0] == len(self.executions):
            return cached[1], cached[2]
        ordered = sorted(
            (
                e
                for e in self.executions
                if e.graph_name == graph
                and (execution_type is None or e.execution_type == execution_type)
            ),
            key=lambda e: e.marker,
        )
        markers = [e.marker for e in ordered]
        self._listed[key] = (len(self.executions), markers, ordered)
        return markers, ordered

    def get_execution(self, graph: str, name: str) -> JSON:
        """An execution's details as the service shows them.

        :param graph: The workflow (its name).
        :param name: The execution's name.
        :returns: ``{"execution_info": ...}`` as the service answers.
        :raises ServiceError: 404 if the workflow or the execution does not exist.
        """
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
        info: JSON = {
            **self._summary(execution),
            "start_state": "start",
            "state_map": state_map,
        }
        full: JSON = {
            "bucket": execution.bucket,
            "object": execution.object_key,
            "inputs": execution.inputs,
        }
        if self.input_mode == "json_text":
            info["input"] = json.dumps(full)
        elif self.input_mode == "object":
            info["input"] = full
        elif self.input_mode == "without_object":
            info["input"] = json.dumps(execution.inputs or {})
        return {"execution_info": info}

    def restore(self, graph: str, name: str) -> JSON:
        """Resume a FAILED execution; the service's answer.

        :param graph: The workflow (its name).
        :param name: The execution's name.
        :returns: The service's answer (the execution's URN, name and ``restored_at``).
        :raises ServiceError: 404 if it does not exist, 409 ``ExecutionNotFailed``
            unless it is ``FAILED``.
        """
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
        """Replace a bucket's trigger policy (every rule must name a workflow)."""
        rules = body.get("rules")
        if not isinstance(rules, list) or not rules:
            raise ServiceError(400, "InvalidArgument", "rules must be a non-empty list")
        urns = {w.graph_urn for w in self.workflows.values()}
        for rule in rules:
            if not isinstance(rule, Mapping) or rule.get("graph_urn") not in urns:
                raise ServiceError(400, "InvalidArgument", "every rule must name an existing graph")
        self.policies[bucket] = [dict(rule) for rule in rules]

    def get_policy(self, bucket: str) -> JSON:
        """A bucket's trigger policy."""
        rules = self.policies.get(bucket)
        if rules is None:
            raise ServiceError(404, "NoSuchTriggerPolicy", f"bucket {bucket} has no trigger policy")
        return {"rules": rules}

    def delete_policy(self, bucket: str) -> None:
        """Remove a bucket's trigger policy."""
        if self.policies.pop(bucket, None) is None:
            raise ServiceError(404, "NoSuchTriggerPolicy", f"bucket {bucket} has no trigger policy")
