"""The retry loop on an in-memory transport with an injected clock, sleep and randomness:
the recorded delays are asserted exactly, with no wall-clock waits."""

from __future__ import annotations

import pytest

from obs_workflow_async import (
    APIStatusError,
    AsyncWorkflowClient,
    RequestTimeoutError,
    Runtime,
    ServerError,
    TransportError,
    may_have_started,
)
from obs_workflow_async.testing.mock import (
    ConnectFailed,
    ConnectionLost,
    MockRequest,
    MockResponse,
    MockTransport,
    ReadTimeout,
)

OK = MockResponse(
    200,
    json={"execution_urn": "urn:x", "execution_name": "e1", "started_at": "2026-01-01T00:00:00Z"},
)


class FakeTime:
    """A monotonic clock that only moves when the client sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def runtime(self, jitter: float = 1.0) -> Runtime:
        return Runtime(clock=self.clock, sleep=self.sleep, random=lambda: jitter)


def _client(transport: MockTransport, time: FakeTime, **kwargs: object) -> AsyncWorkflowClient:
    return AsyncWorkflowClient(
        server="https://obs.example.com",
        access_key_id="ak",
        secret_access_key="sk",
        transport=transport,
        runtime=time.runtime(),
        **kwargs,  # type: ignore[arg-type]
    )


def _script(*steps: object) -> MockTransport:
    answers = list(steps)

    def handler(request: MockRequest) -> MockResponse:
        step = answers.pop(0)
        if isinstance(step, BaseException):
            raise step
        assert isinstance(step, MockResponse)
        return step

    return MockTransport(handler)


async def test_backoff_delays_are_exact_and_every_attempt_is_signed() -> None:
    time = FakeTime()
    transport = _script(MockResponse(503), MockResponse(429), ConnectFailed("refused"), OK)
    async with _client(transport, time) as client:
        result = await client.start_workflow("g", "media", "k")
    assert result.retries_taken == 3
    # min(0.5 * 2**(n-1), 8) with jitter factor 1.0
    assert time.sleeps == [0.5, 1.0, 2.0]
    assert all(r.headers["Authorization"].startswith("OBS ak:") for r in transport.requests)
    assert [r.method for r in transport.requests] == ["POST"] * 4


async def test_retry_after_replaces_backoff_and_a_long_one_is_raised() -> None:
    time = FakeTime()
    transport = _script(MockResponse(503, headers={"Retry-After": "7"}), OK)
    async with _client(transport, time) as client:
        await client.start_workflow("g", "media", "k")
    assert time.sleeps == [7.0]
    time = FakeTime()
    transport = _script(MockResponse(503, headers={"Retry-After": "120"}))
    async with _client(transport, time) as client:
        with pytest.raises(ServerError) as caught:
            await client.start_workflow("g", "media", "k")
    assert caught.value.retry_after == 120.0 and time.sleeps == []


async def test_a_possible_start_is_never_retried_but_a_get_is() -> None:
    for failure in (MockResponse(500), ConnectionLost("reset"), ReadTimeout()):
        time = FakeTime()
        transport = _script(failure, OK)
        async with _client(transport, time) as client:
            with pytest.raises((ServerError, TransportError)) as caught:
                await client.start_workflow("g", "media", "k")
        assert may_have_started(caught.value)
        assert len(transport.requests) == 1 and time.sleeps == []
    time = FakeTime()
    detail = MockResponse(
        200,
        json={
            "name": "g",
            "graph_urn": "urn:g",
            "created_at": "2026-01-01T00:00:00Z",
            "definition": {},
        },
    )
    transport = _script(ConnectionLost("reset"), detail)
    async with _client(transport, time) as client:
        await client.get_workflow("g")
    assert time.sleeps == [0.5]


async def test_the_deadline_stops_retries_on_the_injected_clock() -> None:
    time = FakeTime()
    transport = _script(*[MockResponse(503)] * 10)
    async with _client(transport, time, max_retries=10, deadline=2.0) as client:
        with pytest.raises(ServerError):
            await client.start_workflow("g", "media", "k")
    # 0.5 + 1.0 = 1.5 s slept; the next 2.0 s backoff would pass the 2 s deadline
    assert time.sleeps == [0.5, 1.0]
    assert len(transport.requests) == 3


async def test_read_timeout_is_a_request_timeout_that_may_have_started() -> None:
    time = FakeTime()
    async with _client(_script(ReadTimeout()), time) as client:
        with pytest.raises(RequestTimeoutError) as caught:
            await client.start_workflow("g", "media", "k")
    assert caught.value.request_sent and may_have_started(caught.value)


async def test_status_errors_carry_method_and_url() -> None:
    time = FakeTime()
    async with _client(_script(MockResponse(404)), time) as client:
        with pytest.raises(APIStatusError) as caught:
            await client.get_workflow("g")
    assert caught.value.method == "GET"
    assert caught.value.url == "https://obs.example.com/v2/workflows/g"
