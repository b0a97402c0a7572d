"""Where the v2 client and the v3 client truly differ: the ONE place the contract suite
reads it from.

Every scenario of ``tests/contract`` runs against both APIs. A scenario never skips
one API or branches on its name: what is genuinely different (another resource, another
wire shape) is a row here, with the reason, and the tests reach it through
:class:`ApiProfile`. ``test_surface.py`` fails when a method or an argument differs
between the two clients without a row here: a new difference must be written down (or
fixed) to pass.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Literal

from obs_workflow_async import AsyncWorkflowClient
from obs_workflow_async.dwr import AsyncDwrClient
from obs_workflow_async.testing import FakeWorkflowServer
from obs_workflow_async.testing.dwr_server import FakeDwrServer

Api = Literal["v2", "v3"]
APIS: tuple[Api, ...] = ("v2", "v3")
Client = AsyncWorkflowClient | AsyncDwrClient


@dataclass(frozen=True)
class Difference:
    """One true difference: what v2 does, what v3 does, and why it stays."""

    v2: str
    v3: str
    why: str


DIFFERENCES: dict[str, Difference] = {
    "workflow templates": Difference(
        "create/get/delete/list/iter_workflow_templates (the v2 workflow templates)",
        "system, public and 'my' action templates (iter_templates(kind), ...)",
        "different resources: v3 has no workflow templates, v2 no action templates",
    ),
    "create_workflow": Difference(
        "create_workflow(graph_name, template_name, agency, *, description, parameters)",
        "create_workflow(graph_name, definition)",
        "v2 creates from a template, v3 from a full definition (states, inputs)",
    ),
    "update_workflow description": Difference(
        "update_workflow(graph_name, *, parameters=None, description=None)",
        "update_workflow(graph_name, *, parameters)",
        "the v3 update body has no description, so its parameters are required",
    ),
    "trigger policies": Difference(
        "put/get/delete_trigger_policy (bucket ?obsworkflowtriggerpolicy)",
        "none",
        "DWR v3 has no trigger-policy call: keep the v2 client for triggers",
    ),
    "authorization and agreements": Difference(
        "none",
        "create/get_authorization, accept/get_agreement",
        "v3-only service calls",
    ),
    "project id": Difference(
        "none", "project_id() (given, or discovered once through IAM)", "v3 paths carry it"
    ),
    "list cursor": Difference(
        "list_workflows(prefix, *, start=, limit=); the page's next_start",
        "list_workflows(prefix, *, offset=, limit=); the page's next_offset",
        "each one-page call takes the cursor under the name its page gives it",
    ),
    "execution listing": Difference(
        "list/iter_executions(execution_type=); list: next_marker=; a page is 1-1000",
        "list/iter_executions(since=, until=, window=); list: start_time=, end_time=, "
        "offset=; a page is 1-200",
        "v2 lists by marker with a type filter, v3 by time window and offset",
    ),
    "state spelling": Difference(
        "RUNNING, SUCCESS, FAILED", "running, success, fail, timeout, cancel", "the wire"
    ),
    "error body": Difference(
        "{code, message} or the OBS XML error", "{error_code, error_msg}", "the wire"
    ),
}
"""Every true difference, by topic (the contract tests name the row they rely on)."""

ONLY_IN: dict[str, Api] = {
    **dict.fromkeys(
        (
            "create_workflow_template",
            "get_workflow_template",
            "delete_workflow_template",
            "list_workflow_templates",
            "iter_workflow_templates",
        ),
        "v2",
    ),
    **dict.fromkeys(("put_trigger_policy", "get_trigger_policy", "delete_trigger_policy"), "v2"),
    **dict.fromkeys(
        (
            "list_system_templates",
            "list_public_templates",
            "list_my_templates",
            "iter_templates",
            "get_system_template",
            "get_public_template",
            "get_my_template",
            "create_my_template",
            "update_my_template",
            "delete_my_template",
            "deprecate_my_template",
        ),
        "v3",
    ),
    **dict.fromkeys(
        ("create_authorization", "get_authorization", "accept_agreement", "get_agreement"), "v3"
    ),
    "project_id": "v3",
}
"""Public methods only one client has (rows: workflow templates, trigger policies,
authorization and agreements, project id)."""

ARGUMENTS_ONLY_IN: dict[str, dict[Api, frozenset[str]]] = {
    "create_workflow": {
        "v2": frozenset({"template_name", "agency", "description", "parameters"}),
        "v3": frozenset({"definition"}),
    },
    "update_workflow": {"v2": frozenset({"description"}), "v3": frozenset()},
    "list_workflows": {"v2": frozenset({"start"}), "v3": frozenset({"offset"})},
    "list_executions": {
        "v2": frozenset({"execution_type", "next_marker"}),
        "v3": frozenset({"start_time", "end_time", "offset"}),
    },
    "iter_executions": {
        "v2": frozenset({"execution_type"}),
        "v3": frozenset({"since", "until", "window"}),
    },
}
"""Arguments of a shared method that only one client takes (rows: create_workflow,
update_workflow description, list cursor, execution listing). Every other shared
method takes the same arguments, in the same order, with the same defaults."""

DEFAULT_DIFFERS: dict[str, frozenset[str]] = {"update_workflow": frozenset({"parameters"})}
"""Shared arguments whose default differs (row: update_workflow description)."""

LARGEST_EXECUTIONS_PAGE: dict[Api, int] = {"v2": 1000, "v3": 200}
"""``page_size``/``limit`` of the execution listings at most (row: execution listing)."""

LIMIT_QUERY: dict[Api, str] = {"v2": "x-workflow-limit", "v3": "limit"}
"""The query parameter a page size is sent in (row: list cursor)."""

FAILED: dict[Api, str] = {"v2": "FAILED", "v3": "fail"}
"""A failed execution's state as the client reads it (row: state spelling)."""


@dataclass(frozen=True)
class ApiProfile:
    """How a scenario reaches one API: its client, and the rows above as calls."""

    api: Api
    server: FakeWorkflowServer

    def client(self, **kwargs: object) -> Client:
        """A client of this API for the fake (environment ignored)."""
        if isinstance(self.server, FakeDwrServer):
            return AsyncDwrClient(**self.server.dwr_client_kwargs(), environ={}, **kwargs)  # type: ignore[arg-type]
        return AsyncWorkflowClient(**self.server.client_kwargs(), environ={}, **kwargs)  # type: ignore[arg-type]

    def seed_workflows(self, names: list[str]) -> None:
        """Workflows ``names`` exist (no request)."""
        for name in names:
            self.server.store.ensure_workflow_record(name)

    def seed_templates(self, count: int) -> None:
        """Exactly ``count`` templates to iterate (row: workflow templates)."""
        if isinstance(self.server, FakeDwrServer):
            self.server.system_templates = [
                {"name": f"tpl-{n}", "category": "MediaProcess"} for n in range(count)
            ]
            return
        self.server.store.templates.clear()
        for n in range(count):
            self.server.store.create_template(f"tpl-{n}", {"description": "d"})

    def iter_templates(self, client: Client, **kwargs: int | None) -> AsyncIterator[object]:
        """The template iteration of this API (row: workflow templates)."""
        if isinstance(client, AsyncDwrClient):
            return client.iter_templates("system", **kwargs)  # type: ignore[arg-type]
        return client.iter_workflow_templates(**kwargs)  # type: ignore[arg-type]

    def limits_sent(self, operation: str) -> list[int]:
        """The page size of each ``operation`` request the fake received, in order."""
        key = LIMIT_QUERY[self.api] + "="
        return [
            int(r.path.split("?", 1)[1].split(key, 1)[1].split("&")[0])
            for r in self.server.requests
            if r.operation == operation and key in r.path
        ]

    @property
    def template_list_calls(self) -> Callable[[], int]:
        """Listing requests the fake received for templates."""
        name = "list_system_templates" if self.api == "v3" else "list_templates"
        return lambda: self.server.calls[name]
