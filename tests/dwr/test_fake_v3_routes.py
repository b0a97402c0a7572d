"""The v3 fake's route table at its edges, over HTTP: what it refuses before counting a
call (404 ``APIG.0101``, 400 ``DWR.0400``), and the shapes it serves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timezone

import aiohttp
import pytest

from obs_workflow_async.testing import FakeDwrServer

PID = FakeDwrServer.PROJECT_ID


@pytest.fixture
async def server() -> AsyncIterator[FakeDwrServer]:
    async with FakeDwrServer(check_signature=False) as fake:
        yield fake  # type: ignore[misc]


async def _send(
    server: FakeDwrServer, method: str, path: str, body: bytes = b""
) -> tuple[int, dict[str, object]]:
    headers = {"X-Sdk-Date": datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"{server.url}{path}", data=body, headers=headers) as answer,
    ):
        text = await answer.text()
        return answer.status, (await answer.json(content_type=None) if text else {})


def _code(body: dict[str, object]) -> object:
    # routing and action errors currently come back in the v2 shape (``code``), the
    # gateway's in the v3 one (``error_code``); either names the code
    return body.get("error_code", body.get("code"))


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
async def test_workflows_without_a_name_is_no_such_api(server: FakeDwrServer, method: str) -> None:
    status, body = await _send(server, method, f"/v3/{PID}/workflows", b"{}")
    assert (status, _code(body)) == (404, "APIG.0101")
    assert sum(server.calls.values()) == 0


async def test_agreement_type_is_checked_for_any_method_on_its_path(server: FakeDwrServer) -> None:
    status, body = await _send(server, "DELETE", f"/v3/{PID}/workflow-agreements?type=bad")
    assert (status, _code(body)) == (400, "DWR.0400")
    status, body = await _send(server, "DELETE", f"/v3/{PID}/workflow-agreements/x?type=bad")
    assert (status, _code(body)) == (404, "APIG.0101")
    kind = "register_public_action_statement"
    status, _ = await _send(server, "POST", f"/v3/{PID}/workflow-agreements?type={kind}")
    assert status == 200 and kind in server.agreements
    assert dict(server.calls) == {"accept_agreement": 1}


async def test_my_templates_forbid_save_and_delete(server: FakeDwrServer) -> None:
    base = f"/v3/{PID}/myactiontemplates"
    assert (await _send(server, "POST", f"{base}/t1", b'{"category": "c"}'))[0] == 200
    assert (await _send(server, "PUT", f"{base}/t1/forbid", b"{}"))[0] == 200  # an update
    assert server.my_templates["t1"]["version"] == "2"
    assert (await _send(server, "POST", f"{base}/t1/forbid"))[0] == 200
    assert server.my_templates["t1"]["status"] == "DEPRECATED"
    assert (await _send(server, "GET", f"{base}/t1"))[0] == 404  # one is read singular
    assert (await _send(server, "DELETE", f"{base}/t1"))[0] == 204
    assert server.my_templates == {}
    assert dict(server.calls) == {
        "create_my_template": 1,
        "update_my_template": 1,
        "deprecate_my_template": 1,
        "delete_my_template": 1,
    }


async def test_execution_paths(server: FakeDwrServer) -> None:
    status, started = await _send(
        server, "POST", f"/v3/{PID}/workflows/g/execute", b'{"bucket": "b", "object": "o"}'
    )
    assert status == 200 and server.attempts["g"] == 1
    e = started["execution_name"]
    status, detail = await _send(server, "GET", f"/v3/{PID}/workflows/g/workflowexecution/{e}")
    assert (status, detail["execution_id"]) == (200, e)
    status, _ = await _send(server, "GET", f"/v3/{PID}/workflows/g/workflowexecution/{e}/retry")
    assert status == 404
    status, body = await _send(server, "GET", f"/v3/{PID}/workflowexecutions")
    assert (status, _code(body)) == (400, "DWR.0400")
    status, body = await _send(server, "GET", "/v3/other/workflows")
    assert (status, _code(body)) == (403, "DWR.0403")
    assert dict(server.calls) == {"start": 1, "get_execution": 1}


async def test_the_v3_fake_answers_errors_in_the_v3_shape(dwr_fake_server: FakeDwrServer) -> None:
    """Routing errors, store errors and injected status faults all come as
    ``{error_code, error_msg, request_id}``; an injected 429 carries ``APIG.0308``."""
    from obs_workflow_async import NotFoundError, RateLimitError
    from obs_workflow_async.dwr import AsyncDwrClient
    from obs_workflow_async.testing import Fault

    dwr_fake_server.add_fault(Fault("status", status=429), operation="get_workflow")
    async with AsyncDwrClient(**dwr_fake_server.dwr_client_kwargs(), max_retries=0) as client:
        with pytest.raises(RateLimitError) as throttled:
            await client.get_workflow("g")
        with pytest.raises(NotFoundError) as missing:
            await client.get_workflow("no-such-graph")
    assert throttled.value.code == "APIG.0308"
    assert '"error_code"' in throttled.value.body and '"error_msg"' in throttled.value.body
    assert '"error_code"' in missing.value.body
