"""``client.settle`` with ``SettleItem.offsets``: a caller that records, while its run
goes, the offset each answer's ``Date`` shows (``StartOutcome.answer_date``) settles
correctly after this machine's clock was stepped; without them the same items come
out ``not_started``, the wrong answer the offsets exist to prevent. Counted on the
fake's own executions."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from obs_workflow_async import AsyncWorkflowClient, Runtime, SettleItem, StartOutcome
from obs_workflow_async.testing import FakeWorkflowServer, Fault


class Clock:
    def __init__(self) -> None:
        self.shift = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc) + self.shift


async def test_recorded_offsets_survive_a_clock_step() -> None:
    clock = Clock()
    async with FakeWorkflowServer(max_skew_seconds=3600, record_requests=False) as server:
        server.add_fault(Fault("drop"), operation="start", times=None, probability=0.3)
        server.add_fault(
            Fault("status", status=500), operation="start", times=None, probability=0.2
        )
        async with AsyncWorkflowClient(
            **server.client_kwargs(), runtime=Runtime(wall_clock=clock), max_retries=0
        ) as client:
            clock.shift = timedelta(seconds=-90)  # the run's clock is 90 s behind
            since = clock()
            arrived: list[tuple[StartOutcome, datetime]] = []
            requests = [
                {"graph_name": "g", "bucket": "media", "object_key": f"v/{i}"} for i in range(30)
            ]
            async with client.start_many(requests, concurrency=4) as run:
                async for outcome in run:
                    arrived.append((outcome, clock()))
            offsets = [o.answer_date - at for o, at in arrived if o.answer_date is not None]
            assert offsets and all(
                abs(x - timedelta(seconds=90)) < timedelta(seconds=10) for x in offsets
            )
            span = (min(offsets), max(offsets))
            ambiguous: list[tuple[str, datetime]] = []
            for outcome, at in arrived:
                if outcome.ambiguous and outcome.request is not None:
                    ambiguous.append((outcome.request.object_key, at))
            assert ambiguous
            server.clear_faults()
            started = Counter(e.object_key for e in server.executions)

            def items(recorded: tuple[timedelta, ...]) -> list[SettleItem]:
                return [
                    SettleItem("g", "media", key, since, at, offsets=recorded)
                    for key, at in ambiguous
                ]

            clock.shift = timedelta(0)  # NTP puts the clock right before the settle
            report = await client.settle(items(span), settle_delay=0)
            for result in report.results:
                obj = result.item.object_key
                if started[obj]:
                    assert result.verdict == "started", result
                else:
                    assert result.verdict != "started", result
            bare = await client.settle(items(()), settle_delay=0)
            wrong = [
                r for r in bare.results if r.verdict == "not_started" and started[r.item.object_key]
            ]
            assert wrong  # what the offsets prevent
