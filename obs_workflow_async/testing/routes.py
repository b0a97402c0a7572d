"""The fake server's routing: requests mapped to operations of the store, as a table.

The service's URL scheme: ``/v2/<resource>/<name>`` with the call told apart by the
method and by query parameters (``x-workflow-prefix`` lists, ``x-workflow-template-name``
creates from a template); a bucket's trigger policy is ``?obsworkflowtriggerpolicy`` on
the bucket (virtual-host or path style). :data:`API_VERSIONS` maps the first path
segment to a table of resources (another API version adds its own table beside
``"v2"``), :data:`QUERY_RESOURCES` the query parameters that name a resource of their
own. Within a resource the first :class:`Route` whose method and condition match
wins; none matching is the resource's ``unmatched`` error (404 ``SYS.0003``).

Binding a route parses the request (a bad body or bad paging is a ``ServiceError``
before the call is counted); the action it returns runs later, under the server's
lock, against the :class:`~.state.WorkflowStore`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from .state import Execution, ServiceError, WorkflowStore

__all__ = [
    "API_VERSIONS",
    "QUERY_RESOURCES",
    "V2_RESOURCES",
    "Action",
    "Incoming",
    "Operation",
    "Resource",
    "Route",
    "RouteMatch",
    "resolve",
]

Operation = Literal[
    "start",
    "create_workflow",
    "get_workflow",
    "update_workflow",
    "delete_workflow",
    "list_workflows",
    "create_template",
    "get_template",
    "delete_template",
    "list_templates",
    "list_executions",
    "get_execution",
    "restore_execution",
    "put_trigger_policy",
    "get_trigger_policy",
    "delete_trigger_policy",
]
"""The calls the fake serves, named after the client's methods."""

Action = Callable[[WorkflowStore], object]
"""What a call does to the store; its result is the JSON answer (``None``: no body)."""


@dataclass(frozen=True, slots=True)
class Incoming:
    """A request as routing sees it."""

    method: str
    parts: tuple[str, ...]
    """The path's segments (``/v2/workflows/g`` → ``("v2", "workflows", "g")``)."""
    args: Mapping[str, str | None]
    """The query parameters (``None``: a parameter without ``=``)."""
    body: bytes
    request_id: str
    host_bucket: str | None
    """The bucket named by the Host header (virtual-host style), if any."""

    @property
    def name(self) -> str:
        """What follows ``/<version>/<resource>/``: a workflow, template or execution."""
        return "/".join(self.parts[2:])


@dataclass(frozen=True, slots=True)
class RouteMatch:
    """A request resolved to an operation: counted, faulted, then run."""

    operation: Operation
    graph: str | None
    status: int
    action: Action


Binder = Callable[[Incoming], tuple[str | None, Action]]
"""Parse a request for a route: the graph it concerns (for counts and faults) and the
action; raises ``ServiceError`` for a request the service refuses before acting."""


def _always(incoming: Incoming) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Route:
    """One operation: taken for ``method`` when ``when`` holds."""

    method: str
    operation: Operation
    status: int
    bind: Binder
    when: Callable[[Incoming], bool] = _always


def _unsupported(incoming: Incoming) -> ServiceError:
    return ServiceError(404, "SYS.0003", "unsupported API")


def _no_check(incoming: Incoming) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Resource:
    """The routes of one resource; ``check`` runs first (whatever the method)."""

    routes: tuple[Route, ...]
    check: Callable[[Incoming], None] = _no_check
    unmatched: Callable[[Incoming], ServiceError] = _unsupported


def resolve(incoming: Incoming) -> RouteMatch:
    """The operation a request asks for; ``ServiceError`` if there is none."""
    resource = _resource(incoming)
    resource.check(incoming)
    for route in resource.routes:
        if route.method == incoming.method and route.when(incoming):
            graph, action = route.bind(incoming)
            return RouteMatch(route.operation, graph, route.status, action)
    raise resource.unmatched(incoming)


def _resource(incoming: Incoming) -> Resource:
    for parameter, resource in QUERY_RESOURCES.items():
        if parameter in incoming.args:
            return resource
    parts = incoming.parts
    table = API_VERSIONS.get(parts[0]) if len(parts) >= 2 else None
    found = table.get(parts[1]) if table is not None else None
    if found is None:
        raise _unsupported(incoming)
    return found


# -- request parsing -----------------------------------------------------------------------


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


def _number(args: Mapping[str, str | None], name: str, default: int, low: int, high: int) -> int:
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


def _paging(args: Mapping[str, str | None]) -> tuple[int, int]:
    return (
        _number(args, "x-workflow-start", 1, 1, 10**9),
        _number(args, "x-workflow-limit", 10, 1, 1000),
    )


def _started(execution: Execution) -> dict[str, str]:
    return {
        "execution_urn": execution.execution_urn,
        "execution_name": execution.execution_name,
        "started_at": execution.started_at,
    }


# -- conditions ----------------------------------------------------------------------------


def _listing(incoming: Incoming) -> bool:
    return "x-workflow-prefix" in incoming.args


def _named(incoming: Incoming) -> bool:
    return bool(incoming.name)


def _from_template(incoming: Incoming) -> bool:
    return _named(incoming) and "x-workflow-template-name" in incoming.args


def _unnamed(incoming: Incoming) -> bool:
    return not incoming.name


# -- workflows -----------------------------------------------------------------------------


def _list_workflows(incoming: Incoming) -> tuple[str | None, Action]:
    prefix, (start, limit) = incoming.name, _paging(incoming.args)
    return None, lambda store: store.list_workflows(prefix, start, limit)


def _create_workflow(incoming: Incoming) -> tuple[str | None, Action]:
    name, template = incoming.name, incoming.args["x-workflow-template-name"] or ""
    payload = _object(incoming.body)
    return name, lambda store: store.create_workflow(name, template, payload)


def _start(incoming: Incoming) -> tuple[str | None, Action]:
    name, request_id = incoming.name, incoming.request_id
    bucket, object_key, inputs = _start_args(_object(incoming.body))
    return name, lambda store: _started(store.start(name, bucket, object_key, inputs, request_id))


def _get_workflow(incoming: Incoming) -> tuple[str | None, Action]:
    name = incoming.name
    return name, lambda store: store.get_workflow(name)


def _update_workflow(incoming: Incoming) -> tuple[str | None, Action]:
    name, payload = incoming.name, _object(incoming.body)
    return name, lambda store: store.update_workflow(name, payload)


def _delete_workflow(incoming: Incoming) -> tuple[str | None, Action]:
    name = incoming.name
    return name, lambda store: store.delete_workflow(name)


# -- templates -----------------------------------------------------------------------------


def _list_templates(incoming: Incoming) -> tuple[str | None, Action]:
    prefix, (start, limit) = incoming.name, _paging(incoming.args)
    return None, lambda store: store.list_templates(prefix, start, limit)


def _create_template(incoming: Incoming) -> tuple[str | None, Action]:
    name, payload = incoming.name, _object(incoming.body)
    return None, lambda store: store.create_template(name, payload)


def _get_template(incoming: Incoming) -> tuple[str | None, Action]:
    name = incoming.name
    return None, lambda store: store.get_template(name)


def _delete_template(incoming: Incoming) -> tuple[str | None, Action]:
    name = incoming.name
    return None, lambda store: store.delete_template(name)


# -- executions ----------------------------------------------------------------------------


def _graph(incoming: Incoming) -> str:
    graph = incoming.args.get("x-workflow-graph-name")
    if not graph:
        raise ServiceError(400, "SYS.0010", "x-workflow-graph-name is required")
    return graph


def _require_graph(incoming: Incoming) -> None:
    _graph(incoming)


def _list_executions(incoming: Incoming) -> tuple[str | None, Action]:
    graph, (_, limit) = _graph(incoming), _paging(incoming.args)
    kind = incoming.args.get("x-workflow-execution-type")
    marker = incoming.args.get("x-workflow-next-marker")
    return graph, lambda store: store.list_executions(graph, kind, marker, limit)


def _get_execution(incoming: Incoming) -> tuple[str | None, Action]:
    graph, name = _graph(incoming), incoming.name
    return graph, lambda store: store.get_execution(graph, name)


def _restore_execution(incoming: Incoming) -> tuple[str | None, Action]:
    graph, name = _graph(incoming), incoming.name
    return graph, lambda store: store.restore(graph, name)


# -- trigger policies ----------------------------------------------------------------------


def _policy_bucket(incoming: Incoming) -> str:
    parts = incoming.parts
    bucket = incoming.host_bucket or (parts[0] if len(parts) == 1 else None)
    if bucket is None:
        raise ServiceError(400, "InvalidBucketName", "no bucket in the request")
    return bucket


def _require_bucket(incoming: Incoming) -> None:
    _policy_bucket(incoming)


def _method_not_allowed(incoming: Incoming) -> ServiceError:
    return ServiceError(405, "MethodNotAllowed", f"{incoming.method} is not allowed here")


def _put_policy(incoming: Incoming) -> tuple[str | None, Action]:
    bucket, payload = _policy_bucket(incoming), _object(incoming.body)
    return None, lambda store: store.put_policy(bucket, payload)


def _get_policy(incoming: Incoming) -> tuple[str | None, Action]:
    bucket = _policy_bucket(incoming)
    return None, lambda store: store.get_policy(bucket)


def _delete_policy(incoming: Incoming) -> tuple[str | None, Action]:
    bucket = _policy_bucket(incoming)
    return None, lambda store: store.delete_policy(bucket)


# -- the tables ----------------------------------------------------------------------------

V2_RESOURCES: Mapping[str, Resource] = {
    "workflows": Resource(
        (
            Route("GET", "list_workflows", 200, _list_workflows, when=_listing),
            Route("POST", "create_workflow", 201, _create_workflow, when=_from_template),
            Route("POST", "start", 200, _start, when=_named),
            Route("GET", "get_workflow", 200, _get_workflow, when=_named),
            Route("PUT", "update_workflow", 200, _update_workflow, when=_named),
            Route("DELETE", "delete_workflow", 204, _delete_workflow, when=_named),
        )
    ),
    "workflowtemplates": Resource(
        (
            Route("GET", "list_templates", 200, _list_templates, when=_listing),
            Route("POST", "create_template", 201, _create_template, when=_named),
            Route("GET", "get_template", 200, _get_template, when=_named),
            Route("DELETE", "delete_template", 204, _delete_template, when=_named),
        )
    ),
    "workflowexecutions": Resource(
        (
            Route("GET", "list_executions", 200, _list_executions, when=_unnamed),
            Route("GET", "get_execution", 200, _get_execution),
            Route("PUT", "restore_execution", 200, _restore_execution),
        ),
        check=_require_graph,
    ),
}
"""``/v2/<resource>/...``: the workflow API of the spec."""

API_VERSIONS: dict[str, Mapping[str, Resource]] = {"v2": V2_RESOURCES}
"""The first path segment → its resources. Another API version adds its table here."""

QUERY_RESOURCES: dict[str, Resource] = {
    "obsworkflowtriggerpolicy": Resource(
        (
            Route("PUT", "put_trigger_policy", 200, _put_policy),
            Route("GET", "get_trigger_policy", 200, _get_policy),
            Route("DELETE", "delete_trigger_policy", 204, _delete_policy),
        ),
        check=_require_bucket,
        unmatched=_method_not_allowed,
    ),
}
"""Query parameters that address a resource of their own, whatever the path (checked
before the path)."""
