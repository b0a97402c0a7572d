"""The official SDK and our client against the same local server: same wire request.

The fake server verifies every signature with *our* signing module, so an SDK
request that it accepts is already a check; we also recompute our headers for the
SDK's own ``Date`` and compare the request line and ``Authorization`` exactly.
"""

from __future__ import annotations

import asyncio
import json
import string
from email.utils import parsedate_to_datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from obs_workflow_async import AsyncWorkflowClient, ServerError
from obs_workflow_async._pipeline import RequestSpec
from obs_workflow_async._signing import SignatureMode
from obs_workflow_async.testing import FakeWorkflowServer, Fault
from tests.differential.conftest import sdk_client


def our_client(server: FakeWorkflowServer, mode: str) -> AsyncWorkflowClient:
    return AsyncWorkflowClient(**server.client_kwargs(), signature=mode, region="cn-north-4")


graph_names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,20}", fullmatch=True)
object_keys = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)
inputs = st.dictionaries(
    st.text(alphabet=string.ascii_lowercase + "-", min_size=1, max_size=8),
    st.one_of(
        st.text(max_size=10),
        st.integers(),
        st.booleans(),
        st.floats(allow_nan=False, allow_infinity=False),
    ),
    min_size=1,
    max_size=3,
)


@settings(
    max_examples=45, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    mode=st.sampled_from(["obs", "v2", "v4"]),
    graph=graph_names,
    key=object_keys,
    params=inputs,
)
def test_start_request_is_identical_to_the_sdks(
    server: FakeWorkflowServer,
    mode: SignatureMode,
    graph: str,
    key: str,
    params: dict[str, object],
) -> None:
    server.requests.clear()
    before = len(server.executions)
    sdk = sdk_client(server, mode)
    result = sdk.asyncAPIStartWorkflow(graph, "my-bucket", key, inputs=params)
    assert result.status == 200, (result.errorCode, result.errorMessage)  # signature accepted
    assert len(server.executions) == before + 1
    (captured,) = server.requests

    client = our_client(server, mode)
    spec = RequestSpec(method="POST", key=f"v2/workflows/{graph}", body=captured.body)
    now = parsedate_to_datetime(captured.headers["Date"])
    ours = client._core.pipeline.build_headers(spec, now)
    assert captured.path == spec.path
    assert captured.headers["Authorization"] == ours["Authorization"]
    assert captured.headers["Content-Type"] == ours["Content-Type"]
    assert captured.headers["Host"] == ours["Host"]

    # And the body our client would send is byte-identical to the SDK's.
    from obs_workflow_async.models import StartWorkflowRequest

    body = StartWorkflowRequest(
        graph_name=graph, bucket="my-bucket", object_key=key, inputs=params
    ).body()  # type: ignore[arg-type]
    assert body == captured.body


def test_sdk_sends_null_inputs_we_omit_them(server: FakeWorkflowServer) -> None:
    server.requests.clear()
    sdk_client(server, "obs").asyncAPIStartWorkflow("g", "my-bucket", "k")

    async def ours() -> None:
        async with our_client(server, "obs") as client:
            await client.start_workflow("g", "my-bucket", "k")

    asyncio.run(ours())
    sdk_body, our_body = (json.loads(r.body) for r in server.requests)
    assert sdk_body == {"bucket": "my-bucket", "object": "k", "inputs": None}
    assert our_body == {"bucket": "my-bucket", "object": "k"}


def test_sdk_sends_a_500_four_times_we_send_it_once(server: FakeWorkflowServer) -> None:
    server.attempts.clear()
    server.add_fault(Fault("status", status=500), graph="sdk-dup", times=None)
    server.add_fault(Fault("status", status=500), graph="ours-dup", times=None)
    try:
        result = sdk_client(server, "obs").asyncAPIStartWorkflow("sdk-dup", "my-bucket", "k")
        assert result.status == 500

        async def ours() -> None:
            async with our_client(server, "obs") as client:
                with pytest.raises(ServerError):
                    await client.start_workflow("ours-dup", "my-bucket", "k")

        asyncio.run(ours())
    finally:
        server.clear_faults()
    assert server.attempts["sdk-dup"] == 4
    assert server.attempts["ours-dup"] == 1
