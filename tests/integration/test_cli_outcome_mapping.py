"""``start-many`` writes each outcome to the item it belongs to.

The feed numbers the items it hands to ``client.start_many`` (0, 1, 2, ...) and
matches each outcome to its item by :attr:`StartOutcome.index`, the same numbering.
These tests run the CLI's real loop (:func:`~obs_workflow_async.cli.start_many._drive`)
over the real ``start_many`` scheduler and a client whose answers come back in an
order chosen by hypothesis, with rows the manifest refuses (never handed over) and
rows the library refuses (handed over, invalid) interleaved: every started line must
name the object the service started for that line's item.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from obs_workflow_async import AsyncWorkflowClient
from obs_workflow_async.cli.batch_feed import BatchFeed
from obs_workflow_async.cli.results import read_results
from obs_workflow_async.cli.results_log import ResultsLog
from obs_workflow_async.cli.start_many import _drive, _Interrupt
from obs_workflow_async.testing.mock import MockRequest, MockResponse, MockTransport

GRAPH = "g-mapping"
SENDS = "sends"  # a row the service starts
MANIFEST_INVALID = "manifest-invalid"  # one column: refused while reading, never sent
LIBRARY_INVALID = "library-invalid"  # a bucket StartRequest refuses: an invalid outcome

ROW_KINDS = st.sampled_from([SENDS, SENDS, SENDS, MANIFEST_INVALID, LIBRARY_INVALID])


def _row(kind: str, number: int) -> str:
    if kind == MANIFEST_INVALID:
        return f"only-one-column-{number}"
    bucket = "NOT_A_BUCKET" if kind == LIBRARY_INVALID else "media"
    return f"{bucket},v/{number:04d}.mp4"


def _execution_for(obj: str) -> str:
    """The execution name the fake service gives the start of ``obj``."""
    return "exec-" + obj.replace("/", "-").replace(".", "-")


async def _run(
    manifest: Path, results: Path, delays: dict[str, float], concurrency: int, batch: int
) -> BatchFeed:
    async def handler(request: MockRequest) -> MockResponse:
        body = request.json()
        assert isinstance(body, dict)
        obj = str(body["object"])
        await asyncio.sleep(delays[obj])  # answers come back out of order
        return MockResponse(
            200,
            json={
                "execution_name": _execution_for(obj),
                "execution_urn": f"urn:fgs:cn-north-4:p:execution:{GRAPH}:{_execution_for(obj)}",
                "started_at": "2026-01-01T00:00:00Z",
            },
            headers={"Date": "Thu, 01 Jan 2026 00:00:01 GMT"},
        )

    feed = BatchFeed(
        GRAPH,
        read_results(results),
        {"retry_ambiguous": False, "retry_unknown": False},
        ResultsLog.open(results),
        ResultsLog.open(results.with_name(results.name + ".ambiguous"), mode="w"),
        lambda: datetime.now(timezone.utc),
    )
    feed.batch = batch
    feed.begin()
    args = argparse.Namespace(concurrency=concurrency, rate=None, burst=None)
    async with AsyncWorkflowClient(
        server="https://obs.example.com",
        access_key_id="ak",
        secret_access_key="sk",
        transport=MockTransport(handler),
    ) as client:
        await _drive(client, args, feed, manifest, None, _Interrupt())
    return feed


def _lines(results: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in results.read_text().splitlines()]


@settings(max_examples=30, deadline=None)
@given(
    kinds=st.lists(ROW_KINDS, min_size=1, max_size=40),
    delay_steps=st.lists(st.integers(0, 5), min_size=40, max_size=40),
    concurrency=st.integers(1, 8),
    batch=st.integers(1, 6),
)
def test_each_outcome_goes_to_its_item(
    kinds: list[str], delay_steps: list[int], concurrency: int, batch: int
) -> None:
    with tempfile.TemporaryDirectory(prefix="mapping-") as folder:
        _check_mapping(Path(folder), kinds, delay_steps, concurrency, batch)


def _check_mapping(
    folder: Path, kinds: list[str], delay_steps: list[int], concurrency: int, batch: int
) -> None:
    manifest = folder / "m.csv"
    manifest.write_text("".join(_row(kind, n) + "\n" for n, kind in enumerate(kinds)))
    results = folder / "r.jsonl"
    delays = {f"v/{n:04d}.mp4": delay_steps[n] / 1000 for n in range(len(kinds))}

    feed = asyncio.run(_run(manifest, results, delays, concurrency, batch))

    assert feed.pending == {}  # every item handed over got its outcome
    outcomes = [r for r in _lines(results) if "index" in r]
    by_index = {int(str(r["index"])): r for r in outcomes}
    assert len(by_index) == len(outcomes) == len(kinds)  # one outcome line per item
    for number, kind in enumerate(kinds):
        record = by_index[number]
        if kind == MANIFEST_INVALID:
            assert record["status"] == "invalid" and record["line"] == number + 1
            continue
        assert record["object"] == f"v/{number:04d}.mp4"
        if kind == LIBRARY_INVALID:
            assert record["status"] == "invalid"
            assert record["bucket"] == "NOT_A_BUCKET"
        else:
            assert record["status"] == "started"
            assert record["bucket"] == "media"
            assert record["execution_name"] == _execution_for(str(record["object"]))
    state = read_results(results)
    assert state.started_count == kinds.count(SENDS)
    assert state.ambiguous == {}


def test_outcomes_in_reverse_order_still_match(tmp_path: Path) -> None:
    """The last item answered first, the first last (one batch, all in flight)."""
    count = 12
    manifest = tmp_path / "m.csv"
    manifest.write_text("".join(f"media,v/{n:04d}.mp4\n" for n in range(count)))
    results = tmp_path / "r.jsonl"
    delays = {f"v/{n:04d}.mp4": (count - n) / 200 for n in range(count)}

    asyncio.run(_run(manifest, results, delays, concurrency=count, batch=count))

    started = [r for r in _lines(results) if r.get("status") == "started"]
    assert [r["index"] for r in started] == list(range(count))[::-1]  # answered in reverse
    for record in started:
        assert record["object"] == f"v/{int(str(record['index'])):04d}.mp4"
        assert record["execution_name"] == _execution_for(str(record["object"]))
