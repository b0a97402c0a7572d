"""``start_many``/``start_all`` and ``settle`` on both APIs: the same outcomes, the same
requests counted on the fake."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from obs_workflow_async import SettleItem, StartRequest, errors
from obs_workflow_async.testing import Fault

from .differences import ApiProfile


async def test_start_many_ok(profile: ApiProfile) -> None:
    items = [
        StartRequest(graph_name="g", bucket="bkt", object_key=f"in/{n}", key=str(n))
        for n in range(6)
    ]
    async with (
        profile.client() as client,
        client.start_many(items, concurrency=3, ordered=True) as run,
    ):
        outcomes = [o async for o in run]
    assert [o.index for o in outcomes] == list(range(6))
    assert all(o.ok and o.error is None for o in outcomes)
    assert len({o.result.execution_name for o in outcomes if o.result}) == 6
    assert profile.server.attempts["g"] == 6
    assert sorted(e.object_key for e in profile.server.executions) == sorted(
        f"in/{n}" for n in range(6)
    )


async def test_start_many_invalid_items_are_outcomes(profile: ApiProfile) -> None:
    items: list[object] = [
        {"graph_name": "g", "bucket": "bkt", "object_key": "a"},
        {"graph_name": "g", "bucket": "Bad_Bucket!", "object_key": "b"},
        {"graph_name": "g", "bucket": "bkt"},  # no object_key
        {"graph_name": "g", "bucket": "bkt", "object_key": "d"},
    ]
    async with profile.client() as client:
        outcomes = await client.start_all(items)  # type: ignore[arg-type]
    assert [o.ok for o in outcomes] == [True, False, False, True]
    for bad in outcomes[1:3]:
        assert isinstance(bad.error, errors.InvalidRequestError)
        assert bad.request is None and bad.raw_item is not None and bad.attempts == 0
    assert profile.server.attempts["g"] == 2


async def test_start_many_stop_on_error(profile: ApiProfile) -> None:
    profile.server.add_fault(Fault("status", 400), operation="start", times=1)
    items = [StartRequest(graph_name="g", bucket="bkt", object_key=f"in/{n}") for n in range(5)]
    async with profile.client() as client:
        outcomes = await client.start_all(items, concurrency=1, stop_on_error=True)
    assert len(outcomes) == 1
    assert isinstance(outcomes[0].error, errors.BadRequestError)
    assert not outcomes[0].error.may_have_started
    assert profile.server.calls["start"] == 1 and profile.server.executions == []


async def test_start_many_retries_throttling_once_per_attempt(profile: ApiProfile) -> None:
    profile.server.add_fault(Fault("status", 429, retry_after="0"), operation="start", times=2)
    items = [StartRequest(graph_name="g", bucket="bkt", object_key=f"in/{n}") for n in range(3)]
    async with profile.client() as client:
        outcomes = await client.start_all(items, concurrency=1)
    assert all(o.ok for o in outcomes)
    assert sum(o.attempts for o in outcomes) == 5
    assert profile.server.calls["start"] == 5 and len(profile.server.executions) == 3


async def test_settle_verdicts(profile: ApiProfile) -> None:
    """``started`` (listed with its object), ``not_started`` (the window read to the end,
    nothing), ``unknown`` (the listing failed: no such workflow)."""
    since = datetime.now(timezone.utc) - timedelta(seconds=5)
    profile.seed_workflows(["quiet"])
    async with profile.client() as client:
        started = await client.start_workflow("g", "bkt", "a.mp4")
        until = datetime.now(timezone.utc)
        report = await client.settle(
            [
                SettleItem("g", "bkt", "a.mp4", since, until, key="started"),
                SettleItem("quiet", "bkt", "b.mp4", since, until, key="not"),
                SettleItem("missing", "bkt", "c.mp4", since, until, key="unknown"),
            ],
            settle_delay=0,
        )
    verdicts = {r.item.key: r.verdict for r in report.results}
    assert verdicts == {"started": "started", "not": "not_started", "unknown": "unknown"}
    assert report.results[0].execution_names == (started.execution_name,)
    assert report.counts() == {"started": 1, "not_started": 1, "unknown": 1, "duplicate": 0}
    assert profile.server.attempts["g"] == 1  # settling starts nothing


async def test_settle_a_duplicate_start(profile: ApiProfile) -> None:
    since = datetime.now(timezone.utc) - timedelta(seconds=5)
    async with profile.client() as client:
        first = await client.start_workflow("g", "bkt", "a.mp4")
        second = await client.start_workflow("g", "bkt", "a.mp4")
        until = datetime.now(timezone.utc)
        report = await client.settle(
            [SettleItem("g", "bkt", "a.mp4", since, until)], settle_delay=0
        )
    result = report.results[0]
    assert result.verdict == "started" and result.duplicate
    assert set(result.execution_names) == {first.execution_name, second.execution_name}


async def test_settle_refuses_naive_times_before_sending(profile: ApiProfile) -> None:
    async with profile.client() as client:
        try:
            await client.settle([SettleItem("g", "bkt", "a", datetime.now())])
        except errors.InvalidRequestError as exc:
            assert exc.errors[0].field == "items[0]"
        else:
            raise AssertionError("a naive datetime was accepted")
    assert profile.server.calls["list_executions"] == 0
