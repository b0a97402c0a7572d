"""The references modules (issue 20): ``_refs.Name`` imports the defining module on
first access, ``load_models()`` imports every name, and each table matches the
imports type checkers read, so a name resolves to the very object its module defines."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from obs_workflow_async._lazy import lazy_names

REFS = (
    "obs_workflow_async._core._refs",
    "obs_workflow_async.v2.resources._refs",
    "obs_workflow_async.dwr._refs",
)


def test_a_name_is_imported_on_first_access_and_kept() -> None:
    namespace: dict[str, object] = {"__name__": "fake_refs"}
    getattr_, load = lazy_names(
        "obs_workflow_async",
        {"ErrorDetail": ".errors", "Detail": ".errors:ErrorDetail"},
        namespace,
    )
    from obs_workflow_async.errors import ErrorDetail

    assert getattr_("ErrorDetail") is ErrorDetail
    assert namespace["ErrorDetail"] is ErrorDetail  # kept: later reads skip __getattr__
    assert "Detail" not in namespace
    load()
    assert namespace["Detail"] is ErrorDetail  # "module:attribute" names it otherwise
    with pytest.raises(AttributeError, match="'fake_refs' has no attribute 'Other'"):
        getattr_("Other")


def _type_checking_names(module: ModuleType) -> dict[str, str]:
    """``name -> "module"`` (or ``"module:attribute"``) of the relative imports and
    aliases under ``if TYPE_CHECKING:``."""
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for node in tree.body:
        if not (isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"):
            continue
        imported: dict[str, str] = {}
        for statement in node.body:
            if isinstance(statement, ast.ImportFrom):
                relative = "." * statement.level + (statement.module or "")
                for alias in statement.names:
                    imported[alias.asname or alias.name] = f"{relative}:{alias.name}"
            elif isinstance(statement, ast.Assign):  # Name = _PrivateName
                target = statement.targets[0]
                assert isinstance(target, ast.Name) and isinstance(statement.value, ast.Name)
                imported[target.id] = imported.pop(statement.value.id)
        for name, where in imported.items():
            module_name, _, attribute = where.partition(":")
            found[name] = module_name if attribute == name else where
    return found


@pytest.mark.parametrize("name", REFS)
def test_refs_tables_match_the_type_checking_imports(name: str) -> None:
    refs = importlib.import_module(name)
    assert _type_checking_names(refs) == refs._NAMES
    for ref, where in refs._NAMES.items():
        module, _, attribute = where.partition(":")
        defining = importlib.import_module(module, refs.__package__)
        assert getattr(refs, ref) is getattr(defining, attribute or ref)


@pytest.mark.parametrize(
    ("client", "refs"),
    [
        (
            "from obs_workflow_async import AsyncWorkflowClient as C\n"
            "build = lambda: C(server='http://127.0.0.1:9', access_key_id='ak',"
            " secret_access_key='sk')",
            "obs_workflow_async.v2.resources._refs",
        ),
        (
            "from obs_workflow_async.dwr import AsyncDwrClient as C\n"
            "build = lambda: C(region='cn-south-1', access_key_id='ak', secret_access_key='sk',"
            " project_id='0123456789abcdef0123456789abcdef')",
            "obs_workflow_async.dwr._refs",
        ),
    ],
    ids=["v2", "v3"],
)
def test_the_constructor_loads_every_name(client: str, refs: str) -> None:
    probe = f"""
import sys
{client}
import {refs} as refs, obs_workflow_async._core._refs as core
tables = [(refs, refs._NAMES), (core, core._NAMES)]
assert not any(n in vars(m) for m, names in tables for n in names), "loaded at import"
build()
missing = [n for m, names in tables for n in names if n not in vars(m)]
assert not missing, missing
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert done.stdout.strip() == "ok", done.stderr


def test_a_resource_function_works_before_any_client_is_built() -> None:
    """The references resolve on first access too: validation (and its message) is
    the same without a constructor having loaded them."""
    probe = """
from obs_workflow_async.errors import InvalidRequestError
from obs_workflow_async.v2.resources.executions import start_spec, state_filter
from obs_workflow_async.dwr.rules import checked
spec = start_spec("graph-1", "bucket-1", "a.mp4", None)
print(spec.method, spec.path)
print(state_filter("running").value)
for bad in (lambda: start_spec("bad name", "bucket-1", "a.mp4", None),
            lambda: state_filter("FAILD"),
            lambda: checked("graph_name", "bad name")):
    try:
        bad()
    except InvalidRequestError as exc:
        print([(e.field, e.rule) for e in exc.errors])
"""
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    lines = done.stdout.splitlines()
    assert lines[:2] == ["POST /v2/workflows/graph-1", "RUNNING"]
    assert len(lines) == 5
    assert "graph_name" in lines[2]
    assert "must be one of FAILED, RUNNING, SUCCESS (any case)" in lines[3]
    assert "graph_name" in lines[4]
