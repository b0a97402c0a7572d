"""start_many / start_all against the fake service: laziness, order, limits, faults."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import pytest

from obs_workflow_async import (
    AsyncWorkflowClient,
    BatchStats,
    InvalidRequestError,
    NotFoundError,
    StartRequest,
)
from obs_workflow_async.testing import FakeWorkflowServer, Fault
from tests.support.waiting import until


@pytest.fixture
async def server() -> AsyncIterator[FakeWorkflowServer]:
    async with FakeWorkflowServer(record_requests=False) as fake:
        yield fake


@pytest.fixture
async def client(server: FakeWorkflowServer) -> AsyncIterator[AsyncWorkflowClient]:
    async with AsyncWorkflowClient(**server.client_kwargs()) as c:
        yield c


def requests(n: int, graph: str = "g") -> Iterator[StartRequest]:
    for i in range(n):
        yield StartRequest(graph_name=graph, bucket="media", object_key=f"k/{i:06d}", key=str(i))


async def test_lazy_bounded_and_complete(
    server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    server.add_fault(Fault("delay", delay=0.002), times=None)
    produced = 0
    most_ahead = 0
    done = 0

    def source() -> Iterator[StartRequest]:
        nonlocal produced
        for item in requests(600):
            produced += 1
            yield item

    async with client.start_many(source(), concurrency=16) as run:
        async for outcome in run:
            assert outcome.ok and outcome.request is not None
            assert outcome.result is not None and outcome.attempts == 1
            done += 1
            most_ahead = max(most_ahead, produced - done)
    assert done == 600
    assert most_ahead <= 16 + 1  # the input is consumed lazily: memory bounded by concurrency
    assert server.max_in_flight <= 16
    assert Counter(e.object_key for e in server.executions).most_common(1)[0][1] == 1
    assert len(server.executions) == 600
    assert run.stats.succeeded == 600 and run.stats.in_flight == 0


async def test_async_iterables_and_mappings_are_accepted(client: AsyncWorkflowClient) -> None:
    async def source() -> AsyncIterator[dict[str, object]]:
        for i in range(20):
            yield {"graph_name": "g", "bucket": "media", "object_key": f"a/{i}"}

    outcomes = await client.start_all(source(), concurrency=4)
    assert [o.index for o in outcomes] == list(range(20))
    assert all(o.ok for o in outcomes)


async def test_ordered_output_and_invalid_items(
    server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    server.add_fault(Fault("delay", delay=0.2), times=1)  # the first item finishes last
    items: list[object] = list(requests(10))
    items[3] = {"graph_name": "g", "bucket": "BAD BUCKET", "object_key": "x"}
    items[6] = 42
    seen = [o async for o in client.start_many(items, concurrency=5, ordered=True)]
    assert [o.index for o in seen] == list(range(10))
    assert isinstance(seen[3].error, InvalidRequestError) and seen[3].invalid
    assert seen[3].error.field == "bucket" and seen[3].attempts == 0
    assert isinstance(seen[6].error, InvalidRequestError) and seen[6].raw_item == 42
    assert sum(o.ok for o in seen) == 8
    assert len(server.executions) == 8


async def test_stop_on_error_stops_taking_items(
    server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    server.add_fault(Fault("status", status=404, code="WorkflowNotFound"), times=1)
    outcomes = [
        o async for o in client.start_many(requests(1000), concurrency=8, stop_on_error=True)
    ]
    failures = [o for o in outcomes if not o.ok]
    assert len(failures) == 1 and isinstance(failures[0].error, NotFoundError)
    assert len(outcomes) < 30  # it stopped taking new items
    assert len(server.executions) == len(outcomes) - 1  # nothing already sent was cancelled


async def test_rate_limit_is_smooth(client: AsyncWorkflowClient) -> None:
    began = time.monotonic()
    outcomes = await client.start_all(requests(30), rate_limit=100.0, burst=1)
    elapsed = time.monotonic() - began
    assert all(o.ok for o in outcomes)
    # 30 starts at 100/s with no burst take 0.29 s at least; a limiter 50 times too
    # slow would take 15 s: 10 s leaves a starved machine room and still catches it
    assert 0.27 <= elapsed < 10.0


async def test_adaptive_throttling_backs_off_and_recovers(
    server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    server.add_fault(Fault("status", status=503, retry_after="0"), times=6)
    lowest = 64
    snapshots: list[tuple[int, int]] = []

    def progress(stats: BatchStats) -> None:
        nonlocal lowest
        lowest = min(lowest, stats.concurrency)
        snapshots.append((stats.done, stats.concurrency))

    async with client.start_many(requests(400), concurrency=32, on_progress=progress) as run:
        outcomes = [o async for o in run]
    assert all(o.ok for o in outcomes)
    assert run.stats.throttled == 6 and run.stats.retried == 6
    assert lowest <= 16  # halved at least once
    assert snapshots[-1][1] > lowest  # and recovering additively
    assert len(server.executions) == 400


@pytest.mark.slow
async def test_faults_at_scale_never_duplicate(
    server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    """2,000 starts, 10% answered 503 and 1% of connections dropped after the start."""
    server.add_fault(Fault("status", status=503, retry_after="0"), times=None, probability=0.10)
    server.add_fault(Fault("drop"), times=None, probability=0.01)
    fds_before = len(os.listdir("/proc/self/fd"))
    async with AsyncWorkflowClient(**server.client_kwargs(), max_retries=5) as batch_client:
        outcomes = [o async for o in batch_client.start_many(requests(2000), concurrency=64)]
    started = Counter(e.object_key for e in server.executions)
    assert max(started.values()) == 1  # zero duplicate executions
    dropped = [o for o in outcomes if o.ambiguous]
    assert dropped and all(started[o.request.object_key] == 1 for o in dropped)  # type: ignore[union-attr]
    for outcome in outcomes:
        assert outcome.request is not None
        if outcome.ok:
            assert started[outcome.request.object_key] == 1
        elif not outcome.ambiguous:
            assert started[outcome.request.object_key] == 0  # definite failure: never started
    assert sum(o.ok for o in outcomes) + len(dropped) >= 1990
    assert server.in_flight == 0
    await until(lambda: len(os.listdir("/proc/self/fd")) <= fds_before + 2, timeout=60)


async def test_cancelling_the_consumer_cancels_in_flight(
    server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    server.add_fault(Fault("delay", delay=5.0), times=None)
    run = client.start_many(requests(10_000), concurrency=20)

    async def consume() -> None:
        async for _ in run:
            pass

    task = asyncio.create_task(consume())
    await until(lambda: server.in_flight == 20, timeout=60)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert run.stats.in_flight == 0 and run.stats.submitted == 20
    await until(lambda: server.in_flight == 0, timeout=60)  # the server saw them go
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
    server.clear_faults()
    assert (await client.start_workflow("g", "media", "after")).execution_name  # still usable


async def test_bad_arguments(client: AsyncWorkflowClient) -> None:
    with pytest.raises(InvalidRequestError):
        client.start_many(requests(1), concurrency=0)
    with pytest.raises(InvalidRequestError):
        client.start_many(requests(1), rate_limit=0)
    with pytest.raises(InvalidRequestError):
        client.start_many("not a list of requests")  # type: ignore[arg-type]
