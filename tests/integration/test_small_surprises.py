"""Issue 21's small surprises: enums print their value, the server comes from
``OBS_SERVER`` like the keys, and https against a plain-HTTP port says so."""

from __future__ import annotations

import pytest

from obs_workflow_async import AsyncWorkflowClient, ExecutionState, TransportError
from obs_workflow_async.errors import InvalidRequestError
from obs_workflow_async.models import ExecutionType
from obs_workflow_async.testing import FakeWorkflowServer


def test_string_enums_print_their_value() -> None:
    assert str(ExecutionState.RUNNING) == "RUNNING"
    assert f"{ExecutionState.SUCCESS}" == "SUCCESS"
    assert f"{ExecutionState.FAILED:>8}" == "  FAILED"
    assert str(ExecutionType.APICALL) == "APICALL"
    assert "{}".format(ExecutionState("timeout")) == "timeout"  # an open, unknown value
    assert str(ExecutionState.UNKNOWN) == ""
    assert ExecutionState.RUNNING == "RUNNING"  # still a str


async def test_server_comes_from_OBS_SERVER_through_environ() -> None:
    async with FakeWorkflowServer() as fake:
        environ = {
            "OBS_SERVER": fake.url,
            "OBS_ACCESS_KEY_ID": fake.access_key_id,
            "OBS_SECRET_ACCESS_KEY": fake.secret_access_key,
        }
        async with AsyncWorkflowClient(environ=environ) as client:
            await client.list_workflows()
        assert [r.path for r in fake.requests][-1].startswith("/v2/workflows")


def test_no_server_names_the_argument_and_the_variable() -> None:
    environ = {"OBS_ACCESS_KEY_ID": "ak", "OBS_SECRET_ACCESS_KEY": "sk"}
    with pytest.raises(InvalidRequestError) as caught:
        AsyncWorkflowClient(environ=environ)
    assert "server" in str(caught.value)
    assert "OBS_SERVER" in str(caught.value)


def test_explicit_server_wins_over_OBS_SERVER() -> None:
    environ = {"OBS_SERVER": "http://[bad", "OBS_ACCESS_KEY_ID": "a", "OBS_SECRET_ACCESS_KEY": "s"}
    client = AsyncWorkflowClient(server="http://127.0.0.1:9", environ=environ)
    assert client.server == "http://127.0.0.1:9"


async def test_https_against_plain_http_asks_whether_the_endpoint_is_http() -> None:
    async with FakeWorkflowServer() as fake:
        kwargs = fake.client_kwargs()
        kwargs["server"] = fake.url.replace("http://", "https://")
        async with AsyncWorkflowClient(**kwargs, max_retries=0) as client:
            with pytest.raises(TransportError) as caught:
                await client.list_workflows()
        assert "is the endpoint http?" in str(caught.value)
        assert caught.value.request_sent is False
        assert fake.requests == []  # nothing readable reached the service
