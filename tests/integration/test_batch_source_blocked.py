"""``start_many`` with an async input that blocks: finished outcomes are still yielded
while it waits, ``run.stop()`` ends the run, and every started item is accounted for
(yielded or in ``run.unreported``), counted against the fake server's own starts.
Events order the steps; nothing depends on how long anything takes. Issue 17, point 5.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from obs_workflow_async import AsyncWorkflowClient, StartOutcome
from obs_workflow_async.errors import StartCancelledError
from obs_workflow_async.testing import FakeWorkflowServer


def _item(key: str) -> dict[str, object]:
    return {"graph_name": "g", "bucket": "bkt", "object_key": key}


class BlockingSource:
    """Gives ``first`` items, then blocks until ``resume`` is set, then gives ``then``."""

    def __init__(self, first: int, then: int = 0) -> None:
        self.first = first
        self.then = then
        self.blocked = asyncio.Event()
        self.resume = asyncio.Event()
        self.cancelled = False

    async def items(self) -> AsyncIterator[dict[str, object]]:
        for n in range(self.first):
            yield _item(f"a{n}")
        self.blocked.set()
        try:
            await self.resume.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        for n in range(self.then):
            yield _item(f"b{n}")


def _started_keys(outcomes: list[StartOutcome]) -> set[str]:
    return {o.request.object_key for o in outcomes if o.request is not None and o.ok}


async def test_outcomes_are_yielded_while_the_source_waits(
    obs_fake_server: FakeWorkflowServer,
) -> None:
    source = BlockingSource(first=3, then=2)
    yielded: list[StartOutcome] = []
    async with (
        AsyncWorkflowClient(**obs_fake_server.client_kwargs()) as client,
        client.start_many(source.items(), concurrency=8) as run,
    ):
        async for outcome in run:
            yielded.append(outcome)
            if len(yielded) == 3:
                # the three were yielded while the source is still blocked
                assert source.blocked.is_set() and not source.resume.is_set()
                source.resume.set()
    assert len(yielded) == 5 and all(o.ok for o in yielded)
    assert _started_keys(yielded) == {"a0", "a1", "a2", "b0", "b1"}
    assert run.unreported == []
    assert obs_fake_server.attempts["g"] == 5


async def test_stop_ends_a_run_whose_source_is_blocked(
    obs_fake_server: FakeWorkflowServer,
) -> None:
    source = BlockingSource(first=4, then=1)
    yielded: list[StartOutcome] = []
    async with AsyncWorkflowClient(**obs_fake_server.client_kwargs()) as client:
        run = client.start_many(source.items(), concurrency=8)
        async with run:
            async for outcome in run:
                yielded.append(outcome)
                if source.blocked.is_set():
                    run.stop()  # the source never resumes: the loop must still end
    assert source.cancelled and not source.resume.is_set()
    # every started item is accounted for: yielded or unreported, and nothing twice
    accounted = yielded + run.unreported
    assert sorted(o.index for o in accounted) == sorted({o.index for o in accounted})
    assert _started_keys(accounted) == {"a0", "a1", "a2", "a3"}
    assert obs_fake_server.attempts["g"] == 4
    assert run.stats.submitted == 4 and run.stats.succeeded == 4


async def test_stop_from_another_task_while_nothing_is_in_flight(
    obs_fake_server: FakeWorkflowServer,
) -> None:
    source = BlockingSource(first=2)
    yielded: list[StartOutcome] = []
    async with AsyncWorkflowClient(**obs_fake_server.client_kwargs()) as client:
        run = client.start_many(source.items(), concurrency=4)

        async def consume() -> None:
            async with run:
                async for outcome in run:
                    yielded.append(outcome)

        consumer = asyncio.create_task(consume())
        await source.blocked.wait()
        while len(yielded) < 2:  # both outcomes arrive although the source is blocked
            await asyncio.sleep(0)  # (yield to the loop; no time threshold)
            assert not consumer.done()
        run.stop()
        await consumer  # returns: stop() woke the run
    assert source.cancelled
    assert len(yielded) == 2 and all(o.ok for o in yielded)
    assert obs_fake_server.attempts["g"] == 2


async def test_leaving_early_with_a_blocked_source_accounts_for_every_item(
    obs_fake_server: FakeWorkflowServer,
) -> None:
    source = BlockingSource(first=3)
    yielded: list[StartOutcome] = []
    async with (
        AsyncWorkflowClient(**obs_fake_server.client_kwargs()) as client,
        client.start_many(source.items(), concurrency=8) as run,
    ):
        async for outcome in run:
            yielded.append(outcome)
            break
    assert source.cancelled or not source.blocked.is_set()
    accounted = yielded + run.unreported
    assert sorted(o.index for o in accounted) == [0, 1, 2]
    sent = [o for o in accounted if not isinstance(o.error, StartCancelledError)]
    cancelled = [o for o in accounted if isinstance(o.error, StartCancelledError)]
    # what the server started is exactly what was reported started, or may have been
    assert (
        len(_started_keys(sent))
        <= obs_fake_server.attempts["g"]
        <= len(sent) + len([o for o in cancelled if o.ambiguous])
    )


async def test_an_item_taken_as_the_run_stops_is_reported_not_sent(
    obs_fake_server: FakeWorkflowServer,
) -> None:
    """stop() arrives while the source is handing over its next item: that item is in
    ``unreported`` as not sent (the source will not give it again), never lost."""
    gate = asyncio.Event()
    handed = asyncio.Event()
    yielded: list[StartOutcome] = []

    async def items() -> AsyncIterator[dict[str, object]]:
        yield _item("first")
        await gate.wait()
        handed.set()
        yield _item("second")
        await asyncio.Event().wait()

    async with AsyncWorkflowClient(**obs_fake_server.client_kwargs()) as client:
        run = client.start_many(items(), concurrency=4)
        async with run:
            async for outcome in run:
                yielded.append(outcome)
                run.stop()
                gate.set()
                await handed.wait()  # the source gives "second" as the run stops
    assert [o.request.object_key for o in yielded if o.request is not None] == ["first"]
    assert [o.request.object_key for o in run.unreported if o.request is not None] == ["second"]
    assert obs_fake_server.attempts["g"] == 1
    for outcome in run.unreported:
        assert isinstance(outcome.error, StartCancelledError) and not outcome.ambiguous


async def test_the_input_is_read_ahead_no_further_than_the_free_slots() -> None:
    """Memory stays bounded by the concurrency: with every slot busy, the reader takes
    nothing more from the input."""
    from obs_workflow_async.testing.mock import MockRequest, MockResponse, MockTransport

    release = asyncio.Event()
    four_sent = asyncio.Event()
    sent = 0
    taken = 0

    async def handler(_: MockRequest) -> MockResponse:
        nonlocal sent
        sent += 1
        if sent == 4:
            four_sent.set()
        await release.wait()
        return MockResponse(200, json={"execution_urn": "urn:x", "execution_name": f"e{sent}"})

    async def endless() -> AsyncIterator[dict[str, object]]:
        nonlocal taken
        while True:
            taken += 1
            yield _item(f"k{taken}")

    client = AsyncWorkflowClient(
        server="https://obs.example.com",
        access_key_id="ak",
        secret_access_key="sk",
        transport=MockTransport(handler),
    )
    async with client, client.start_many(endless(), concurrency=4) as run:
        outcomes = aiter(run)
        first = asyncio.ensure_future(anext(outcomes))
        await four_sent.wait()
        for _ in range(50):  # give an over-eager reader every chance to read on
            await asyncio.sleep(0)
        assert taken == 4 and sent == 4
        run.stop()
        release.set()
        assert (await first).ok
        rest = [outcome async for outcome in outcomes]
    assert len(rest) == 3 and all(o.ok for o in rest)
    assert sent == 4 and taken in (4, 5)
    assert [o.index for o in run.unreported] == list(range(4, taken))


async def test_an_exception_of_the_input_ends_the_run_after_what_it_gave(
    obs_fake_server: FakeWorkflowServer,
) -> None:
    async def failing() -> AsyncIterator[dict[str, object]]:
        yield _item("x0")
        yield _item("x1")
        raise LookupError("the input failed")

    yielded: list[StartOutcome] = []
    async with AsyncWorkflowClient(**obs_fake_server.client_kwargs()) as client:
        run = client.start_many(failing(), concurrency=8)
        with pytest.raises(LookupError, match="the input failed"):
            async with run:
                async for outcome in run:
                    yielded.append(outcome)
    accounted = yielded + run.unreported
    assert sorted(o.index for o in accounted) == [0, 1]
    # the run ended at once: what was in flight was cancelled, and each item says
    # whether it may have been sent; the server never started more than that
    assert all(o.ok or isinstance(o.error, StartCancelledError) for o in accounted)
    assert obs_fake_server.attempts["g"] <= sum(o.ok or o.ambiguous for o in accounted)
