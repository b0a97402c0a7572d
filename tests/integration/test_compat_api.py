"""compat.WorkflowClient: code written for obs.WorkflowClient, plus ``await``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import BaseModel as BaseBody  # a parsed body (on errors, body is the text)

from obs_workflow_async import AsyncWorkflowClient, CredentialsError, InvalidRequestError
from obs_workflow_async.compat import (
    AsyncAPIStartWorkflowResponse,
    GetResult,
    SdkCompatWarning,
    WorkflowClient,
    compat_headers,
    sdk_error_fields,
)
from obs_workflow_async.testing import FakeWorkflowServer, Fault

STATES = [{"type": "END", "state_name": "end", "start": True}]


@pytest.fixture
async def server() -> AsyncIterator[FakeWorkflowServer]:
    async with FakeWorkflowServer(strict_workflows=True) as fake:
        yield fake


@pytest.fixture
async def client(server: FakeWorkflowServer) -> AsyncIterator[WorkflowClient]:
    async with WorkflowClient(**server.client_kwargs()) as c:
        yield c


async def test_an_sdk_style_program_runs_with_await(client: WorkflowClient) -> None:
    resp = await client.createWorkflowTemplate("tpl", description="demo", states=STATES)
    assert resp.status < 300 and resp.body is not None
    assert isinstance(resp.body, BaseBody) and resp.body.templateName == "tpl"
    resp2 = await client.createWorkflow("tpl", "wf", "agency", description="d")
    assert isinstance(resp2.body, BaseBody) and resp2.body.graphName == "wf"
    got_template = await client.getWorkflowTemplate("tpl")
    assert isinstance(got_template.body, BaseBody) and got_template.body.description == "demo"
    listed = await client.listWorkflowTemplate("t", start=1, limit=10)
    assert isinstance(listed.body, BaseBody) and listed.body.count == 1
    assert listed.body.isTruncated is False

    started = await client.asyncAPIStartWorkflow("wf", "media", "a.mp4", inputs={"x": 1})
    assert isinstance(started.body, AsyncAPIStartWorkflowResponse) and started.requestId
    name = started.body.executionName
    assert name is not None and started.body.startedAt is not None
    assert started.body.startedAt.endswith("Z")  # the service's text, as the SDK keeps it
    executions = await client.listWorkflowExecution("wf", limit=10)
    assert isinstance(executions.body, BaseBody) and executions.body.count == 1
    got = await client.getWorkflowExecution(name, "wf")
    assert isinstance(got.body, BaseBody) and isinstance(got.body.executionInfo, dict)
    assert got.body.executionInfo["execution_name"] == name

    restore = await client.restoreFailedWorkflowExecution(name, "wf")  # RUNNING: refused
    assert restore.status == 409 and restore.errorCode == "ExecutionNotFailed"
    assert isinstance(restore.body, str) and "ExecutionNotFailed" in restore.body
    assert restore.requestId

    workflow = await client.getWorkflow("wf")
    assert isinstance(workflow.body, BaseBody) and workflow.body.name == "wf"
    updated = await client.updateWorkflow("wf", parameters={"x": 2}, description="d2")
    assert isinstance(updated.body, BaseBody) and updated.body.graphName == "wf"
    graphs = await client.listWorkflow()
    assert isinstance(graphs.body, BaseBody) and graphs.body.graphs is not None

    rule = {"id": "r", "graph_urn": workflow.body.graphUrn, "events": ["ObjectCreated:Put"]}
    put = await client.putTriggerPolicy("media", [rule])
    assert put.status == 200 and put.body == ""
    policy = await client.getTriggerPolicy("media")
    assert isinstance(policy.body, BaseBody) and policy.body.rules == [rule]
    assert (await client.deleteTriggerPolicy("media")).status == 204

    deleted = await client.deleteWorkflow("wf")
    assert deleted.status == 204 and isinstance(deleted, GetResult)
    missing = await client.getWorkflow("wf")
    assert (missing.status, missing.errorCode) == (404, "WorkflowNotFound")
    assert isinstance(missing.body, str) and "WorkflowNotFound" in missing.body  # as the SDK
    assert (await client.deleteWorkflowTemplate("tpl")).status == 204


async def test_state_filter_without_limit_works(client: WorkflowClient) -> None:
    await client.createWorkflowTemplate("tpl", states=STATES)
    await client.createWorkflow("tpl", "wf", "agency")
    for key in ("a", "b", "c"):
        await client.asyncAPIStartWorkflow("wf", "media", key)
    # The official SDK raises TypeError for a state filter without a limit.
    running = await client.listWorkflowExecution("wf", executionState="RUNNING")
    assert running.body is not None and not isinstance(running.body, str)
    assert running.body.count == 3
    done = await client.listWorkflowExecution("wf", executionState="SUCCESS")
    assert done.body is not None and not isinstance(done.body, str)
    assert (done.body.count, done.body.executions) == (0, [])


async def test_empty_and_zero_list_arguments_mean_not_given(
    server: FakeWorkflowServer, client: WorkflowClient
) -> None:
    await client.createWorkflowTemplate("tpl", states=STATES)
    await client.createWorkflow("tpl", "wf", "agency")
    server.requests.clear()
    await client.listWorkflow()
    await client.listWorkflow("", 0, 0)
    await client.listWorkflowTemplate("", 0, 0)
    await client.listWorkflowExecution("wf", "", "", 0, "")
    await client.listWorkflowExecution("wf")
    paths = [r.path for r in server.requests]
    assert paths[0] == paths[1] == "/v2/workflows/?x-workflow-prefix"
    assert paths[2] == "/v2/workflowtemplates/?x-workflow-prefix"
    assert paths[3] == paths[4] == "/v2/workflowexecutions?x-workflow-graph-name=wf"


async def test_transport_and_argument_errors_raise(client: WorkflowClient) -> None:
    with pytest.raises(InvalidRequestError):
        await client.asyncAPIStartWorkflow("bad graph!", "media", "k")
    with pytest.raises(InvalidRequestError):
        await client.listWorkflow(limit=1001)


async def test_server_errors_are_returned_after_the_retry_policy(
    server: FakeWorkflowServer,
) -> None:
    server.add_fault(Fault("status", status=503), times=None)
    async with WorkflowClient(**server.client_kwargs(), max_retry_count=2) as client:
        result = await client.getWorkflow("wf")
    assert result.status == 503 and result.errorCode == "ServiceUnavailable"
    assert sum(1 for r in server.requests if r.method == "GET") == 3


def test_async_client_keeps_the_snake_case_api_only() -> None:
    camel = [n for n in dir(AsyncWorkflowClient) if not n.startswith("_") and n != n.lower()]
    assert camel == []


def test_unknown_keywords_are_type_errors() -> None:
    with pytest.raises(TypeError, match="no_such_option"):
        WorkflowClient(server="h.example", no_such_option=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        WorkflowClient(False, "ak", "sk")  # type: ignore[misc]  # options go by keyword


@pytest.mark.parametrize(
    "option",
    [
        {"isJsonResult": True},
        {"path_style": True},
        {"is_signature_negotiation": True},
        {"is_cname": True},
        {"is_use_gmssl": True},
        {"client_verify": object()},
        {"custom_ciphers": "ECDHE"},
        {"security_providers": []},
        {"timeout": None},
        {"security_provider_policy": "NOPE"},
    ],
)
def test_unsupported_options_that_would_change_behaviour_are_refused(
    option: dict[str, object],
) -> None:
    with pytest.raises(InvalidRequestError, match=next(iter(option))):
        WorkflowClient(server="h.example", access_key_id="a", secret_access_key="b", **option)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "option", [{"use_http2": True}, {"max_redirect_count": 3}, {"chunk_size": 1024}]
)
def test_unsupported_harmless_options_warn(option: dict[str, object]) -> None:
    with pytest.warns(SdkCompatWarning, match=next(iter(option))):
        WorkflowClient(server="h.example", access_key_id="a", secret_access_key="b", **option)  # type: ignore[arg-type]


def test_sdk_defaults_are_accepted_silently() -> None:
    # must not raise: a warning is an error in this suite (filterwarnings), so
    # finishing without one is the check
    WorkflowClient(
        server="h.example",
        access_key_id="a",
        secret_access_key="b",
        use_http2=False,
        max_redirect_count=0,
        chunk_size=65536,
        long_conn_mode=True,
        use_http_conns=True,
        ssl_verify=False,
        pool_size=10,
        trust_env=False,
        region="cn-north-4",
        signature="v4",
    )  # warnings are errors under pytest: none may be raised


def test_connection_options_map_onto_the_client() -> None:
    plain = WorkflowClient(
        server="h.example", is_secure=False, port=8080, access_key_id="a", secret_access_key="b"
    )
    assert plain.async_client.server == "http://h.example:8080"
    explicit = WorkflowClient(
        server="https://h.example:9443", port=1, access_key_id="a", secret_access_key="b"
    )
    assert explicit.async_client.server == "https://h.example:9443"  # as the SDK: server wins
    proxied = WorkflowClient(
        server="h.example",
        access_key_id="a",
        secret_access_key="b",
        proxy_host="proxy.local",
        proxy_port=3128,
        proxy_username="u",
        proxy_password="p@ss",
    )
    text = repr(proxied)
    assert "http://proxy.local:3128" in text and "p@ss" not in text
    with pytest.raises(InvalidRequestError, match="server"):
        WorkflowClient(access_key_id="a", secret_access_key="b")


def test_credentials_as_the_sdk_reads_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBS_ACCESS_KEY_ID", "env-ak")
    monkeypatch.setenv("OBS_SECRET_ACCESS_KEY", "env-sk")
    with pytest.raises(CredentialsError):  # no policy: the SDK reads no environment
        WorkflowClient(server="h.example")
    WorkflowClient(server="h.example", security_provider_policy="ENV")
    WorkflowClient(server="h.example", security_provider_policy="OBS_DEFAULT")


async def test_close_is_awaitable_and_from_client_leaves_the_client_open(
    server: FakeWorkflowServer,
) -> None:
    client = WorkflowClient(**server.client_kwargs())
    assert (await client.getWorkflow("nope")).status == 404
    await client.close()
    assert client.closed
    await client.aclose()  # twice is fine

    async with AsyncWorkflowClient(**server.client_kwargs()) as inner:
        async with WorkflowClient.from_client(inner) as wrapper:
            assert wrapper.async_client is inner
            assert (await wrapper.getWorkflow("nope")).status == 404
        assert not inner.closed


def test_header_list_as_the_sdk_builds_it() -> None:
    headers = {
        "X-OBS-Meta-Caf%C3%A9": "a%20b",
        "x-amz-meta-k": "v%2F",
        "x-obs-id-2": "h%20",
        "X-Request-ID": "dropped",
        "ETag": "%20kept",
        "x-reserved-indicator": "i",
        "Server": "dropped",
    }
    assert compat_headers(headers) == [
        ("café", "a b"),
        ("k", "v/"),
        ("id-2", "h "),
        ("etag", "%20kept"),
        ("x-reserved-indicator", "i"),
    ]


def test_error_fields_as_the_sdk_reads_them() -> None:
    xml = (
        '<Error xmlns="http://obs/doc/"><Code>A&amp;B</Code><Message>x &lt; y</Message>'
        "<RequestId>r</RequestId><HostId>h</HostId><Resource>/b</Resource></Error>"
    )
    fields = sdk_error_fields(xml)
    assert (fields.code, fields.message, fields.request_id, fields.host_id, fields.resource) == (
        "A&B",
        "x < y",
        "r",
        "h",
        "/b",
    )
    assert fields.body == xml.replace(' xmlns="http://obs/doc/"', " ")
    assert sdk_error_fields('{"code": 404, "message": {"a": 1}}').code == "404"
    assert sdk_error_fields('{"error_code": "SYS.0011", "error_msg": "m"}').code == "SYS.0011"
    assert sdk_error_fields("").body is None
    bomb = '<!DOCTYPE e [<!ENTITY a "aaaa">]><Error><Code>&a;</Code></Error>'
    assert sdk_error_fields(bomb) == type(fields)(body=bomb)  # no DTDs, no entity expansion


def test_numeric_times_become_text_for_the_same_instant() -> None:
    body = AsyncAPIStartWorkflowResponse.model_validate_json(
        b'{"started_at": 1704067200000, "execution_name": "e"}'
    )
    assert body.startedAt == "2024-01-01T00:00:00Z"
    millis = AsyncAPIStartWorkflowResponse.model_validate_json(b'{"started_at": 1704067200123}')
    assert millis.startedAt == "2024-01-01T00:00:00.123Z"
    text = AsyncAPIStartWorkflowResponse.model_validate_json(b'{"started_at": "2020-04-23T1"}')
    assert text.startedAt == "2020-04-23T1"  # text is kept as sent, as in the SDK
