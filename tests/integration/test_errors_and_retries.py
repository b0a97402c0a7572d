"""Every error class and the retry policy, against the fake service on loopback.

Attempt counts are read on the server side: what matters is how many times the
service saw the POST, not what the client believes it sent.
"""

from __future__ import annotations

import asyncio
import random
import socket
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from obs_workflow_async import (
    APIStatusError,
    AsyncWorkflowClient,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    ResponseParseError,
    ServerError,
    ServiceUnavailableError,
    Timeout,
    TransportError,
)
from obs_workflow_async._config import Runtime
from obs_workflow_async.errors import RedactedCause
from obs_workflow_async.testing import FakeWorkflowServer, Fault
from tests.conftest import ACCESS_KEY, SECRET, TOKEN
from tests.status_table import STATUS_CLASSES
from tests.support.fake_time import FakeTime
from tests.support.waiting import until

MakeClient = Callable[..., AsyncWorkflowClient]

# Timeouts are real here (aiohttp's): a fault holds the answer HANG seconds, as long as
# a hang for the test; the call must end well before, within STARVED seconds, which a
# machine with a load average of 10 still meets and a missing timeout never does.
HANG = 60.0
STARVED = 10.0


@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
async def test_every_status_error_class(
    fake: FakeWorkflowServer, make_client: MakeClient, status: int, cls: type[APIStatusError]
) -> None:
    fake.add_fault(Fault("status", status=status, code="SYS.9999", message="boom"))
    client = make_client(max_retries=0)
    with pytest.raises(cls) as caught:
        await client.start_workflow("g", "my-bucket", "k")
    error = caught.value
    assert type(error) is cls
    assert (error.status, error.code, error.message) == (status, "SYS.9999", "boom")
    assert error.request_id  # from X-Request-ID
    assert error.headers["x-request-id"] == error.request_id
    assert f"HTTP {status} SYS.9999: boom (request id: {error.request_id})" == str(error)
    assert fake.attempts["g"] == 1
    assert fake.executions == []


async def test_wrong_secret_gives_signature_mismatch(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    client = make_client(secret_access_key="not-the-secret")
    with pytest.raises(PermissionDeniedError) as caught:
        await client.start_workflow("g", "my-bucket", "k")
    assert caught.value.code == "SignatureDoesNotMatch"
    assert fake.executions == []


async def test_missing_token_is_refused(fake: FakeWorkflowServer) -> None:
    async with AsyncWorkflowClient(
        server=fake.url, access_key_id=ACCESS_KEY, secret_access_key=SECRET
    ) as client:
        with pytest.raises(PermissionDeniedError) as caught:
            await client.start_workflow("g", "my-bucket", "k")
    assert caught.value.code == "InvalidToken"


async def test_unknown_workflow_is_not_found() -> None:
    server = FakeWorkflowServer(known_graphs={"exists"})
    async with server, AsyncWorkflowClient(**server.client_kwargs()) as client:
        await client.start_workflow("exists", "my-bucket", "k")
        with pytest.raises(NotFoundError):
            await client.start_workflow("missing", "my-bucket", "k")


async def test_html_error_page_from_a_proxy(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    fake.add_fault(
        Fault(
            "status", status=502, body="<html><h1>Bad Gateway</h1></html>", content_type="text/html"
        )
    )
    with pytest.raises(ServerError) as caught:
        await make_client().start_workflow("g", "my-bucket", "k")
    assert caught.value.status == 502
    assert caught.value.code is None
    assert "Bad Gateway" in (caught.value.message or "")


async def test_non_json_success_is_a_parse_error(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    fake.add_fault(Fault("non_json"))
    with pytest.raises(ResponseParseError) as caught:
        await make_client().start_workflow("g", "my-bucket", "k")
    assert caught.value.status == 200
    assert caught.value.request_id


async def test_500_is_attempted_once(fake: FakeWorkflowServer, make_client: MakeClient) -> None:
    fake.add_fault(Fault("status", status=500), times=None)
    with pytest.raises(ServerError) as caught:
        await make_client().start_workflow("g", "my-bucket", "k")
    assert fake.attempts["g"] == 1
    assert caught.value.retries_taken == 0


@pytest.mark.parametrize("status", [502, 504])
async def test_other_ambiguous_statuses_are_attempted_once(
    fake: FakeWorkflowServer, make_client: MakeClient, status: int
) -> None:
    fake.add_fault(Fault("status", status=status), times=None)
    with pytest.raises(ServerError):
        await make_client().start_workflow("g", "my-bucket", "k")
    assert fake.attempts["g"] == 1


@pytest.mark.parametrize("status", [429, 503])
async def test_refusals_are_retried_to_success(
    fake: FakeWorkflowServer, make_client: MakeClient, status: int
) -> None:
    fake.add_fault(Fault("status", status=status, retry_after="0"), times=2)
    result = await make_client().start_workflow("g", "my-bucket", "k")
    assert fake.attempts["g"] == 3
    assert result.retries_taken == 2
    assert len(fake.executions) == 1


async def test_refusals_stop_after_max_retries(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    fake.add_fault(Fault("status", status=503, retry_after="0"), times=None)
    with pytest.raises(ServiceUnavailableError) as caught:
        await make_client(max_retries=2).start_workflow("g", "my-bucket", "k")
    assert fake.attempts["g"] == 3
    assert caught.value.retries_taken == 2


async def test_max_retries_zero_disables_retries(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    fake.add_fault(Fault("status", status=429, retry_after="0"), times=None)
    with pytest.raises(RateLimitError):
        await make_client(max_retries=0).start_workflow("g", "my-bucket", "k")
    assert fake.attempts["g"] == 1


async def test_per_call_override_of_retries(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    client = make_client(max_retries=0)
    fake.add_fault(Fault("status", status=503, retry_after="0"), times=1)
    result = await client.start_workflow("g", "my-bucket", "k", max_retries=1)
    assert result.retries_taken == 1
    fake.add_fault(Fault("status", status=500), times=1)
    result = await client.start_workflow(
        "g", "my-bucket", "k", max_retries=1, retry_non_idempotent=True
    )
    assert result.retries_taken == 1


async def test_retry_after_is_honoured(fake: FakeWorkflowServer, make_client: MakeClient) -> None:
    fake.add_fault(Fault("status", status=429, retry_after="0.3"), times=1)
    fake_time = FakeTime()
    await make_client(runtime=fake_time.runtime()).start_workflow("g", "my-bucket", "k")
    assert fake_time.sleeps == [0.3]  # the pause before the retry is the server's
    assert fake.attempts["g"] == 2


async def test_retry_after_beyond_the_cap_is_not_waited_for(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    fake.add_fault(Fault("status", status=503, retry_after="3600"), times=1)
    fake_time = FakeTime()
    with pytest.raises(ServiceUnavailableError) as caught:
        await make_client(runtime=fake_time.runtime()).start_workflow("g", "my-bucket", "k")
    assert fake_time.sleeps == []  # no pause at all
    assert caught.value.retry_after == 3600.0
    assert fake.attempts["g"] == 1


async def test_retry_non_idempotent_opt_in_retries_500(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    fake.add_fault(Fault("status", status=500, retry_after="0"), times=1)
    result = await make_client(retry_non_idempotent=True).start_workflow("g", "my-bucket", "k")
    assert fake.attempts["g"] == 2
    assert result.retries_taken == 1


async def test_dropped_connection_is_ambiguous_and_not_retried(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    fake.add_fault(Fault("drop"))
    with pytest.raises(TransportError) as caught:
        await make_client().start_workflow("g", "my-bucket", "k")
    error = caught.value
    assert not isinstance(error, RequestTimeoutError)
    assert error.request_sent is True
    assert fake.attempts["g"] == 1
    assert len(fake.executions) == 1  # the service did start it: that is why we do not resend
    assert isinstance(error.__cause__, RedactedCause)
    assert error.__cause__.type_name == "ServerDisconnectedError"


async def test_connection_dropped_mid_response(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    fake.add_fault(Fault("reset_mid_response"))
    client = make_client()
    with pytest.raises(TransportError) as caught:
        await client.start_workflow("g", "my-bucket", "k")
    assert caught.value.request_sent is True
    assert fake.attempts["g"] == 1
    # The pool recovers: the next call works on a fresh connection.
    await client.start_workflow("g", "my-bucket", "k2")
    assert len(fake.executions) == 2


async def test_drop_with_opt_in_is_retried(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    fake.add_fault(Fault("drop"))
    client = make_client(retry_non_idempotent=True, runtime=Runtime(random=random.Random(1).random))
    result = await client.start_workflow("g", "my-bucket", "k")
    assert result.retries_taken == 1
    assert fake.attempts["g"] == 2
    assert len(fake.executions) == 2  # the documented price of the opt-in: a duplicate run


async def test_read_timeout_fires_on_time_and_is_not_retried(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    fake.add_fault(Fault("delay", delay=HANG))
    client = make_client(timeout=0.3)
    began = time.monotonic()
    with pytest.raises(RequestTimeoutError) as caught:
        await client.start_workflow("g", "my-bucket", "k")
    elapsed = time.monotonic() - began
    # never early; late only by what a starved machine adds (without the timeout the
    # call would hang for HANG seconds)
    assert 0.25 <= elapsed < STARVED
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.request_sent is True
    assert fake.attempts["g"] == 1


async def test_sock_read_timeout(fake: FakeWorkflowServer, make_client: MakeClient) -> None:
    fake.add_fault(Fault("delay", delay=HANG))
    began = time.monotonic()
    with pytest.raises(RequestTimeoutError):
        await make_client(timeout=Timeout(total=None, read=0.2)).start_workflow("g", "b-1", "k")
    assert time.monotonic() - began < STARVED  # a missing read timeout hangs HANG seconds


async def test_per_call_timeout_override(fake: FakeWorkflowServer, make_client: MakeClient) -> None:
    fake.add_fault(Fault("delay", delay=HANG))
    began = time.monotonic()
    with pytest.raises(RequestTimeoutError):
        await make_client(timeout=HANG).start_workflow("g", "my-bucket", "k", timeout=0.2)
    assert time.monotonic() - began < STARVED  # the client's timeout would take HANG seconds


async def test_deadline_bounds_all_retries(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    fake.add_fault(Fault("status", status=503, retry_after="0.2"), times=None)
    fake_time = FakeTime()  # time passes only in the pauses between attempts
    client = make_client(max_retries=50, deadline=0.5, runtime=fake_time.runtime())
    with pytest.raises(ServiceUnavailableError) as caught:
        await client.start_workflow("g", "my-bucket", "k")
    # 0 s, 0.2 s, 0.4 s: a third pause would end past the deadline, so none is taken
    assert fake_time.sleeps == [0.2, 0.2]
    assert caught.value.retries_taken == 2 and fake.attempts["g"] == 3


async def test_deadline_cuts_a_slow_attempt(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    fake.add_fault(Fault("delay", delay=HANG))
    began = time.monotonic()
    with pytest.raises(RequestTimeoutError, match="deadline"):
        await make_client(timeout=HANG, deadline=0.3).start_workflow("g", "my-bucket", "k")
    assert time.monotonic() - began < STARVED  # the attempt's timeout would take HANG seconds


async def test_deadline_covers_the_wait_for_a_connection(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    fake.add_fault(Fault("delay", delay=1.0), times=1)
    client = make_client(max_connections=1, timeout=0.2)
    slow = asyncio.create_task(client.start_workflow("g", "my-bucket", "slow", timeout=5))
    await until(lambda: fake.in_flight == 1)  # `slow` holds the only connection
    began = time.monotonic()
    with pytest.raises(RequestTimeoutError, match="waiting for a free connection") as caught:
        await client.start_workflow("g", "my-bucket", "queued", deadline=0.3)
    # never early; no upper bound: were the wait not bounded by the deadline, the call
    # would get the connection when `slow` ends and succeed, which pytest.raises catches
    assert time.monotonic() - began >= 0.25
    assert caught.value.request_sent is False
    # The per-attempt timeout (0.2 s) did not count the queueing: once the slot is
    # free, a queued call without a deadline still gets its full attempt.
    queued = asyncio.create_task(client.start_workflow("g", "my-bucket", "queued-2"))
    await slow
    await queued
    assert sorted(e.object_key for e in fake.executions) == ["queued-2", "slow"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_refused_connection_is_retried_until_the_server_is_up() -> None:
    port = _free_port()
    server = FakeWorkflowServer(access_key_id=ACCESS_KEY, secret_access_key=SECRET, port=port)
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        await asyncio.sleep(seconds)

    runtime = Runtime(random=random.Random(3).random, sleep=sleep)
    async with AsyncWorkflowClient(
        server=f"http://127.0.0.1:{port}",
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET,
        max_retries=5,
        runtime=runtime,
    ) as client:
        call = asyncio.create_task(client.start_workflow("g", "my-bucket", "k"))
        await until(lambda: len(pauses) >= 1, timeout=60)  # the first attempt was refused
        async with server:
            result = await call
    assert result.retries_taken >= 1
    assert server.attempts["g"] == 1
    assert len(server.executions) == 1


async def test_refused_connection_reports_not_sent() -> None:
    port = _free_port()
    async with AsyncWorkflowClient(
        server=f"http://127.0.0.1:{port}",
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET,
        max_retries=0,
    ) as client:
        with pytest.raises(TransportError) as caught:
            await client.start_workflow("g", "my-bucket", "k")
    assert caught.value.request_sent is False
    assert "cannot connect" in str(caught.value)


async def test_every_attempt_is_signed_afresh(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    base = datetime.now(timezone.utc)
    ticks = iter(range(100))
    client = make_client(
        runtime=Runtime(wall_clock=lambda: base + timedelta(seconds=2 * next(ticks)))
    )
    fake.add_fault(Fault("status", status=503, retry_after="0"), times=2)
    await client.start_workflow("g", "my-bucket", "k")
    dates = [r.headers["Date"] for r in fake.requests]
    auths = [r.headers["Authorization"] for r in fake.requests]
    assert len(set(dates)) == 3 and len(set(auths)) == 3
    assert len(fake.executions) == 1  # and every one of them verified on the server


async def test_clock_skew_is_rejected_like_the_service(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    client = make_client(
        runtime=Runtime(wall_clock=lambda: datetime.now(timezone.utc) - timedelta(minutes=20))
    )
    with pytest.raises(PermissionDeniedError) as caught:
        await client.start_workflow("g", "my-bucket", "k")
    assert caught.value.code == "RequestTimeTooSkewed"


@pytest.mark.parametrize("mode", ["obs", "v2", "v4"])
async def test_all_signature_modes_verify_on_the_server(
    fake: FakeWorkflowServer, make_client: MakeClient, mode: str
) -> None:
    client = make_client(signature=mode, region="cn-north-4")
    result = await client.start_workflow("g", "my-bucket", "ü/k e y", inputs={"n": 1.5})
    assert result.execution_name
    assert fake.executions[0].inputs == {"n": 1.5}
    assert fake.executions[0].object_key == "ü/k e y"
    token_header = "x-obs-security-token" if mode == "obs" else "x-amz-security-token"
    assert fake.requests[0].headers[token_header] == TOKEN


@pytest.mark.parametrize("content_length", [True, False])
async def test_huge_bodies_are_refused_without_reading_them_whole(
    fake: FakeWorkflowServer, make_client: MakeClient, content_length: bool
) -> None:
    fake.add_fault(Fault("huge_body", size=12 * 1024 * 1024, content_length=content_length))
    with pytest.raises(TransportError, match="exceeds the 10485760-byte limit") as caught:
        await make_client().start_workflow("g", "my-bucket", "k")
    assert caught.value.request_sent is True  # the start was processed: ambiguous
    assert fake.attempts["g"] == 1


async def test_huge_answers_to_gets_are_not_retried(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    fake.add_fault(Fault("huge_body", size=11 * 1024 * 1024), operation="list_workflows")
    with pytest.raises(TransportError, match="exceeds"):
        await make_client().list_workflows()
    assert fake.calls["list_workflows"] == 1
