"""v3 answers and error bodies read as ``huaweicloudsdkdwr`` reads them (no SDK needed)."""

from __future__ import annotations

import asyncio
import json

import pytest

from obs_workflow_async.dwr import AsyncDwrClient
from obs_workflow_async.dwr.error_body import read_dwr_error_body
from obs_workflow_async.dwr.models import DwrMyTemplateDefinition, DwrWorkflowDefinition
from obs_workflow_async.errors import APIStatusError, InvalidRequestError
from obs_workflow_async.testing.mock import MockRequest, MockResponse, MockTransport

PID = "0123456789abcdef0123456789abcdef"

ERROR_BODIES = [
    # the SDK's pair precedence: error_code/error_msg, errorCode/errorMsg, code/message
    ({"code": "C", "message": "M", "error_code": "E", "error_msg": "e"}, ("E", "e")),
    ({"code": "C", "message": "M", "errorCode": "X", "errorMsg": "x"}, ("X", "x")),
    ({"code": "C", "message": "M"}, ("C", "M")),
    # a lone half of a pair is no pair: the status and the whole body
    ({"error_code": "E"}, ("404", '{"error_code": "E"}')),
    # nested objects, in order, the later overriding
    ({"error": {"code": "N", "message": "n"}}, ("N", "n")),
    ({"a": {"code": "A", "message": "a"}, "b": {"code": "B", "message": "b"}}, ("B", "b")),
    ({"x": {"y": {"error_code": "D", "error_msg": "d"}}}, ("D", "d")),
    # empty values fall back: the status for the code, the body for the message
    ({"error_code": 0, "error_msg": ""}, ("404", '{"error_code": 0, "error_msg": ""}')),
    ({"error_code": 1234, "error_msg": "gone"}, ("1234", "gone")),
]


@pytest.mark.parametrize(("body", "expected"), ERROR_BODIES)
def test_error_body_precedence(body: dict[str, object], expected: tuple[str, str]) -> None:
    text = json.dumps(body)
    parsed = read_dwr_error_body(text, 404)
    assert (parsed.code, parsed.message) == expected


@pytest.mark.parametrize("text", ["Bad Gateway", "[1, 2]", '"oops"', "", "{not json"])
def test_non_object_error_body_is_the_message(text: str) -> None:
    parsed = read_dwr_error_body(text, 502)
    assert (parsed.code, parsed.message) == ("502", text)


def _client(handler: object) -> AsyncDwrClient:
    return AsyncDwrClient(
        endpoint="https://dwr.example.com",
        project_id=PID,
        access_key_id="AK",
        secret_access_key="SK",
        max_retries=0,
        environ={},
        transport=MockTransport(handler),  # type: ignore[arg-type]
    )


def test_client_error_uses_the_sdk_reading() -> None:
    def handler(req: MockRequest) -> MockResponse:
        body = {"code": "C", "message": "M", "error_code": "DWR.1", "error_msg": "no"}
        return MockResponse(404, json=body, headers={"X-Request-Id": "rid"})

    async def go() -> APIStatusError:
        async with _client(handler) as client:
            with pytest.raises(APIStatusError) as info:
                await client.get_workflow("g")
            return info.value

    error = asyncio.run(go())
    assert (error.status, error.code, error.message, error.request_id) == (
        404,
        "DWR.1",
        "no",
        "rid",
    )


def test_listing_items_without_a_name_are_kept() -> None:
    def handler(req: MockRequest) -> MockResponse:
        if "workflowexecutions" in req.url:
            return MockResponse(200, json={"executions": [{"execution_state": "fail"}]})
        if "templates" in req.url:
            return MockResponse(200, json={"action_templates": [{"category": "c"}, {"name": "t"}]})
        return MockResponse(200, json={"graphs": [{"id": "1"}, {"name": "g"}]})

    async def go() -> None:
        async with _client(handler) as client:
            page = await client.list_workflows()
            assert [g.name for g in page.graphs] == [None, "g"]
            templates = await client.list_system_templates()
            assert [t.name for t in templates.action_templates] == [None, "t"]
            executions = await client.list_executions("g")
            assert [e.execution_name for e in executions.executions] == [""]

    asyncio.run(go())


def test_detail_and_restore_without_a_name_take_the_requested_one() -> None:
    def handler(req: MockRequest) -> MockResponse:
        if req.url.endswith("/retry"):
            return MockResponse(200, json={"execution_urn": "urn"})
        return MockResponse(200, json={"status": "success"})

    async def go() -> None:
        async with _client(handler) as client:
            detail = await client.get_execution("g", "e1")
            assert detail.execution_name == "e1" and detail.succeeded
            restored = await client.restore_execution("g", "e2")
            assert restored.execution_name == "e2"

    asyncio.run(go())


def test_bodies_follow_the_sdk_model_order_not_the_callers() -> None:
    definition = DwrWorkflowDefinition.model_validate(
        {
            "agency": "a",
            "func_vpc": {"gateway": "gw", "subnet_id": "s", "vpc_id": "v"},
            "states": [
                {
                    "next_state": "n",
                    "state_name": "s1",
                    "type": "END",
                    "start": True,
                    "actions": [
                        {
                            "results": [{"next_state": "x", "match": "m"}],
                            "timeout": 5,
                            "action_template_name": "t",
                            "action_name": "a",
                        }
                    ],
                }
            ],
        }
    )
    assert definition.body() == (
        b'{"states": [{"start": true, "type": "END", "state_name": "s1", "actions": '
        b'[{"action_name": "a", "action_template_name": "t", "timeout": 5, "results": '
        b'[{"match": "m", "next_state": "x"}]}], "next_state": "n"}], "func_vpc": '
        b'{"subnet_id": "s", "vpc_id": "v", "gateway": "gw"}, "agency": "a"}'
    )


def test_need_policy_is_a_list_of_policies() -> None:
    names = {"en-us": "n"}
    template = DwrMyTemplateDefinition.model_validate(
        {
            "func_name": names,
            "need_policy": [
                {"statement": [{"resource": ["r"], "action": ["a"]}], "version": "1.1"}
            ],
            "category": "MediaProcess",
            "func_provider": names,
            "func_description": names,
            "bill_value": 5,
        }
    )
    assert template.body() == (
        b'{"category": "MediaProcess", "need_policy": [{"version": "1.1", "statement": '
        b'[{"action": ["a"], "resource": ["r"]}]}], "func_provider": {"en-us": "n"}, '
        b'"func_name": {"en-us": "n"}, "func_description": {"en-us": "n"}, "bill_value": 5}'
    )
    with pytest.raises(ValueError):  # a bool is not a policy list (pydantic's error)
        DwrMyTemplateDefinition.model_validate({**template.model_dump(), "need_policy": True})


def test_request_types_are_strict() -> None:
    async def go() -> None:
        async with _client(lambda req: MockResponse(200, json={})) as client:
            with pytest.raises(InvalidRequestError):
                await client.create_workflow(
                    "g", {"states": [{"type": "END", "state_name": "s", "time_delay": "5"}]}
                )

    asyncio.run(go())
