"""Start-up structure (issue 20): what each entry point imports, checked in fresh
interpreters through ``sys.modules`` (no timing threshold), and the lazy export tables
against the imports type checkers read."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

import obs_workflow_async

HEAVY = ("aiohttp", "pydantic", "pydantic_core", "yarl", "multidict")
"""The dependencies: imported by the code that uses them, never at start-up."""
OPTIONAL_PARTS = (
    "obs_workflow_async.testing",
    "obs_workflow_async.cli",
    "obs_workflow_async.compat",
    "obs_workflow_async.dwr",
)
LAZY_PACKAGES = (
    "obs_workflow_async",
    "obs_workflow_async._batch",
    "obs_workflow_async.credentials",
    "obs_workflow_async.models",
    "obs_workflow_async.dwr",
    "obs_workflow_async.testing",
)


def _modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code`` (SystemExit, as
    ``--version`` and ``--help`` end, is fine)."""
    probe = "\n".join(
        [
            "import json, sys",
            "try:",
            textwrap.indent(code, "    "),
            "except SystemExit:",
            "    pass",
            "sys.stdout = sys.__stdout__",
            "print('MODULES=' + json.dumps(sorted(sys.modules)))",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("MODULES="))
    return set(json.loads(line.removeprefix("MODULES=")))


def _loaded(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


def test_importing_the_package_imports_no_dependency_and_no_part() -> None:
    modules = _modules_after("import obs_workflow_async")
    assert _loaded(modules, HEAVY) == []
    assert _loaded(modules, OPTIONAL_PARTS) == []
    assert "obs_workflow_async.v2.client" not in modules


def test_the_client_does_not_import_the_optional_parts() -> None:
    modules = _modules_after("from obs_workflow_async import AsyncWorkflowClient")
    assert "obs_workflow_async.v2.client" in modules
    assert _loaded(modules, OPTIONAL_PARTS) == []


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["completion", "bash"]])
def test_version_help_and_completion_import_neither_the_client_nor_the_dependencies(
    argv: list[str],
) -> None:
    modules = _modules_after(
        "import io\nfrom obs_workflow_async.cli import main\n"
        f"sys.stdout = io.StringIO()\nmain({argv!r})"
    )
    assert "obs_workflow_async.cli.parser" in modules  # the parser did answer
    assert _loaded(modules, HEAVY) == []
    assert _loaded(modules, ("obs_workflow_async.v2.client", "obs_workflow_async.models")) == []
    assert _loaded(modules, ("obs_workflow_async.cli.commands", "asyncio")) == []


def test_dwr_signing_and_testing_signature_stand_alone() -> None:
    modules = _modules_after(
        "import obs_workflow_async.dwr.signing\nimport obs_workflow_async.testing.signature"
    )
    assert "obs_workflow_async.dwr.client" not in modules
    assert "obs_workflow_async.testing.server" not in modules


def test_every_model_builds_on_first_use_through_its_validator() -> None:
    """Models are built on first use (``defer_build``); the client's hot path calls
    ``__pydantic_validator__.validate_json`` directly: in a fresh interpreter, that
    first call (and ``model_validate``) builds each model."""
    probe = """
import inspect
from pydantic import BaseModel, ValidationError
import obs_workflow_async.models as v2
import obs_workflow_async.dwr.models as v3
import obs_workflow_async.v2.resources.workflows, obs_workflow_async.v2.resources.templates
import obs_workflow_async.v2.resources.policies, obs_workflow_async._batch.models
import obs_workflow_async.v2.resources._names, obs_workflow_async.dwr.iam_answer

def models():
    seen = set()
    todo = [BaseModel]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen and sub.__module__.startswith("obs_workflow_async."):
                seen.add(sub)
                yield sub
            todo.append(sub)

built = 0
for cls in models():
    if cls.__pydantic_generic_metadata__["parameters"]:
        continue
    for use in (lambda: cls.__pydantic_validator__.validate_json(b"{}"),
                lambda: cls.model_validate({})):
        try:
            use()
        except ValidationError:
            pass
    assert cls.__pydantic_complete__, cls
    built += 1
print(built)
"""
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert int(done.stdout.split()[-1]) >= 40


def _type_checking_imports(module: ModuleType) -> dict[str, str]:
    """``name -> module`` of the ``from X import name`` under ``if TYPE_CHECKING:``."""
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                if isinstance(statement, ast.ImportFrom) and statement.level > 0:
                    relative = "." * statement.level + (statement.module or "")
                    found.update((alias.name, relative) for alias in statement.names)
    return found


@pytest.mark.parametrize("name", LAZY_PACKAGES)
def test_lazy_tables_match_the_type_checking_imports(name: str) -> None:
    package = importlib.import_module(name)
    exports: dict[str, str] = package._EXPORTS
    assert exports == _type_checking_imports(package)
    assert set(exports) == set(package.__all__) - {"__version__"}
    assert set(package.__all__) <= set(dir(package))
    for export, relative in exports.items():
        defining = importlib.import_module(relative, name)
        assert getattr(package, export) is getattr(defining, export)


def test_unknown_names_and_public_submodules() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = obs_workflow_async.no_such_name  # type: ignore[attr-defined]
    with pytest.raises(ImportError):
        exec("from obs_workflow_async import no_such_name", {})
    modules = _modules_after(
        "import obs_workflow_async as package\n"
        "assert package.errors.ObsWorkflowError is package.ObsWorkflowError\n"
        "assert package.models.State is package.State"
    )
    assert "obs_workflow_async.errors" in modules
