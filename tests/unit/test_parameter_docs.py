"""Every public parameter of the three clients is described in its docstring.

The API reference renders ``:param name:`` lines as the parameter tables; a parameter
without one shows an empty description. This counts, over the public methods of
:class:`~obs_workflow_async.AsyncWorkflowClient`, :class:`~obs_workflow_async.dwr.AsyncDwrClient`
and :class:`~obs_workflow_async.compat.WorkflowClient` (their constructors included, whose
parameters the class docstring may describe), the parameters with a ``:param`` line,
and fails naming any without one. ``python tests/unit/test_parameter_docs.py`` prints
the counts.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from obs_workflow_async import AsyncWorkflowClient
from obs_workflow_async.compat import WorkflowClient
from obs_workflow_async.dwr import AsyncDwrClient

CLASSES: tuple[type, ...] = (AsyncWorkflowClient, AsyncDwrClient, WorkflowClient)
_PARAM = re.compile(r"^\s*:param\s+(?:[^:]*\s)?\*{0,2}(\w+)\s*:", re.MULTILINE)


def _methods(cls: type) -> Iterator[tuple[str, Callable[..., object], str]]:
    """``(name, function, docstring)`` for every public method (and the constructor)."""
    for name in sorted(dir(cls)):
        if name.startswith("_") and name != "__init__":
            continue
        attr = inspect.getattr_static(cls, name, None)
        if isinstance(attr, staticmethod | classmethod):
            attr = attr.__func__
        if not inspect.isfunction(attr):
            continue
        doc = inspect.getdoc(attr) or ""
        if name == "__init__":
            doc = (cls.__doc__ or "") + "\n" + doc
        yield name, attr, doc


def parameters() -> Iterator[tuple[str, bool]]:
    """``(Class.method(param), described)`` for every public parameter."""
    for cls in CLASSES:
        for name, func, doc in _methods(cls):
            described = set(_PARAM.findall(doc))
            for param in inspect.signature(func).parameters.values():
                if param.name in ("self", "cls") or param.name.startswith("_"):
                    continue
                yield f"{cls.__name__}.{name}({param.name})", param.name in described


def test_every_public_parameter_has_a_param_line() -> None:
    missing = [where for where, described in parameters() if not described]
    assert not missing, f"{len(missing)} parameters without a :param line: {missing}"


def test_the_count_covers_the_clients() -> None:
    # The walk finds the methods (a broken walk would pass the test above vacuously).
    seen = [where for where, _ in parameters()]
    assert any(w.startswith("AsyncDwrClient.start_workflow(") for w in seen)
    assert any(w.startswith("WorkflowClient.__init__(") for w in seen)
    assert any(w.startswith("AsyncWorkflowClient.list_executions(") for w in seen)
    assert len(seen) > 200


# The other public modules: every parameter of a public function or method with a
# docstring has a row in the reference's table; its description comes from its
# ``:param`` line or, failing that, from the docs hook's common description of its
# name (docs/_hooks/sphinx_roles.py); anything else would show only its kind
# ("positional or keyword").
MODULES = (
    "obs_workflow_async.testing",
    "obs_workflow_async.otel",
    "obs_workflow_async.credentials",
    "obs_workflow_async.compat",
    "obs_workflow_async.errors",
)
_HOOK = Path(__file__).resolve().parents[2] / "docs" / "_hooks" / "sphinx_roles.py"


def _common_names() -> set[str]:
    """The names ``COMMON_PARAMETERS`` describes (read, not imported: griffe)."""
    for node in ast.parse(_HOOK.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "COMMON_PARAMETERS" for t in node.targets
        ):
            assert isinstance(node.value, ast.Dict)
            return {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
    raise AssertionError("COMMON_PARAMETERS not found in the docs hook")


def _module_callables() -> Iterator[tuple[str, Callable[..., object]]]:
    """``(where, function)`` for the public functions and methods defined in the package."""
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                yield f"{module_name}.{name}", obj
            elif inspect.isclass(obj) and obj not in CLASSES:
                for method_name, func, _ in _methods(obj):
                    if method_name != "__init__":
                        yield f"{module_name}.{name}.{method_name}", func


def module_parameters() -> Iterator[tuple[str, bool]]:
    """``(module.callable(param), described)`` as the reference's tables show them."""
    common = _common_names()
    for where, func in _module_callables():
        if not func.__module__.startswith("obs_workflow_async") or not func.__doc__:
            continue  # inherited (pydantic's, the standard library's) or not rendered
        described = set(_PARAM.findall(inspect.getdoc(func) or "")) | common
        for param in inspect.signature(func).parameters.values():
            if param.name in ("self", "cls") or param.name.startswith("_"):
                continue
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue  # no kind to show: the hook gives them no row of their own
            yield f"{where}({param.name})", param.name in described


def test_every_parameter_in_the_other_modules_tables_is_described() -> None:
    missing = [where for where, described in module_parameters() if not described]
    assert not missing, f"{len(missing)} parameters described only by their kind: {missing}"


def test_the_module_count_covers_the_modules() -> None:
    seen = [where for where, _ in module_parameters()]
    for expected in (
        "obs_workflow_async.testing.WorkflowStore.get_template(name)",
        "obs_workflow_async.testing.FakeWorkflowServer.add_fault(fault)",
        "obs_workflow_async.otel.error_type(error)",
        "obs_workflow_async.credentials.Credentials.seconds_left(now)",
        "obs_workflow_async.compat.GetResult.from_response(raw)",
    ):
        assert expected in seen
    assert len(seen) > 100


if __name__ == "__main__":  # pragma: no cover
    rows = list(parameters()) + list(module_parameters())
    for where, described in rows:
        if not described:
            print("missing:", where)
    print(f"documented {sum(d for _, d in rows)} of {len(rows)} public parameters")
