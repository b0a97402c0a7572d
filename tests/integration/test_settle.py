"""Settling ambiguous starts against the fake service, with server-side counts."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from obs_workflow_async import AsyncWorkflowClient, StartOutcome
from obs_workflow_async._batch.settle import SettleItem
from obs_workflow_async.cli.settle_file import (
    pending_items,
    read_last_records,
    resume_action,
    settle_results_file,
    timestamp,
)
from obs_workflow_async.testing import FakeWorkflowServer, Fault
from obs_workflow_async.testing.state import now_iso


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def _client(server: FakeWorkflowServer) -> AsyncWorkflowClient:
    client = AsyncWorkflowClient(**server.client_kwargs(), max_retries=0)
    await client.__aenter__()
    return client


@pytest.fixture
async def server() -> AsyncIterator[FakeWorkflowServer]:
    async with FakeWorkflowServer() as fake:
        yield fake


@pytest.fixture
async def client(server: FakeWorkflowServer) -> AsyncIterator[AsyncWorkflowClient]:
    c = await _client(server)
    yield c
    await c.aclose()


def _started_per_object(server: FakeWorkflowServer) -> dict[str, int]:
    counts: dict[str, int] = {}
    for execution in server.executions:
        counts[execution.object_key] = counts.get(execution.object_key, 0) + 1
    return counts


async def test_settle_outcomes_of_a_batch_gives_each_verdict(
    server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    server.seed_executions("g", 2500, started_at=_now() - timedelta(hours=2))
    # 3 starts done but their answers lost; 3 refused with a 500 before anything started
    server.add_fault(Fault("drop"), operation="start", times=3)
    server.add_fault(Fault("status", status=500), operation="start", times=3)
    since = _now()
    outcomes: list[StartOutcome] = await client.start_all(
        [{"graph_name": "g", "bucket": "media", "object_key": f"v/{i}"} for i in range(20)],
        concurrency=1,
    )
    assert sum(o.ambiguous for o in outcomes) == 6
    report = await client.settle_outcomes(outcomes, since=since, settle_delay=0)
    counts = report.counts()
    assert counts == {"started": 3, "not_started": 3, "unknown": 0, "duplicate": 0}
    started = _started_per_object(server)
    for result in report.results:
        outcome = result.item.key
        assert isinstance(outcome, StartOutcome)
        key = result.item.object_key
        if result.verdict == "started":
            assert started[key] == 1
            (name,) = result.execution_names
            assert any(e.execution_name == name and e.object_key == key for e in server.executions)
        else:
            assert key not in started
    # one sweep of the whole listing in pages of 1000, details only for the window
    assert report.list_requests == server.calls["list_executions"] == 3
    assert report.detail_requests == server.calls["get_execution"] == 17  # 14 ok + 3 dropped


async def test_duplicates_are_reported_and_old_starts_are_outside_the_window(
    server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    old = await client.start_workflow("g", "media", "dup")
    server.executions[-1].started_at = now_iso(_now() - timedelta(hours=1))
    since = _now()
    first = await client.start_workflow("g", "media", "dup")
    second = await client.start_workflow("g", "media", "dup")
    report = await client.settle(
        [SettleItem("g", "media", "dup", since, _now()), SettleItem("g", "media", "x", since)],
        settle_delay=0,
    )
    dup, other = report.results
    assert dup.verdict == "started" and dup.duplicate
    assert set(dup.execution_names) == {first.execution_name, second.execution_name}
    assert old.execution_name not in dup.execution_names
    assert other.verdict == "not_started"
    assert server.calls["list_executions"] == 1
    assert server.calls["get_execution"] == 2  # each execution in the window, once


async def test_find_executions_by_object(
    server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    since = _now()
    mine = await client.start_workflow("g", "media", "a.mp4", {"preset": "hd"})
    await client.start_workflow("g", "media", "b.mp4")
    found = await client.find_executions("g", "media", "a.mp4", since=since)
    assert [e.execution_name for e in found.executions] == [mine.execution_name]
    assert found.complete and found.pages == 1 and found.listed == 2
    assert found.undecided == ()
    before = await client.find_executions(
        "g", "media", "a.mp4", since=since - timedelta(hours=2), until=since - timedelta(hours=1)
    )
    assert before.executions == ()


@pytest.mark.parametrize("mode", ["without_object", "none"])
async def test_an_input_without_the_object_is_unknown_never_not_started(mode: str) -> None:
    async with FakeWorkflowServer(input_mode=mode) as server:  # type: ignore[arg-type]
        client = await _client(server)
        try:
            since = _now()
            await client.start_workflow("g", "media", "someone-else")
            report = await client.settle([SettleItem("g", "media", "mine", since)], settle_delay=0)
            (result,) = report.results
            assert result.verdict == "unknown" and "bucket/object" in result.reason
            found = await client.find_executions("g", "media", "mine", since=since)
            assert found.executions == () and len(found.undecided) == 1
        finally:
            await client.aclose()


async def test_input_as_a_json_object_matches_too() -> None:
    async with FakeWorkflowServer(input_mode="object") as server:
        client = await _client(server)
        try:
            since = _now()
            await client.start_workflow("g", "media", "k")
            report = await client.settle([SettleItem("g", "media", "k", since)], settle_delay=0)
            assert report.results[0].verdict == "started"
        finally:
            await client.aclose()


async def test_a_lagging_listing_is_waited_for_or_left_unknown() -> None:
    async with FakeWorkflowServer(listing_lag=0.3) as server:
        client = await _client(server)
        try:
            server.add_fault(Fault("drop"), operation="start")
            since = _now()
            outcome = (
                await client.start_all([{"graph_name": "g", "bucket": "media", "object_key": "k"}])
            )[0]
            assert outcome.ambiguous and len(server.executions) == 1
            until = _now()
            # without waiting, a listing that began too soon proves nothing
            early = await client.settle_outcomes(
                [outcome], since=since, until=until, settle_delay=0.5, wait=False
            )
            assert early.results[0].verdict == "unknown"
            assert "settle_delay" in early.results[0].reason
            # a settle delay shorter than the lag would wrongly say not_started; the
            # right one waits, then finds it
            settled = await client.settle_outcomes(
                [outcome], since=since, until=until, settle_delay=0.5
            )
            assert settled.waited > 0
            assert settled.results[0].verdict == "started"
        finally:
            await client.aclose()


async def test_a_window_that_cannot_be_fully_listed_stays_unknown(
    server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    since = _now()
    await client.start_workflow("g", "media", "found")
    server.seed_executions("g", 1500, started_at=since - timedelta(hours=1))
    items = [SettleItem("g", "media", "found", since), SettleItem("g", "media", "absent", since)]
    cut = await client.settle(items, settle_delay=0, max_pages=1)
    verdicts = {r.item.object_key: r.verdict for r in cut.results}
    # whichever page "found" is on, "absent" cannot be cleared by one page of two
    assert verdicts["absent"] == "unknown"
    assert cut.sweeps["g"].pages == 1 and not cut.sweeps["g"].complete
    server.add_fault(Fault("status", status=500), operation="list_executions", times=None)
    failed = await client.settle(items, settle_delay=0)
    assert [r.verdict for r in failed.results] == ["unknown", "unknown"]
    assert "InternalError" in failed.results[1].reason or "500" in failed.results[1].reason
    server.clear_faults()
    full = await client.settle(items, settle_delay=0)
    assert [r.verdict for r in full.results] == ["started", "not_started"]


async def test_details_that_fail_make_their_windows_unknown(
    server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    since = _now()
    await client.start_workflow("g", "media", "other")
    server.add_fault(Fault("status", status=500), operation="get_execution", times=None)
    report = await client.settle([SettleItem("g", "media", "mine", since)], settle_delay=0)
    assert report.results[0].verdict == "unknown"


async def test_concurrency_is_bounded(
    server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    since = _now()
    for i in range(40):
        await client.start_workflow("g", "media", f"k{i}")
    server.max_in_flight = 0
    report = await client.settle(
        [SettleItem("g", "media", "absent", since)], settle_delay=0, concurrency=3
    )
    assert report.results[0].verdict == "not_started"
    assert server.calls["get_execution"] == 40
    assert server.max_in_flight <= 3


async def test_settle_a_results_file_appends_verdicts(
    tmp_path: Path, server: FakeWorkflowServer, client: AsyncWorkflowClient
) -> None:
    sent = timestamp()
    path = tmp_path / "run.results.jsonl"
    lines = [
        {"index": i, "bucket": "media", "object": f"k{i}", "status": "sending", "sent_at": sent}
        for i in range(4)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    await client.start_workflow("g", "media", "k0")
    await client.start_workflow("g", "media", "k2")
    report, written = await settle_results_file(client, path, "g", settle_delay=0)
    assert [line["verdict"] for line in written] == [
        "started",
        "not_started",
        "started",
        "not_started",
    ]
    assert report.list_requests == 1
    last = read_last_records(path)
    actions = [resume_action(last[i], retry_ambiguous=True, retry_unknown=False) for i in range(4)]
    assert actions == ["skip_started", "send", "skip_started", "send"]
    assert pending_items(path) == []
