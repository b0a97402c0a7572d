#!/usr/bin/env python3
"""Settle benchmark: 1,000 ambiguous items among 100,000 executions of one graph.

    .venv/bin/python benchmarks/bench_settle.py
    .venv/bin/python benchmarks/bench_settle.py --executions 100000 --items 1000 --spread 0

The fake server runs in a background thread (its own loop); the client settles from
the main loop. Half of the items did start (the fake holds an execution for them),
half did not. Two scenarios:

- ``history``: the other executions are old (an hour before the items' windows):
  one sweep of the listing, details only for the executions inside the windows;
- ``one batch`` (``--spread S`` > 0): every execution started during the last ``S``
  seconds, as in one big batch whose 1,000 items each have a 1-second window: the
  windows then cover most executions and their details are all fetched (the worst
  case: the listing carries no bucket or object).

Also: 5,000 executions listed with ``iter_executions`` at the old default page
size (10) and at the new one (1000).

Prints requests made (server-side counts) and seconds taken.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from obs_workflow_async import AsyncWorkflowClient
from obs_workflow_async._batch.settle import SettleItem
from obs_workflow_async.testing import FakeWorkflowServer
from obs_workflow_async.testing.state import now_iso

GRAPH = "bench"


def _seed(server: FakeWorkflowServer, count: int, start: datetime, spread: float) -> None:
    chunks = 100
    for chunk in range(chunks):
        at = start + timedelta(seconds=spread * chunk / chunks)
        size = count * (chunk + 1) // chunks - count * chunk // chunks
        server.seed_executions(GRAPH, size, started_at=at)


async def _settle(server: FakeWorkflowServer, executions: int, items: int, spread: float) -> None:
    now = datetime.now(timezone.utc)
    rng = random.Random(7)
    started = items // 2
    if spread > 0:
        base = now - timedelta(seconds=spread)
        _seed(server, executions - started, base, spread)
        windows = [base + timedelta(seconds=rng.uniform(0, spread - 1)) for _ in range(items)]
    else:
        _seed(server, executions - started, now - timedelta(hours=1), 0)
        windows = [now - timedelta(seconds=1)] * items
    settle_items = []
    for i in range(items):
        since = windows[i]
        if i < started:  # it did start, inside its window
            execution = server.store.start(GRAPH, "media", f"obj/{i}", None, "bench")
            execution.started_at = now_iso(since + timedelta(milliseconds=500))
        settle_items.append(
            SettleItem(GRAPH, "media", f"obj/{i}", since, since + timedelta(1 / 86400))
        )
    assert len(server.executions) == executions
    server.calls.clear()
    async with AsyncWorkflowClient(**server.client_kwargs()) as client:
        t0 = time.perf_counter()
        report = await client.settle(settle_items, settle_delay=0, concurrency=32)
        seconds = time.perf_counter() - t0
    counts = report.counts()
    wrong = [
        r
        for r in report.results
        if r.verdict
        != ("started" if int(r.item.object_key.split("/")[1]) < started else "not_started")
    ]
    scenario = "history" if spread <= 0 else f"one batch over {spread:g}s"
    print(
        f"settle [{scenario}]: {items} items among {executions} executions: "
        f"{server.calls['list_executions']} list + {server.calls['get_execution']} detail "
        f"requests, {seconds:.2f} s; verdicts {counts}; wrong {len(wrong)}"
    )


async def _page_sizes(server: FakeWorkflowServer) -> None:
    server.seed_executions("paged", 5000)
    async with AsyncWorkflowClient(**server.client_kwargs()) as client:
        for label, size in (("page_size=10 (old default)", 10), ("default (1000)", None)):
            server.calls.clear()
            t0 = time.perf_counter()
            n = len([e async for e in client.iter_executions("paged", page_size=size)])
            seconds = time.perf_counter() - t0
            print(
                f"list 5,000 executions, {label}: {n} items, "
                f"{server.calls['list_executions']} requests, {seconds:.2f} s"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument(
        "--spread",
        type=float,
        action="append",
        help="seconds the executions span (0: old history); repeatable (default: 0 and 100)",
    )
    args = parser.parse_args()
    for spread in args.spread or [0.0, 100.0]:
        with FakeWorkflowServer(record_requests=False).run_in_thread() as server:
            asyncio.run(_settle(server, args.executions, args.items, spread))
    with FakeWorkflowServer(record_requests=False).run_in_thread() as server:
        asyncio.run(_page_sizes(server))


if __name__ == "__main__":
    main()
