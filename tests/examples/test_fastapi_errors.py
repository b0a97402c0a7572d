"""The FastAPI example inside a web request: a deadline on every call, and one HTTP
answer per kind of failure (``may_have_started`` kept in the body)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from examples import fastapi_app
from obs_workflow_async import RequestTimeoutError
from obs_workflow_async.testing import FakeWorkflowServer, Fault


def post(
    http: TestClient, key: str = "a.mp4", bucket: str = "media"
) -> tuple[int, dict[str, object], dict[str, str]]:
    answer = http.post("/uploads", json={"bucket": bucket, "object_key": key})
    return answer.status_code, answer.json(), dict(answer.headers)


def test_the_client_has_a_deadline_and_a_short_retry_budget(
    obs_fake_server: FakeWorkflowServer,
) -> None:
    app = fastapi_app.create_app(**obs_fake_server.client_kwargs())
    with TestClient(app) as http:
        options = app.state.workflows._core.options.call
        assert options.deadline == fastapi_app.DEADLINE
        assert options.retry.max_retry_wait == fastapi_app.MAX_RETRY_WAIT
        status, _, _ = post(http)
    assert status == 201


def test_each_failure_gets_its_own_answer(obs_fake_server: FakeWorkflowServer) -> None:
    fake = obs_fake_server
    app = fastapi_app.create_app(**fake.client_kwargs())
    with TestClient(app) as http:
        invalid = post(http, bucket="Bad Bucket")
        fake.add_fault(Fault("status", status=404, code="WorkflowNotFound"), times=1)
        missing = post(http)
        fake.add_fault(Fault("status", status=429, retry_after="30"), times=1)
        throttled = post(http)
        fake.add_fault(Fault("status", status=503, retry_after="42.5"), times=1)
        unavailable = post(http)
        fake.add_fault(Fault("status", status=500), times=1)
        server_error = post(http)
    assert invalid[0] == 422 and invalid[1]["may_have_started"] is False
    assert missing[0] == 404 and missing[1]["error"] == "NotFoundError"
    assert throttled[0] == 503 and throttled[2]["retry-after"] == "30"
    assert throttled[1]["may_have_started"] is False
    assert unavailable[0] == 503 and unavailable[2]["retry-after"] == "43"
    assert server_error[0] == 502 and server_error[1]["may_have_started"] is True
    assert fake.executions == []  # the 500 was injected before the start took effect


def test_a_lost_answer_is_a_504_that_may_have_started(obs_fake_server: FakeWorkflowServer) -> None:
    fake = obs_fake_server
    app = fastapi_app.create_app(**fake.client_kwargs())
    with TestClient(app) as http:
        fake.add_fault(Fault("drop"), times=1)
        dropped = post(http)
    assert dropped[0] == 502  # the connection closed without an answer: not a timeout
    assert dropped[1]["may_have_started"] is True
    assert len(fake.executions) == 1  # it did start: the caller must not blindly resend


def test_a_timeout_is_a_504_keeping_may_have_started() -> None:
    error = RequestTimeoutError(
        "timed out waiting for the response (deadline of 10.0s exceeded)",
        method="POST",
        url="https://obs.example/v2/workflows/transcode",
        request_sent=True,
    )
    answer = fastapi_app.error_response(error)
    assert answer.status_code == 504
    assert json.loads(bytes(answer.body)) == {
        "error": "RequestTimeoutError",
        "detail": str(error),
        "may_have_started": True,
    }
