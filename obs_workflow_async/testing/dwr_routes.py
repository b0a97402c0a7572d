"""The v3 route table of :class:`~.dwr_server.FakeDwrServer`: which request is which
operation, and how its arguments are read (the actions are the server's)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from .routes import Action, Incoming, Operation, RouteMatch, _object, _start_args
from .state import JSON, Execution, ServiceError

if TYPE_CHECKING:
    from .dwr_server import FakeDwrServer

__all__: list[str] = []


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
    kept = [
        t
        for t in items
        if str(t["name"]).startswith(prefix) and (not category or t.get("category") == category)
    ]
    first = offset - 1
    page = kept[first : first + limit]
    truncated = first + limit < len(kept)
    return {
        "count": len(page),
        "total": len(kept),
        "action_templates": page,
        "is_truncated": truncated,
        "offset": offset + limit if truncated else None,
    }


def _start_answer(e: Execution) -> JSON:
    return {
        "execution_urn": e.execution_urn,
        "execution_name": e.execution_name,
        "started_at": e.started_at,
    }


# -- the v3 route table --------------------------------------------------------------------
#
# ``/v3/{project_id}/<resource>/<segments...>``: the resource picks a table entry; within
# it the first route whose ``shape`` fits the segments after the resource and whose
# method is the request's wins. In a shape ``_ANY`` is any one segment and ``_MORE`` (last)
# any further ones. Binding parses the request (a bad body, paging or parameter is a
# ``ServiceError`` before the call is counted); the action runs later, under the lock.

_Binder = Callable[["FakeDwrServer", Incoming], tuple[str | None, Action]]
"""Parse a request for a route: the graph it concerns (for counts and faults) and the
action; raises ``ServiceError`` for a request the service refuses before acting."""

_ANY = "*"
_MORE = "..."


def _no_check(incoming: Incoming) -> None:
    return None


@dataclass(frozen=True, slots=True)
class _V3Route:
    """One v3 operation: taken for ``method`` on a path whose segments after the
    resource fit ``shape``."""

    method: str
    operation: str
    status: int
    bind: _Binder
    shape: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _V3Resource:
    """The routes of one v3 resource; ``check`` runs first for a path one of them
    serves, whatever the method."""

    routes: tuple[_V3Route, ...]
    check: Callable[[Incoming], None] = _no_check


def _no_such_api() -> ServiceError:
    return ServiceError(404, "APIG.0101", "The API does not exist or has not been published")


def _fits(shape: tuple[str, ...], segments: tuple[str, ...]) -> bool:
    """Whether ``segments`` (the path after the resource) have the route's ``shape``."""
    if shape[-1:] == (_MORE,):
        shape = shape[:-1]
        segments = segments[: len(shape)]
    if len(segments) != len(shape):
        return False
    return all(want in (_ANY, got) for want, got in zip(shape, segments, strict=True))


def _resolve(server: FakeDwrServer, incoming: Incoming) -> RouteMatch:
    """The operation a ``/v3/{project_id}/...`` request asks for; ``ServiceError`` if
    there is none."""
    resource_name, *rest = _segments(incoming)
    resource = _V3_RESOURCES.get(resource_name)
    if resource is None:
        raise _no_such_api()
    served = [route for route in resource.routes if _fits(route.shape, tuple(rest))]
    if served:
        resource.check(incoming)
    for route in served:
        if route.method == incoming.method:
            graph, action = route.bind(server, incoming)
            return RouteMatch(cast(Operation, route.operation), graph, route.status, action)
    raise _no_such_api()


def _segments(incoming: Incoming) -> tuple[str, ...]:
    """The path after ``/v3/{project_id}/``: the resource, then its segments."""
    return incoming.parts[2:]


def _query(incoming: Incoming) -> dict[str, str]:
    return {name: value or "" for name, value in incoming.args.items()}


# workflows and executions


def _list_workflows(server: FakeDwrServer, incoming: Incoming) -> tuple[str | None, Action]:
    q = _query(incoming)
    offset, limit = _paging(q, 1000)
    prefix = q.get("prefix", "")
    return None, lambda store: _v3_page(store.list_workflows(prefix, offset, limit))


def _create_workflow(server: FakeDwrServer, incoming: Incoming) -> tuple[str | None, Action]:
    _, graph = _segments(incoming)
    payload = _object(incoming.body)
    return graph, lambda _store: server._create(graph, payload)


def _get_workflow(server: FakeDwrServer, incoming: Incoming) -> tuple[str | None, Action]:
    _, graph = _segments(incoming)
    return graph, lambda _store: server._show(graph)


def _update_workflow(server: FakeDwrServer, incoming: Incoming) -> tuple[str | None, Action]:
    _, graph = _segments(incoming)
    payload = _object(incoming.body)
    return graph, lambda _store: server._update(graph, payload)


def _delete_workflow(server: FakeDwrServer, incoming: Incoming) -> tuple[str | None, Action]:
    _, graph = _segments(incoming)
    return graph, lambda _store: server._delete(graph)


def _start(server: FakeDwrServer, incoming: Incoming) -> tuple[str | None, Action]:
    _, graph, _ = _segments(incoming)
    bucket, object_key, inputs = _start_args(_object(incoming.body))
    request_id = incoming.request_id
    return graph, lambda store: _start_answer(
        store.start(graph, bucket, object_key, inputs, request_id)
    )


def _list_executions(server: FakeDwrServer, incoming: Incoming) -> tuple[str | None, Action]:
    q = _query(incoming)
    graph = q.get("graph_name")
    if not graph:
        raise ServiceError(400, "DWR.0400", "graph_name is required")
    offset, limit = _paging(q, 200)
    return graph, lambda _store: server._executions(graph, q, offset, limit)


def _get_execution(server: FakeDwrServer, incoming: Incoming) -> tuple[str | None, Action]:
    _, graph, _, execution = _segments(incoming)
    return graph, lambda _store: server._detail(graph, execution)


def _retry_execution(server: FakeDwrServer, incoming: Incoming) -> tuple[str | None, Action]:
    _, graph, _, execution, _ = _segments(incoming)
    return graph, lambda _store: server._retry(graph, execution)


# authorization and agreements


def _create_authorization(server: FakeDwrServer, incoming: Incoming) -> tuple[str | None, Action]:
    return None, lambda _store: server._authorize()


def _get_authorization(server: FakeDwrServer, incoming: Incoming) -> tuple[str | None, Action]:
    return None, lambda _store: server._authorization()


_AGREEMENT_TYPES = ("use_public_action_privacy_statement", "register_public_action_statement")


def _check_agreement_type(incoming: Incoming) -> None:
    if _query(incoming).get("type", "") not in _AGREEMENT_TYPES:
        raise ServiceError(400, "DWR.0400", "type is invalid")


def _accept_agreement(server: FakeDwrServer, incoming: Incoming) -> tuple[str | None, Action]:
    kind = _query(incoming).get("type", "")
    return None, lambda _store: server._accept(kind)


def _get_agreement(server: FakeDwrServer, incoming: Incoming) -> tuple[str | None, Action]:
    kind = _query(incoming).get("type", "")
    return None, lambda _store: server._agreement(kind)


# action templates


def _template_list(pool: Callable[[FakeDwrServer], list[JSON]]) -> _Binder:
    """A listing binder for one pool of templates (read when the call runs)."""

    def bind(server: FakeDwrServer, incoming: Incoming) -> tuple[str | None, Action]:
        q = _query(incoming)
        offset, limit = _paging(q, 1000)
        return None, lambda _store: _template_page(pool(server), q, offset, limit)

    return bind


def _get_template(server: FakeDwrServer, incoming: Incoming) -> tuple[str | None, Action]:
    kind, name = _segments(incoming)
    return None, lambda _store: server._template(kind, name)


def _deprecate_my_template(server: FakeDwrServer, incoming: Incoming) -> tuple[str | None, Action]:
    name = _segments(incoming)[1]
    return None, lambda _store: server._forbid(name)


def _save_my_template(server: FakeDwrServer, incoming: Incoming) -> tuple[str | None, Action]:
    name, method = _segments(incoming)[1], incoming.method
    payload = _object(incoming.body)
    return None, lambda _store: server._save_template(name, payload, method)


def _delete_my_template(server: FakeDwrServer, incoming: Incoming) -> tuple[str | None, Action]:
    name = _segments(incoming)[1]
    return None, lambda _store: server._drop_template(name)


# the table

_V3_RESOURCES: Mapping[str, _V3Resource] = {
    "workflows": _V3Resource(
        (
            _V3Route("GET", "list_workflows", 200, _list_workflows),
            _V3Route("POST", "create_workflow", 200, _create_workflow, (_ANY,)),
            _V3Route("GET", "get_workflow", 200, _get_workflow, (_ANY,)),
            _V3Route("PUT", "update_workflow", 200, _update_workflow, (_ANY,)),
            _V3Route("DELETE", "delete_workflow", 204, _delete_workflow, (_ANY,)),
            _V3Route("POST", "start", 200, _start, (_ANY, "execute")),
            _V3Route(
                "GET", "get_execution", 200, _get_execution, (_ANY, "workflowexecution", _ANY)
            ),
            _V3Route(
                "POST",
                "restore_execution",
                200,
                _retry_execution,
                (_ANY, "workflowexecution", _ANY, "retry"),
            ),
        )
    ),
    "workflowexecutions": _V3Resource((_V3Route("GET", "list_executions", 200, _list_executions),)),
    "workflow-authorization": _V3Resource(
        (
            _V3Route("POST", "create_authorization", 200, _create_authorization),
            _V3Route("GET", "get_authorization", 200, _get_authorization),
        )
    ),
    "workflow-agreements": _V3Resource(
        (
            _V3Route("POST", "accept_agreement", 200, _accept_agreement),
            _V3Route("GET", "get_agreement", 200, _get_agreement),
        ),
        check=_check_agreement_type,
    ),
    "actiontemplates": _V3Resource(
        (
            _V3Route(
                "GET",
                "list_system_templates",
                200,
                _template_list(lambda server: server.system_templates),
            ),
        )
    ),
    "publicactiontemplates": _V3Resource(
        (
            _V3Route(
                "GET",
                "list_public_templates",
                200,
                _template_list(lambda server: server.public_templates),
            ),
        )
    ),
    "myactiontemplates": _V3Resource(
        (
            _V3Route(
                "GET",
                "list_my_templates",
                200,
                _template_list(lambda server: list(server.my_templates.values())),
            ),
            _V3Route(
                "POST", "deprecate_my_template", 200, _deprecate_my_template, (_ANY, "forbid")
            ),
            _V3Route("POST", "create_my_template", 200, _save_my_template, (_ANY, _MORE)),
            _V3Route("PUT", "update_my_template", 200, _save_my_template, (_ANY, _MORE)),
            _V3Route("DELETE", "delete_my_template", 204, _delete_my_template, (_ANY, _MORE)),
        )
    ),
    "actiontemplate": _V3Resource(
        (_V3Route("GET", "get_system_template", 200, _get_template, (_ANY,)),)
    ),
    "publicactiontemplate": _V3Resource(
        (_V3Route("GET", "get_public_template", 200, _get_template, (_ANY,)),)
    ),
    "myactiontemplate": _V3Resource(
        (_V3Route("GET", "get_my_template", 200, _get_template, (_ANY,)),)
    ),
}
"""``/v3/{project_id}/<resource>/...``: the DWR v3 API the fake serves."""
