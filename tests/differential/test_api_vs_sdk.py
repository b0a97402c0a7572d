"""Every WorkflowClient call: the official SDK and our client send the same request.

Both clients call the same local fake server. For each call we compare what the
server received: the method, the path with its query string (in the SDK's wire
order), the body, and the ``Authorization`` header, which we recompute for our
request at the SDK request's ``Date`` (the fake has already verified both).

Documented differences (docs/migration.md), asserted here rather than hidden:
- ``putTriggerPolicy``: the SDK's body has a stray ``"pathArgs"`` key; ours does not.
  (In v4 mode ``Content-Length`` is signed, so that call's signatures differ too.)
- Optional arguments the caller leaves out are sent as ``null`` by the SDK and
  omitted by us (checked in test_wire_vs_sdk.py); here every optional is passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
from collections.abc import Awaitable, Callable
from email.utils import parsedate_to_datetime
from typing import Any

import obs
import pytest

from obs_workflow_async import AsyncWorkflowClient, ObsWorkflowError
from obs_workflow_async._signing import SigningRequest, sign
from obs_workflow_async.compat import WorkflowClient
from obs_workflow_async.testing import FakeWorkflowServer, RecordedRequest
from obs_workflow_async.testing.signature import split_raw_path as _split_raw_path
from tests.conftest import ACCESS_KEY, SECRET
from tests.differential.conftest import sdk_client

# Nested objects are written in our models' field order so that the bytes match too.
STATES = [
    {
        "type": "OPERATION",
        "state_name": "transcode",
        "start": True,
        "next_state": "end",
        "actions": [{"action_name": "mp4", "action_template_name": "MediaTranscode"}],
    },
    {"type": "END", "state_name": "end"},
]
INPUTS = [{"parameter_name": "resolution", "type": "string", "default": "720p"}]
TAGS = [{"key": "team", "value": "media"}]
RULE = {
    "id": "images",
    "graph_urn": "urn:fgs:cn-north-4:p:graph:wf-1",
    "events": ["ObjectCreated:*"],
    "suffix": ".jpg",
}

Ours = Callable[[AsyncWorkflowClient], Awaitable[object]]
CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], Ours]] = [
    (
        "createWorkflowTemplate",
        ("tpl-1",),
        {"description": "d", "states": STATES, "inputs": INPUTS, "tags": TAGS},
        lambda c: c.create_workflow_template(
            "tpl-1", description="d", states=STATES, inputs=INPUTS, tags=TAGS
        ),
    ),
    ("getWorkflowTemplate", ("tpl-1",), {}, lambda c: c.get_workflow_template("tpl-1")),
    (
        "listWorkflowTemplate",
        ("tpl",),
        {"start": 2, "limit": 5},
        lambda c: c.list_workflow_templates("tpl", start=2, limit=5),
    ),
    ("listWorkflowTemplate", (), {}, lambda c: c.list_workflow_templates()),
    ("deleteWorkflowTemplate", ("tpl-1",), {}, lambda c: c.delete_workflow_template("tpl-1")),
    (
        "createWorkflow",
        ("tpl-1", "wf-1", "agency"),
        {"description": "d", "parameters": INPUTS},
        lambda c: c.create_workflow("wf-1", "tpl-1", "agency", description="d", parameters=INPUTS),
    ),
    ("getWorkflow", ("wf-1",), {}, lambda c: c.get_workflow("wf-1")),
    (
        "updateWorkflow",
        ("wf-1",),
        {"parameters": INPUTS, "description": "d2"},
        lambda c: c.update_workflow("wf-1", parameters=INPUTS, description="d2"),
    ),
    (
        "listWorkflow",
        ("wf",),
        {"start": 1, "limit": 3},
        lambda c: c.list_workflows("wf", start=1, limit=3),
    ),
    ("listWorkflow", (), {}, lambda c: c.list_workflows()),
    ("deleteWorkflow", ("wf-1",), {}, lambda c: c.delete_workflow("wf-1")),
    (
        "asyncAPIStartWorkflow",
        ("wf-1", "bkt-1", "videos/a b.mp4"),
        {"inputs": {"fps": 30}},
        lambda c: c.start_workflow("wf-1", "bkt-1", "videos/a b.mp4", inputs={"fps": 30}),
    ),
    (
        "listWorkflowExecution",
        ("wf-1",),
        {"executionType": "APICALL", "nextMarker": "APICALLab c", "limit": 50},
        lambda c: c.list_executions(
            "wf-1", execution_type="APICALL", next_marker="APICALLab c", limit=50
        ),
    ),
    ("listWorkflowExecution", ("wf-1",), {}, lambda c: c.list_executions("wf-1")),
    ("getWorkflowExecution", ("exec-1", "wf-1"), {}, lambda c: c.get_execution("wf-1", "exec-1")),
    (
        "restoreFailedWorkflowExecution",
        ("exec-1", "wf-1"),
        {},
        lambda c: c.restore_execution("wf-1", "exec-1"),
    ),
    ("putTriggerPolicy", ("photos", [RULE]), {}, lambda c: c.put_trigger_policy("photos", [RULE])),
    ("getTriggerPolicy", ("photos",), {}, lambda c: c.get_trigger_policy("photos")),
    ("deleteTriggerPolicy", ("photos",), {}, lambda c: c.delete_trigger_policy("photos")),
]


def resign(request: RecordedRequest, date: str, mode: str) -> str:
    """Our signature of ``request`` had it been sent at ``date``."""
    path, query = _split_raw_path(request.path)
    headers = {k: (date if k.lower() == "date" else v) for k, v in request.headers.items()}
    if mode == "v4":
        auth = request.headers["Authorization"]
        names = auth.split("SignedHeaders=", 1)[1].split(",", 1)[0].split(";")
        lowered = {k.lower(): v for k, v in headers.items()}
        headers = {name: lowered[name] for name in names}
    return sign(
        SigningRequest(request.method, path[1:], headers, query),
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET,
        mode=mode,  # type: ignore[arg-type]
        now=parsedate_to_datetime(date),
        region="cn-north-4",
    )


@pytest.mark.parametrize("mode", ["obs", "v2", "v4"])
@pytest.mark.parametrize(("name", "args", "kwargs", "ours"), CASES, ids=[c[0] for c in CASES])
def test_same_request_as_the_sdk(
    server: FakeWorkflowServer,
    mode: str,
    name: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    ours: Ours,
) -> None:
    sdk = sdk_client(server, mode, max_retry_count=0)
    server.requests.clear()
    getattr(sdk, name)(*args, **kwargs)
    (theirs,) = server.requests

    async def run() -> None:
        async with AsyncWorkflowClient(
            **server.client_kwargs(), signature=mode, region="cn-north-4", max_retries=0
        ) as client:
            with contextlib.suppress(ObsWorkflowError):  # 404s and such: the request matters
                await ours(client)

    server.requests.clear()
    asyncio.run(run())
    (mine,) = server.requests

    assert mine.method == theirs.method
    assert mine.path == theirs.path
    for header in ("Content-Type", "Host", "x-obs-security-token", "x-amz-security-token"):
        assert mine.headers.get(header) == theirs.headers.get(header)
    if name == "putTriggerPolicy":
        sdk_body = json.loads(theirs.body)
        assert sdk_body.pop("pathArgs") == {"obsworkflowtriggerpolicy": None}
        assert json.loads(mine.body) == sdk_body
        if mode == "v4":
            return  # Content-Length is signed in v4 and the bodies differ by pathArgs
    else:
        assert mine.body == theirs.body
    assert resign(mine, theirs.headers["Date"], mode) == theirs.headers["Authorization"]


def _workflow_methods() -> list[str]:
    return sorted(
        name
        for name, value in vars(obs.WorkflowClient).items()
        if callable(value) and not name.startswith("_")
    )


def test_every_official_call_exists_with_compatible_parameters() -> None:
    names = _workflow_methods()
    assert len(names) == 16
    for name in names:
        official = inspect.signature(inspect.unwrap(getattr(obs.WorkflowClient, name)))
        assert not hasattr(AsyncWorkflowClient, name), f"{name} belongs to compat.WorkflowClient"
        ours = getattr(WorkflowClient, name, None)
        assert ours is not None, f"missing {name}"
        assert inspect.iscoroutinefunction(ours), f"{name} is not async"
        mine = inspect.signature(ours)
        theirs = [(p.name, p.default) for p in official.parameters.values() if p.name != "self"]
        got = [(p.name, p.default) for p in mine.parameters.values() if p.name != "self"]
        assert got == theirs, name


def test_every_official_constructor_option_is_known() -> None:
    """Each keyword of obs.WorkflowClient is a WorkflowClient keyword (mapped, refused or
    warned about: see test_compat_api.py), with nothing of ours added."""
    official = set(inspect.signature(obs.client._BasicClient.__init__).parameters)
    official |= set(inspect.signature(obs.WorkflowClient.__init__).parameters)
    official -= {"self", "args", "kwargs", "client_mode"}  # client_mode: set by the SDK itself
    assert set(inspect.signature(WorkflowClient.__init__).parameters) - {"self"} == official
