"""Start-up structure of the clients (issue 20): importing a client imports the engines
and models its constructor and its common calls need, not those of the calls a
program may never make (settling, batch starts, workflows, templates, policies).
Checked in a fresh interpreter through ``sys.modules``, not with a timing threshold."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

ON_FIRST_USE = (
    "obs_workflow_async._batch.models",
    "obs_workflow_async._batch.runner",
    "obs_workflow_async._batch.reader",
    "obs_workflow_async._batch.settle",
    "obs_workflow_async._batch.settle_filter",
    "obs_workflow_async._batch.settle_match",
    "obs_workflow_async._core.settle",
    "obs_workflow_async._core.sweep",
    "obs_workflow_async.models._workflows",
    "obs_workflow_async.models._policies",
    "obs_workflow_async.v2.resources.settle",
    "obs_workflow_async.dwr.resources.settle",
)
"""Modules a client imports when a method needing them is first called."""

MODELS = (
    "pydantic.main",
    "pydantic.types",
    "obs_workflow_async.models._base",
    "obs_workflow_async.models._executions",
    "obs_workflow_async.dwr.models",
)
"""What building the models takes: a client's constructor imports them (through its
API's ``_refs.load_models``), importing a client module does not."""

V2_BUILD = (
    "from obs_workflow_async import AsyncWorkflowClient\n"
    "AsyncWorkflowClient(server='http://127.0.0.1:9', access_key_id='ak',"
    " secret_access_key='sk')"
)
V3_BUILD = (
    "from obs_workflow_async.dwr import AsyncDwrClient\n"
    "AsyncDwrClient(region='cn-south-1', access_key_id='ak', secret_access_key='sk',"
    " project_id='0123456789abcdef0123456789abcdef')"
)


def _modules_after(code: str) -> set[str]:
    probe = (
        f"import json, sys\ntry:\n    {code.replace(chr(10), chr(10) + '    ')}\n"
        "except SystemExit:\n    pass\nsys.stdout = sys.__stdout__\n"
        "print('MODULES=' + json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("MODULES="))
    return set(json.loads(line.removeprefix("MODULES=")))


@pytest.mark.parametrize(
    ("code", "client_module"),
    [
        (
            "from obs_workflow_async import AsyncWorkflowClient\n"
            "AsyncWorkflowClient(server='http://127.0.0.1:9', access_key_id='ak',"
            " secret_access_key='sk')",
            "obs_workflow_async.v2.client",
        ),
        (
            "from obs_workflow_async.dwr import AsyncDwrClient\n"
            "AsyncDwrClient(region='cn-south-1', access_key_id='ak', secret_access_key='sk',"
            " project_id='0123456789abcdef0123456789abcdef')",
            "obs_workflow_async.dwr.client",
        ),
    ],
    ids=["v2", "v3"],
)
def test_importing_and_building_a_client_leaves_the_engines_and_other_models(
    code: str, client_module: str
) -> None:
    modules = _modules_after(code)
    assert client_module in modules
    assert sorted(modules.intersection(ON_FIRST_USE)) == []


def test_the_engines_and_models_are_imported_on_first_use() -> None:
    modules = _modules_after(
        "from obs_workflow_async import AsyncWorkflowClient\n"
        "c = AsyncWorkflowClient(server='http://127.0.0.1:9', access_key_id='ak',"
        " secret_access_key='sk')\n"
        "c._settle\n"
        "c.start_many([])\n"
        "from obs_workflow_async.models import Workflow, TriggerPolicy"
    )
    assert {
        "obs_workflow_async._core.settle",
        "obs_workflow_async._batch.runner",
        "obs_workflow_async.v2.resources.settle",
        "obs_workflow_async.models._workflows",
        "obs_workflow_async.models._policies",
    } <= modules


def _ours(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] == "obs_workflow_async")


def test_importing_the_package_imports_three_modules_of_ours() -> None:
    modules = _modules_after("import obs_workflow_async")
    assert _ours(modules) == [
        "obs_workflow_async",
        "obs_workflow_async._lazy",
        "obs_workflow_async._version",
    ]
    assert sorted(modules.intersection(MODELS)) == []


@pytest.mark.parametrize(
    ("code", "refs"),
    [
        (
            "from obs_workflow_async import AsyncWorkflowClient",
            "obs_workflow_async.v2.resources._refs",
        ),
        ("from obs_workflow_async.dwr import AsyncDwrClient", "obs_workflow_async.dwr._refs"),
    ],
    ids=["v2", "v3"],
)
def test_importing_a_client_builds_no_model(code: str, refs: str) -> None:
    modules = _modules_after(code)
    assert refs in modules
    assert sorted(modules.intersection(MODELS)) == []
    assert [m for m in _ours(modules) if m.startswith("obs_workflow_async.models.")] == []


@pytest.mark.parametrize(
    ("code", "models"),
    [
        (V2_BUILD, ["obs_workflow_async.models._executions"]),
        (V3_BUILD, ["obs_workflow_async.models._executions", "obs_workflow_async.dwr.models"]),
    ],
    ids=["v2", "v3"],
)
def test_building_a_client_builds_the_models_its_calls_use(code: str, models: list[str]) -> None:
    modules = _modules_after(code)
    assert {"pydantic.main", *models} <= modules
    assert sorted(modules.intersection(ON_FIRST_USE)) == []


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_import_no_client_and_no_model(flag: str) -> None:
    modules = _modules_after(
        "import io\nfrom obs_workflow_async.cli import main\n"
        f"sys.stdout = io.StringIO()\nmain([{flag!r}])"
    )
    assert "obs_workflow_async.cli.parser" in modules
    assert [m for m in modules if m.split(".")[0] in ("aiohttp", "pydantic")] == []
    clients = ("obs_workflow_async.v2", "obs_workflow_async.dwr", "obs_workflow_async._core")
    assert [m for m in _ours(modules) if m.startswith(clients)] == []
    assert [m for m in _ours(modules) if m.startswith("obs_workflow_async.models")] == []
    # the settle defaults the help shows come from their own module, not the engine
    assert "obs_workflow_async._batch.settle_defaults" in modules
    assert sorted(modules.intersection(ON_FIRST_USE)) == []
