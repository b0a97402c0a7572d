"""The two clients' public surface: the same method names and arguments, except the
rows of :mod:`.differences` (a new difference fails here until it is written down)."""

from __future__ import annotations

import inspect

import pytest

from obs_workflow_async import AsyncWorkflowClient
from obs_workflow_async.dwr import AsyncDwrClient

from .differences import APIS, ARGUMENTS_ONLY_IN, DEFAULT_DIFFERS, DIFFERENCES, ONLY_IN, Api

CLIENTS: dict[Api, type[AsyncWorkflowClient] | type[AsyncDwrClient]] = {
    "v2": AsyncWorkflowClient,
    "v3": AsyncDwrClient,
}


def _methods(api: Api) -> set[str]:
    cls = CLIENTS[api]
    return {n for n in dir(cls) if not n.startswith("_") and callable(getattr(cls, n))}


SHARED = sorted(_methods("v2") & _methods("v3"))


@pytest.mark.parametrize("api", APIS)
def test_methods_only_in_one_api_are_listed(api: Api) -> None:
    other: Api = "v3" if api == "v2" else "v2"
    only_here = _methods(api) - _methods(other)
    assert only_here == {name for name, where in ONLY_IN.items() if where == api}


def _parameters(api: Api, method: str) -> list[tuple[str, str, object]]:
    signature = inspect.signature(getattr(CLIENTS[api], method))
    skip = ARGUMENTS_ONLY_IN.get(method, {}).get(api, frozenset())
    differs = DEFAULT_DIFFERS.get(method, frozenset())
    return [
        (p.name, p.kind.name, "(differs)" if p.name in differs else p.default)
        for p in signature.parameters.values()
        if p.name not in skip
    ]


@pytest.mark.parametrize("method", SHARED)
def test_shared_methods_take_the_same_arguments(method: str) -> None:
    assert _parameters("v2", method) == _parameters("v3", method)


def test_the_table_has_no_stale_rows() -> None:
    for method, api in ONLY_IN.items():
        assert method in _methods(api), method
    for method, by_api in ARGUMENTS_ONLY_IN.items():
        for api, names in by_api.items():
            taken = set(inspect.signature(getattr(CLIENTS[api], method)).parameters)
            assert names <= taken, (method, api, names - taken)
    assert all(row.why for row in DIFFERENCES.values())


def test_the_renamed_calls_exist_once() -> None:
    """Names aligned before the first release: no alias of the old spellings."""
    for old in ("restore_failed_execution",):
        assert not any(hasattr(cls, old) for cls in CLIENTS.values())
    for api in APIS:
        for method in ("list_executions", "iter_executions"):
            taken = inspect.signature(getattr(CLIENTS[api], method)).parameters
            assert "state" in taken and "status" not in taken
