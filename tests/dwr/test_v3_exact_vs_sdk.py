"""v3 exact against ``huaweicloudsdkdwr`` 3.1.219, on the wire (issue 19, deliverable 5).

For each of the 23 calls, :mod:`tests.dwr.sdk_diff` sends generated argument sets from
both clients to one byte recorder on 127.0.0.1 and feeds both the same canned answers
and error answers: the requests (method, path and query, body bytes, the signed
headers and the signature), the parsed answers (field by field) and the errors
(status, code, message, request id) must agree, except for the differences listed in
:data:`tests.dwr.sdk_diff.INTENDED` (and in ``docs/dwr-v3.md``).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

pytest.importorskip("huaweicloudsdkdwr", reason="huaweicloudsdkdwr (the oracle) is not installed")

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkdwr.v3 import DwrClient
from huaweicloudsdkdwr.v3 import model as m

from obs_workflow_async._config import Runtime
from obs_workflow_async.dwr import AsyncDwrClient
from obs_workflow_async.dwr.dialect import sdk_host
from obs_workflow_async.testing.mock import MockRequest, MockResponse, MockTransport

from . import sdk_diff

pytestmark = pytest.mark.differential

DOCS = Path(__file__).resolve().parents[2] / "docs" / "dwr-v3.md"


@pytest.mark.parametrize("call", sdk_diff.CALLS)
def test_call_sends_and_reads_as_the_sdk(call: str) -> None:
    """Every argument set is sent byte for byte as the SDK sends it; every answer and
    error answer reads as the SDK reads it (seeded, so a failure reproduces)."""
    counts = sdk_diff.run(call, 0, *sdk_diff.plan_sizes(call))
    assert counts.examples == []
    assert counts.mismatches == 0
    args, answers, errors = sdk_diff.plan_sizes(call)
    assert (counts.argument_sets, counts.answers, counts.errors) == (
        args + answers + errors,
        answers,
        errors,
    )


def test_a_second_seed_agrees_too() -> None:
    """Other draws for the model bodies (the calls whose bytes depend on field order)."""
    for call in sorted(sdk_diff.BODY_CALLS):
        counts = sdk_diff.run(call, 1, 20, 4, 4)
        assert counts.examples == [], counts.examples


def _sdk_host(endpoint: str) -> tuple[str, str]:
    client = (
        DwrClient.new_builder()
        .with_http_config(HttpConfig(user_agent="demo"))
        .with_credentials(BasicCredentials(sdk_diff.AK, sdk_diff.SK, sdk_diff.PID))
        .with_endpoints([endpoint])
        .build()
    )
    # private: the official SDK's own request builder
    info = client._show_workflow_info_http_info(m.ShowWorkflowInfoRequest(graph_name="g"))
    info["header_params"]["X-Sdk-Date"] = sdk_diff.SDK_DATE
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
    request = client.build_future_request(*(info[k] for k in keys), None).result()
    client.get_http_client().close()
    client.get_http_client().executor.shutdown()
    return str(request.header_params["Host"]), str(request.header_params["Authorization"])


ENDPOINTS = [
    "https://dwr.cn-south-1.myhuaweicloud.com",
    "https://dwr.cn-south-1.myhuaweicloud.com:443",
    "http://dwr.example.com:80",
    "https://dwr.example.com:80",
    "http://dwr.example.com:443",
    "https://DWR.Example.com:8443",
    "https://[::1]:443",
]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_signed_host_is_the_sdks(endpoint: str) -> None:
    """An explicit ``:443``/``:80`` is kept in the signed and sent ``Host``, as the SDK
    keeps it (the endpoint's netloc as written)."""
    sent: list[MockRequest] = []

    def handler(req: MockRequest) -> MockResponse:
        sent.append(req)
        return MockResponse(200, json={"name": "g"})

    async def ours() -> None:
        async with AsyncDwrClient(
            endpoint=endpoint,
            project_id=sdk_diff.PID,
            access_key_id=sdk_diff.AK,
            secret_access_key=sdk_diff.SK,
            user_agent=sdk_diff.SDK_UA,
            environ={},
            transport=MockTransport(handler),
            runtime=Runtime(wall_clock=lambda: sdk_diff.DATE),
        ) as client:
            await client.get_workflow("g")

    asyncio.run(ours())
    host, authorization = _sdk_host(endpoint)
    assert sdk_host(endpoint) == host
    assert sent[0].headers["Host"] == host
    assert sent[0].headers["Authorization"] == authorization


def test_every_intended_difference_is_in_the_docs_table() -> None:
    """One list: each :data:`INTENDED` name appears in the docs' differences table."""
    text = DOCS.read_text(encoding="utf-8")
    table = text.split("## Differences from the SDK", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`\[([a-z0-9-]+)\]`", table))
    assert named == set(sdk_diff.INTENDED)
