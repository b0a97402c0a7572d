"""The client against aioresponses: request shape, result parsing, compat results."""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

import pytest
from aiohttp import ClientResponse
from aioresponses import aioresponses
from aioresponses import core as aioresponses_core
from yarl import URL

from obs_workflow_async import (
    APIStatusError,
    AsyncWorkflowClient,
    NotFoundError,
    ResponseParseError,
    ServerError,
)
from obs_workflow_async.compat import AsyncAPIStartWorkflowResponse, GetResult, WorkflowClient

SERVER = "https://obs.cn-north-4.myhuaweicloud.com"
URL_G = f"{SERVER}/v2/workflows/graph-1"
OK_BODY = {
    "execution_urn": "urn:fgs:cn-north-4:p:execution:graph-1:e1:d",
    "execution_name": "e1",
    "started_at": "2020-04-23T13:37:43.847Z",
}


class _StreamWriterStub:
    output_size = 0


class _CompatClientResponse(ClientResponse):
    """aioresponses 0.7.9 predates aiohttp 3.14's required ``stream_writer`` argument
    (pnuckowski/aioresponses#289); supply a stub until a fixed release exists."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _StreamWriterStub())
        super().__init__(*args, **kwargs)


@pytest.fixture
def mocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[aioresponses]:
    if "stream_writer" in inspect.signature(ClientResponse.__init__).parameters:
        monkeypatch.setattr(aioresponses_core, "ClientResponse", _CompatClientResponse)
    with aioresponses() as m:
        yield m


@pytest.fixture
async def client() -> AsyncIterator[AsyncWorkflowClient]:
    async with AsyncWorkflowClient(
        server=SERVER, access_key_id="AKUNIT0000000001", secret_access_key="unit-secret"
    ) as c:
        yield c


def sent(mocked: aioresponses, method: str = "POST", url: str = URL_G) -> list[dict[str, object]]:
    return [call.kwargs for call in mocked.requests[(method, URL(url))]]


async def test_success_is_typed_and_keeps_extra_fields(
    mocked: aioresponses, client: AsyncWorkflowClient
) -> None:
    mocked.post(URL_G, payload={**OK_BODY, "new_field": [1]}, headers={"X-Request-ID": "rid-1"})
    result = await client.start_workflow(
        "graph-1", "my-bucket", "videos/a.mp4", inputs={"resolution": "720p"}
    )
    assert result.execution_name == "e1"
    assert result.started_at == datetime(2020, 4, 23, 13, 37, 43, 847000, tzinfo=timezone.utc)
    assert result.started_at.tzinfo is not None
    assert result.request_id == "rid-1"
    assert result.retries_taken == 0
    assert result.model_extra == {"new_field": [1]}
    assert result.headers["x-request-id"] == "rid-1"
    (kwargs,) = sent(mocked)
    assert json.loads(kwargs["data"]) == {  # type: ignore[arg-type]
        "bucket": "my-bucket",
        "object": "videos/a.mp4",
        "inputs": {"resolution": "720p"},
    }
    headers = kwargs["headers"]
    assert isinstance(headers, Mapping)
    assert headers["Content-Type"] == "application/json"
    assert headers["Authorization"].startswith("OBS AKUNIT0000000001:")
    assert headers["Host"] == "obs.cn-north-4.myhuaweicloud.com"
    assert "Date" in headers


async def test_no_inputs_means_no_inputs_key(
    mocked: aioresponses, client: AsyncWorkflowClient
) -> None:
    mocked.post(URL_G, payload=OK_BODY)
    await client.start_workflow("graph-1", "my-bucket", "k")
    (kwargs,) = sent(mocked)
    assert json.loads(kwargs["data"]) == {"bucket": "my-bucket", "object": "k"}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("headers", "body_extra", "expected"),
    [
        ({"X-Request-ID": "a", "x-obs-request-id": "b"}, {"request_id": "c"}, "a"),
        ({"x-obs-request-id": "b"}, {"request_id": "c"}, "b"),
        ({}, {"request_id": "c"}, "c"),
        ({}, {}, None),
    ],
)
async def test_request_id_fallbacks(
    mocked: aioresponses,
    client: AsyncWorkflowClient,
    headers: dict[str, str],
    body_extra: dict[str, str],
    expected: str | None,
) -> None:
    mocked.post(URL_G, payload={**OK_BODY, **body_extra}, headers=headers)
    result = await client.start_workflow("graph-1", "my-bucket", "k")
    assert result.request_id == expected


async def test_json_error_with_charset_suffix(
    mocked: aioresponses, client: AsyncWorkflowClient
) -> None:
    mocked.post(
        URL_G,
        status=404,
        body=json.dumps({"code": "SYS.0003", "message": "no such workflow", "request_id": "rb"}),
        content_type="application/json;charset=UTF-8",
    )
    with pytest.raises(NotFoundError) as caught:
        await client.start_workflow("graph-1", "my-bucket", "k")
    error = caught.value
    assert (error.status, error.code, error.message, error.request_id) == (
        404,
        "SYS.0003",
        "no such workflow",
        "rb",
    )
    assert "404" in str(error) and "SYS.0003" in str(error) and "rb" in str(error)
    assert error.__cause__ is None


async def test_non_json_error_body_still_gives_status_error(
    mocked: aioresponses, client: AsyncWorkflowClient
) -> None:
    mocked.post(
        URL_G,
        status=500,
        body="<html>proxy error</html>",
        content_type="text/html",
        headers={"x-obs-request-id": "rx"},
    )
    with pytest.raises(ServerError) as caught:
        await client.start_workflow("graph-1", "my-bucket", "k")
    assert caught.value.status == 500
    assert caught.value.request_id == "rx"
    assert caught.value.body == "<html>proxy error</html>"


@pytest.mark.parametrize(
    "body",
    ["not json", "[]", "", '{"started_at": "2020-04-23T13:37:43Z"}'],
)  # a body that names an execution is a start: see tests/unit/test_start_answers.py
async def test_bad_success_bodies_raise_parse_error(
    mocked: aioresponses, client: AsyncWorkflowClient, body: str
) -> None:
    mocked.post(URL_G, status=200, body=body, headers={"X-Request-ID": "rp"})
    with pytest.raises(ResponseParseError) as caught:
        await client.start_workflow("graph-1", "my-bucket", "k")
    assert caught.value.status == 200
    assert caught.value.request_id == "rp"
    assert "may have started" in str(caught.value) and caught.value.may_have_started


async def test_compat_success_and_error_are_returned(
    mocked: aioresponses, client: AsyncWorkflowClient
) -> None:
    sdk = WorkflowClient.from_client(client)
    mocked.post(
        URL_G, payload=OK_BODY, headers={"X-Request-ID": "rid", "x-reserved-indicator": "ind"}
    )
    ok = await sdk.asyncAPIStartWorkflow("graph-1", "my-bucket", "k", inputs={"a": 1})
    assert isinstance(ok, GetResult)
    assert (ok.status, ok.requestId, ok.indicator, ok.errorCode) == (200, "rid", "ind", None)
    assert isinstance(ok.body, AsyncAPIStartWorkflowResponse)
    assert (ok.body.executionUrn, ok.body.startedAt, ok.body.executionName) == (
        OK_BODY["execution_urn"],
        OK_BODY["started_at"],
        "e1",
    )
    assert ("x-reserved-indicator", "ind") in ok.header  # X-Request-ID: dropped, as the SDK
    assert all(name != "x-request-id" for name, _ in ok.header)

    mocked.post(
        URL_G,
        status=409,
        headers={"X-Request-ID": "r2", "x-obs-id-2": "host"},
        body='{"code": "OperationAborted", "message": "busy"}',
        content_type="application/json",
    )
    failed = await sdk.asyncAPIStartWorkflow("graph-1", "my-bucket", "k")
    assert (failed.status, failed.errorCode, failed.errorMessage, failed.requestId) == (
        409,
        "OperationAborted",
        "busy",
        "r2",
    )
    assert failed.hostId is None  # the SDK reads HostId from an XML body only
    assert failed.body == '{"code": "OperationAborted", "message": "busy"}'
    assert ("id-2", "host") in failed.header


async def test_api_errors_carry_headers_and_body(
    mocked: aioresponses, client: AsyncWorkflowClient
) -> None:
    mocked.post(URL_G, status=418, body="teapot", headers={"X-Request-ID": "t"})
    with pytest.raises(APIStatusError) as caught:
        await client.start_workflow("graph-1", "my-bucket", "k")
    assert type(caught.value) is APIStatusError
    assert caught.value.headers["x-request-id"] == "t"
    assert caught.value.body == "teapot"
