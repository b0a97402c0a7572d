"""Every one of the 23 calls goes on the wire as ``huaweicloudsdkdwr``'s DwrClient sends it.

For generated arguments (graph and template names, unicode object keys and
prefixes, every list filter, security tokens), our client sends through a
``MockTransport`` with a pinned clock, and the SDK builds (without sending) the same
request with the same ``X-Sdk-Date`` and ``User-Agent``: the method, the path and
query as sent, the body and the ``Authorization`` header must be equal.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from obs_workflow_async._config import Runtime
from obs_workflow_async.dwr import AsyncDwrClient
from obs_workflow_async.testing.mock import MockRequest, MockResponse, MockTransport

pytest.importorskip("huaweicloudsdkdwr", reason="huaweicloudsdkdwr (the oracle) is not installed")

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkdwr.v3 import DwrClient
from huaweicloudsdkdwr.v3 import model as m

pytestmark = pytest.mark.differential

AK, SK, PID = (
    "EXAMPLEAK0000000001Z",
    "EXAMPLESKexampleSKexampleSKexampleSK0001",
    "0123456789abcdef0123456789abcdef",
)
HOST = "https://dwr.cn-south-1.myhuaweicloud.com"
DATE = datetime(2025, 1, 1, tzinfo=timezone.utc)
SDK_UA = "huaweicloud-usdk-python/3.0; demo"

graph = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_-]{0,20}\Z")
template = st.from_regex(r"\A[a-z0-9][a-z0-9_.-]{0,20}\Z")
execution = st.from_regex(r"\A[0-9a-f]{8,32}\Z")
text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)
bucket = st.from_regex(r"\A[a-z0-9][a-z0-9-]{2,20}[a-z0-9]\Z")
token = st.one_of(st.none(), st.from_regex(r"\A[A-Za-z0-9+/=]{8,40}\Z"))
offset = st.one_of(st.none(), st.integers(1, 1000))
limit200 = st.one_of(st.none(), st.integers(1, 200))
times = st.one_of(
    st.none(),
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)).map(
        lambda d: d.replace(microsecond=0, tzinfo=timezone.utc)
    ),
)
status = st.one_of(st.none(), st.sampled_from(["success", "fail", "running", "timeout", "cancel"]))
agreement = st.sampled_from(
    ["use_public_action_privacy_statement", "register_public_action_statement"]
)


def _fmt(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


# (our call, the SDK's (method name, request)) for each operation, from drawn arguments
Case = tuple[Callable[[AsyncDwrClient], Any], str, object]


@st.composite
def cases(draw: st.DrawFn, op: int | None = None) -> Case:
    g, t, e = draw(graph), draw(template), draw(execution)
    if op is None:
        op = draw(st.integers(0, 22))
    if op == 0:
        b, o = draw(bucket), draw(text)
        inputs = draw(st.one_of(st.none(), st.dictionaries(text, st.integers() | text, max_size=3)))
        return (
            lambda c: c.start_workflow(g, b, o, inputs),
            "async_invoke_api_start_workflow",
            m.AsyncInvokeApiStartWorkflowRequest(
                graph_name=g, body=m.ExecuteWorkflowBody(bucket=b, object=o, inputs=inputs)
            ),
        )
    if op == 1:
        lim, off, st_, et, s = draw(limit200), draw(offset), draw(times), draw(times), draw(status)
        return (
            lambda c: c.list_executions(
                g, state=s, start_time=st_, end_time=et, offset=off, limit=lim
            ),
            "list_workflow_instance",
            m.ListWorkflowInstanceRequest(
                graph_name=g,
                limit=lim,
                offset=off,
                start_time=_fmt(st_),
                end_time=_fmt(et),
                status=s,
            ),
        )
    if op == 2:
        return (
            lambda c: c.get_execution(g, e),
            "show_workflow_instance",
            m.ShowWorkflowInstanceRequest(graph_name=g, execution_name=e),
        )
    if op == 3:
        return (
            lambda c: c.restore_execution(g, e),
            "restore_workflow_execution",
            m.RestoreWorkflowExecutionRequest(graph_name=g, execution_name=e),
        )
    if op == 4:
        return (
            lambda c: c.get_workflow(g),
            "show_workflow_info",
            m.ShowWorkflowInfoRequest(graph_name=g),
        )
    if op == 5:
        return (
            lambda c: c.delete_workflow(g),
            "delete_workflow",
            m.DeleteWorkflowRequest(graph_name=g),
        )
    if op == 6:
        prefix, off, lim = draw(st.one_of(st.none(), text)), draw(offset), draw(offset)
        return (
            lambda c: c.list_workflows(prefix, offset=off, limit=lim),
            "list_workflows",
            m.ListWorkflowsRequest(prefix=prefix, offset=off, limit=lim),
        )
    if op == 7:
        params = draw(st.dictionaries(text, text, max_size=3))
        return (
            lambda c: c.update_workflow(g, parameters=params),
            "update_workflow",
            m.UpdateWorkflowRequest(graph_name=g, body=m.UpdateWorkflowBody(parameters=params)),
        )
    if op == 8:
        desc = draw(st.one_of(st.none(), text))
        return (
            lambda c: c.create_workflow(g, {"description": desc, "mode": "NORMAL"}),
            "create_workflow",
            m.CreateWorkflowRequest(
                graph_name=g, body=m.CreateWorkflowRequestBody(description=desc, mode="NORMAL")
            ),
        )
    if op == 9:
        return (
            lambda c: c.create_authorization(),
            "create_workflow_authentication",
            m.CreateWorkflowAuthenticationRequest(),
        )
    if op == 10:
        return (
            lambda c: c.get_authorization(),
            "check_workflow_authentication",
            m.CheckWorkflowAuthenticationRequest(),
        )
    if op in (11, 12):
        kind = draw(agreement)
        if op == 11:
            return (
                lambda c: c.accept_agreement(kind),
                "accept_service_contract",
                m.AcceptServiceContractRequest(type=kind),
            )
        return (
            lambda c: c.get_agreement(kind),
            "show_service_contract",
            m.ShowServiceContractRequest(type=kind),
        )
    prefix, cat = draw(st.one_of(st.none(), text)), draw(st.one_of(st.none(), text))
    off, lim = draw(offset), draw(offset)
    if op == 13:
        return (
            lambda c: c.list_system_templates(prefix, category=cat, offset=off, limit=lim),
            "list_system_templates",
            m.ListSystemTemplatesRequest(prefix=prefix, category=cat, offset=off, limit=lim),
        )
    if op == 14:
        return (
            lambda c: c.list_public_templates(prefix, category=cat, offset=off, limit=lim),
            "show_public_action_list",
            m.ShowPublicActionListRequest(prefix=prefix, category=cat, offset=off, limit=lim),
        )
    if op == 15:
        stat = draw(st.one_of(st.none(), st.sampled_from(["CREATED", "PUBLISHED"])))
        return (
            lambda c: c.list_my_templates(prefix, category=cat, status=stat, offset=off, limit=lim),
            "list_my_action_template",
            m.ListMyActionTemplateRequest(
                prefix=prefix, category=cat, status=stat, offset=off, limit=lim
            ),
        )
    if op == 16:
        return (
            lambda c: c.get_system_template(t),
            "show_system_template_detail",
            m.ShowSystemTemplateDetailRequest(template_name=t),
        )
    if op == 17:
        return (
            lambda c: c.get_public_template(t),
            "show_public_template_info",
            m.ShowPublicTemplateInfoRequest(template_name=t),
        )
    if op == 18:
        return (
            lambda c: c.get_my_template(t),
            "show_third_template_info",
            m.ShowThirdTemplateInfoRequest(template_name=t),
        )
    if op in (19, 20):
        names = draw(st.dictionaries(st.sampled_from(["zh-cn", "en-us"]), text, min_size=1))
        body = {
            "category": "MediaProcess",
            "func_provider": names,
            "func_name": names,
            "func_description": names,
        }
        sdk_body = m.ThirdTemplateRequestBody(**body)
        if op == 19:
            return (
                lambda c: c.create_my_template(t, body),
                "create_my_action_template",
                m.CreateMyActionTemplateRequest(template_name=t, body=sdk_body),
            )
        return (
            lambda c: c.update_my_template(t, body),
            "update_my_action_template",
            m.UpdateMyActionTemplateRequest(template_name=t, body=sdk_body),
        )
    if op == 21:
        return (
            lambda c: c.delete_my_template(t),
            "delete_my_action_template",
            m.DeleteMyActionTemplateRequest(template_name=t),
        )
    return (
        lambda c: c.deprecate_my_template(t),
        "update_my_action_template_to_deprecated",
        m.UpdateMyActionTemplateToDeprecatedRequest(template_name=t),
    )


def sdk_request(method: str, request: object, tok: str | None) -> Any:
    creds = BasicCredentials(AK, SK, PID)
    if tok is not None:
        creds = creds.with_security_token(tok)
    client = (
        DwrClient.new_builder()
        .with_http_config(HttpConfig(user_agent="demo"))
        .with_credentials(creds)
        .with_endpoints([HOST])
        .build()
    )
    info = getattr(client, f"_{method}_http_info")(request)
    info["header_params"]["X-Sdk-Date"] = "20250101T000000Z"
    keys = (
        "method",
        "resource_path",
        "path_params",
        "query_params",
        "header_params",
        "body",
        "post_params",
        "cname",
        "response_type",
        "collection_formats",
    )
    return client.build_future_request(*(info[k] for k in keys), None).result()


@pytest.mark.parametrize("op", range(23))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), tok=token)
def test_every_call_is_sent_as_the_sdk_sends_it(
    op: int, data: st.DataObject, tok: str | None
) -> None:
    """Each of the 23 calls, 20 generated requests each (460 in all): ours and the SDK's
    requests are byte-identical (method, path and query, body, Authorization)."""
    call, method, request = data.draw(cases(op))
    sent: list[MockRequest] = []

    def handler(req: MockRequest) -> MockResponse:
        sent.append(req)
        return MockResponse(200, json={"execution_name": "e", "name": "x"})

    async def ours() -> None:
        async with AsyncDwrClient(
            endpoint=HOST,
            project_id=PID,
            access_key_id=AK,
            secret_access_key=SK,
            security_token=tok,
            user_agent=SDK_UA,
            transport=MockTransport(handler),
            environ={},
            runtime=Runtime(wall_clock=lambda: DATE),
        ) as client:
            with contextlib.suppress(Exception):  # the answer's shape is not under test
                await call(client)

    asyncio.run(ours())
    theirs = sdk_request(method, request, tok)
    ours_req = sent[0]
    assert ours_req.method == theirs.method
    path_qs = ours_req.url.split("://", 1)[1].split("/", 1)[1]
    assert "/" + path_qs == theirs.uri
    their_body = theirs.body if isinstance(theirs.body, bytes) else (theirs.body or "").encode()
    assert ours_req.body == their_body
    assert ours_req.headers["Authorization"] == theirs.header_params["Authorization"]
