"""Settling ambiguous v3 starts through the shared SettleCore (verdicts from the v3 fake)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from obs_workflow_async._batch.settle import SettleItem
from obs_workflow_async.cli.settle_file import settle_results_file
from obs_workflow_async.dwr import AsyncDwrClient
from obs_workflow_async.testing import FakeDwrServer, Fault


async def test_settle_outcomes_of_a_v3_batch(dwr_fake_server: FakeDwrServer) -> None:
    since = datetime.now(timezone.utc)
    # a start done then dropped (it did start), and a 500 that did nothing
    dwr_fake_server.add_fault(Fault("drop"), graph="g", operation="start")
    items = [{"graph_name": "g", "bucket": "bkt", "object_key": f"in/{n}"} for n in range(3)]
    items.append({"graph_name": "g2", "bucket": "bkt", "object_key": "failed"})
    dwr_fake_server.add_fault(Fault("status", 500), graph="g2", operation="start", times=None)
    dwr_fake_server.seed_executions("g", 250, started_at=since - timedelta(hours=1))
    async with AsyncDwrClient(**dwr_fake_server.dwr_client_kwargs()) as client:
        await client.create_workflow("g2", {})
        outcomes = await client.start_all(items, concurrency=1, max_retries=0)
        ambiguous = [o for o in outcomes if o.ambiguous]
        assert len(ambiguous) == 2
        report = await client.settle_outcomes(outcomes, since=since, settle_delay=0)
    verdicts = {r.item.object_key: r.verdict for r in report.results}
    assert verdicts == {"in/0": "started", "failed": "not_started"}
    started = next(r for r in report.results if r.verdict == "started")
    assert started.execution_names == tuple(
        e.execution_name for e in dwr_fake_server.executions if e.object_key == "in/0"
    )
    assert report.sweeps["g"].complete and report.list_requests >= 2


async def test_find_executions_across_windows(dwr_fake_server: FakeDwrServer) -> None:
    now = datetime.now(timezone.utc)
    async with AsyncDwrClient(**dwr_fake_server.dwr_client_kwargs()) as client:
        await client.start_workflow("g", "bkt", "obj")
        await client.start_workflow("g", "bkt", "obj")
        dwr_fake_server.seed_executions("g", 3, started_at=now - timedelta(days=4))
        lookup = await client.find_executions("g", "bkt", "obj", since=now - timedelta(days=5))
    assert len(lookup.executions) == 2 and lookup.complete and lookup.pages >= 2
    assert lookup.undecided == ()


async def test_settle_results_file_with_the_v3_client(
    dwr_fake_server: FakeDwrServer, tmp_path: Path
) -> None:
    path = tmp_path / "results.jsonl"
    sent = datetime.now(timezone.utc) - timedelta(seconds=1)
    async with AsyncDwrClient(**dwr_fake_server.dwr_client_kwargs()) as client:
        started = await client.start_workflow("g", "bkt", "a")
        lines = [
            {
                "index": 0,
                "bucket": "bkt",
                "object": "a",
                "status": "sending",
                "sent_at": sent.isoformat(),
            },
            {
                "index": 0,
                "bucket": "bkt",
                "object": "a",
                "status": "ambiguous",
                "at": datetime.now(timezone.utc).isoformat(),
            },
        ]
        path.write_text("".join(json.dumps(line) + "\n" for line in lines))
        report, written = await settle_results_file(client, path, "g", settle_delay=0)
    assert [line["verdict"] for line in written] == ["started"]
    assert written[0]["execution_names"] == [started.execution_name]
    assert report.counts()["started"] == 1


async def test_settle_item_api(dwr_fake_server: FakeDwrServer) -> None:
    since = datetime.now(timezone.utc)
    async with AsyncDwrClient(**dwr_fake_server.dwr_client_kwargs()) as client:
        missing = await client.settle([SettleItem("g", "bkt", "never", since)], settle_delay=0)
        await client.create_workflow("g", {})
        report = await client.settle([SettleItem("g", "bkt", "never", since)], settle_delay=0)
    # a listing that fails (no such workflow) proves nothing; one read to the end does
    assert missing.results[0].verdict == "unknown"
    assert report.results[0].verdict == "not_started"
