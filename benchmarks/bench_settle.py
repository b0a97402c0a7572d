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

Prints requests made (server-side counts) and seconds taken, as the median (min-max)
over the rounds (``--rounds``, scenarios interleaved round by round in alternating
order, each against a fresh server), with the machine's load average at the start and
the end, its CPU count and the Python version.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import Conditions, round_order, spread

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


async def _settle(
    server: FakeWorkflowServer, executions: int, items: int, spread_s: float
) -> dict[str, Any]:
    now = datetime.now(timezone.utc)
    rng = random.Random(7)
    started = items // 2
    if spread_s > 0:
        base = now - timedelta(seconds=spread_s)
        _seed(server, executions - started, base, spread_s)
        windows = [base + timedelta(seconds=rng.uniform(0, spread_s - 1)) for _ in range(items)]
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
    wrong = [
        r
        for r in report.results
        if r.verdict
        != ("started" if int(r.item.object_key.split("/")[1]) < started else "not_started")
    ]
    return {
        "list": server.calls["list_executions"],
        "detail": server.calls["get_execution"],
        "seconds": seconds,
        "verdicts": str(report.counts()),
        "wrong": len(wrong),
    }


PAGE_SIZES = (("page_size=10 (old default)", 10), ("default (1000)", None))


async def _page_sizes(server: FakeWorkflowServer) -> dict[str, dict[str, Any]]:
    server.seed_executions("paged", 5000)
    measured: dict[str, dict[str, Any]] = {}
    async with AsyncWorkflowClient(**server.client_kwargs()) as client:
        for label, size in PAGE_SIZES:
            server.calls.clear()
            t0 = time.perf_counter()
            n = len([e async for e in client.iter_executions("paged", page_size=size)])
            seconds = time.perf_counter() - t0
            measured[label] = {
                "items": n,
                "requests": server.calls["list_executions"],
                "seconds": seconds,
            }
    return measured


def _scenario(spread_s: float) -> str:
    return "history" if spread_s <= 0 else f"one batch over {spread_s:g}s"


def _run_round(
    round_number: int, spreads: list[float], executions: int, items: int
) -> tuple[dict[float, dict[str, Any]], dict[str, dict[str, Any]]]:
    """One round: every settle scenario and the page-size listing, each against a fresh
    server, in forward order in even rounds and reversed in odd ones."""
    settled: dict[float, dict[str, Any]] = {}
    listed: dict[str, dict[str, Any]] = {}
    for job in round_order([*spreads, None], round_number):
        with FakeWorkflowServer(record_requests=False).run_in_thread() as server:
            if job is None:
                listed = asyncio.run(_page_sizes(server))
            else:
                settled[job] = asyncio.run(_settle(server, executions, items, job))
    for job, row in settled.items():
        print(f"  round {round_number + 1} settle [{_scenario(job)}]: {row['seconds']:.2f} s")
    for label, row in listed.items():
        print(f"  round {round_number + 1} list, {label}: {row['seconds']:.2f} s", flush=True)
    return settled, listed


def _report(
    settled: dict[float, list[dict[str, Any]]],
    listed: dict[str, list[dict[str, Any]]],
    executions: int,
    items: int,
) -> None:
    for job, rows in settled.items():
        verdicts = " / ".join(dict.fromkeys(r["verdicts"] for r in rows))
        print(
            f"settle [{_scenario(job)}]: {items} items among {executions} executions: "
            f"{spread((r['list'] for r in rows), ',.0f')} list + "
            f"{spread((r['detail'] for r in rows), ',.0f')} detail requests, "
            f"{spread((r['seconds'] for r in rows), '.2f')} s; verdicts {verdicts}; "
            f"wrong {max(r['wrong'] for r in rows)} (worst round)"
        )
    for label, rows in listed.items():
        print(
            f"list 5,000 executions, {label}: {spread((r['items'] for r in rows), ',.0f')} "
            f"items, {spread((r['requests'] for r in rows), ',.0f')} requests, "
            f"{spread((r['seconds'] for r in rows), '.2f')} s"
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
    parser.add_argument(
        "--rounds",
        "--repeat",
        type=int,
        default=3,
        help="rounds, scenarios interleaved in each; median (min-max) printed",
    )
    args = parser.parse_args()
    spreads: list[float] = args.spread or [0.0, 100.0]
    settled: dict[float, list[dict[str, Any]]] = {s: [] for s in spreads}
    listed: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in PAGE_SIZES}
    conditions = Conditions()
    for round_number in range(args.rounds):
        round_settled, round_listed = _run_round(round_number, spreads, args.executions, args.items)
        for job, row in round_settled.items():
            settled[job].append(row)
        for label, row in round_listed.items():
            listed[label].append(row)
    conditions.end()
    print(
        f"\nmedian (min-max) of {args.rounds} rounds, scenarios interleaved (order "
        f"alternating), each against a fresh fake server in a thread\n{conditions.text()}\n"
    )
    _report(settled, listed, args.executions, args.items)


if __name__ == "__main__":
    main()
