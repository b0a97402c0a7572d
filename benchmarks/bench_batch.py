#!/usr/bin/env python3
"""Batch benchmark: ``start_many`` vs ``asyncio.gather`` + semaphore vs the official SDK.

    .venv/bin/python benchmarks/bench_batch.py                      # 10k and 100k items
    .venv/bin/python benchmarks/bench_batch.py --sizes 10000 --faults

Each configuration runs in a fresh process against the same fake server (its own
process) in one run. Reported: starts per second, client CPU microseconds per start,
and the client's peak RSS growth over the idle client (RSS after the warm-up), each
as the median (min-max) over the rounds (``--repeat``, configurations interleaved
round by round in alternating order), with the machine's load average at the start
and the end, its CPU count and the Python version. All clients draw the same
requests from a generator; the gather baseline must turn them into coroutines up
front, which is what ``start_many`` avoids.

``--faults`` adds a run with 10% of calls answered 503 and 1% of connections
dropped after the workflow started, and checks on the server that no object was
started twice and that every dropped call was reported as ambiguous (``--repeat``
rounds of ``--fault-count`` starts).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from harness import Conditions, ServerProcess, print_table, round_order, run_worker, spread

CONCURRENCY = 64
CONFIGS = ("start_many", "gather+semaphore", "sdk-threadpool")


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def _objects(n: int, offset: int) -> Iterator[str]:
    """Object keys; ``offset`` < 0 names the warm-up's own keys (never measured)."""
    prefix = "warmup" if offset < 0 else "bench"
    for i in range(n):
        yield f"{prefix}/{abs(offset) + i:010d}.mp4"


def _client(url: str, ak: str, sk: str) -> Any:
    from obs_workflow_async import AsyncWorkflowClient

    return AsyncWorkflowClient(
        server=url,
        access_key_id=ak,
        secret_access_key=sk,
        max_connections=CONCURRENCY,
        max_retries=5,
    )


async def run_start_many(url: str, ak: str, sk: str, n: int, offset: int) -> dict[str, int]:
    from obs_workflow_async import StartRequest

    counts = {"ok": 0, "ambiguous": 0, "failed": 0}
    async with _client(url, ak, sk) as client:
        items = (
            StartRequest(graph_name="bench", bucket="media", object_key=key)
            for key in _objects(n, offset)
        )
        async with client.start_many(items, concurrency=CONCURRENCY) as run:
            async for outcome in run:
                kind = "ok" if outcome.ok else "ambiguous" if outcome.ambiguous else "failed"
                counts[kind] += 1
    return counts


async def run_gather(url: str, ak: str, sk: str, n: int, offset: int) -> dict[str, int]:
    from obs_workflow_async import ObsWorkflowError

    counts = {"ok": 0, "ambiguous": 0, "failed": 0}
    async with _client(url, ak, sk) as client:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(key: str) -> None:
            async with gate:
                try:
                    await client.start_workflow("bench", "media", key)
                    counts["ok"] += 1
                except ObsWorkflowError:
                    counts["failed"] += 1

        await asyncio.gather(*(one(key) for key in _objects(n, offset)))
    return counts


def run_sdk(url: str, ak: str, sk: str, n: int, offset: int) -> dict[str, int]:
    from obs import WorkflowClient

    client = WorkflowClient(
        access_key_id=ak, secret_access_key=sk, server=url, long_conn_mode=True, max_retry_count=0
    )

    def one(key: str) -> bool:
        return bool(client.asyncAPIStartWorkflow("bench", "media", key).status == 200)

    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        ok = sum(pool.map(one, _objects(n, offset)))
    client.close()
    return {"ok": ok, "ambiguous": 0, "failed": n - ok}


def run_config(name: str, url: str, ak: str, sk: str, n: int, offset: int) -> dict[str, int]:
    if name == "start_many":
        return asyncio.run(run_start_many(url, ak, sk, n, offset))
    if name == "gather+semaphore":
        return asyncio.run(run_gather(url, ak, sk, n, offset))
    return run_sdk(url, ak, sk, n, offset)


def worker(name: str, url: str, ak: str, sk: str, n: int, offset: int) -> dict[str, Any]:
    run_config(name, url, ak, sk, 200, -(offset + 1))  # warm-up (imports, pools)
    idle_rss = _rss_mb()
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    counts = run_config(name, url, ak, sk, n, offset)
    wall = time.perf_counter() - began
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    return {
        "config": name,
        "items": n,
        "starts/s": round(n / wall),
        "cpu": round(cpu / n * 1e6),
        "rss_growth": max(0.0, round(usage1.ru_maxrss / 1024 - idle_rss, 1)),
        **counts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--faults", action="store_true", help="also the 503/reset fault run")
    parser.add_argument("--fault-count", type=int, default=10_000, help="starts per fault run")
    parser.add_argument(
        "--repeat",
        "--rounds",
        type=int,
        default=3,
        help="rounds per size, configurations interleaved in each; median (min-max) printed",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--ak", help=argparse.SUPPRESS)
    parser.add_argument("--sk", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--offset", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        result = worker(args.worker, args.url, args.ak, args.sk, args.n, args.offset)
        print(json.dumps(result))
        return
    configs = [c for c in args.configs.split(",") if c]
    runs: dict[tuple[int, str], list[dict[str, Any]]] = {}
    conditions = Conditions()
    server = ServerProcess()
    offset = 0
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            for round_number in range(args.repeat):  # interleaved: drift hits every client
                for config in round_order(configs, round_number):
                    offset += 10**7
                    runs.setdefault((size, config), []).append(
                        measure(config, server, size, offset)
                    )
    finally:
        summary = server.stop()
    conditions.end()
    print(
        f"\nconcurrency {CONCURRENCY}; median (min-max) of {args.repeat} rounds per size, "
        "configurations interleaved (order alternating); fake server in its own process; "
        f"server saw {summary.get('executions')} executions, "
        f"{summary.get('duplicated_objects')} objects started twice\n{conditions.text()}\n"
    )
    columns = [
        ("config", "client", 20),
        ("items", "items", 9),
        ("starts/s", "starts/s", 24),
        ("cpu", "CPU us/start", 22),
        ("rss_growth", "peak RSS growth MB", 22),
        ("ok", "ok", 9),
        ("failed", "failed", 8),
    ]
    print_table(columns, [summary_row(cell) for cell in runs.values()])
    if args.faults:
        fault_run(columns, args.fault_count, args.repeat)


def measure(config: str, server: ServerProcess, n: int, offset: int) -> dict[str, Any]:
    return run_worker(
        __file__,
        [
            "--worker",
            config,
            "--url",
            server.url,
            "--ak",
            server.ak,
            "--sk",
            server.sk,
            "--n",
            str(n),
            "--offset",
            str(offset),
        ],
    )


def summary_row(cell: list[dict[str, Any]]) -> dict[str, Any]:
    """The rounds of one (size, client) cell: every measured figure as median (min-max);
    the counts as their worst round (fewest ok, most failed or ambiguous)."""
    return {
        **cell[0],
        "starts/s": spread((r["starts/s"] for r in cell), ",.0f"),
        "cpu": spread((r["cpu"] for r in cell), ",.0f"),
        "rss_growth": spread(r["rss_growth"] for r in cell),
        "ok": min(r["ok"] for r in cell),
        "failed": max(r["failed"] for r in cell),
        "ambiguous": max(r["ambiguous"] for r in cell),
    }


def fault_run(columns: list[tuple[str, str, int]], count: int, rounds: int) -> None:
    conditions = Conditions()
    server = ServerProcess("--fault-503", "0.10", "--fault-reset", "0.01")
    try:
        cell = [measure("start_many", server, count, (r + 1) * 10**7) for r in range(rounds)]
    finally:
        summary = server.stop()
    conditions.end()
    print(
        f"\nfault run: {count:,} starts per round, 10% answered 503, 1% of connections "
        f"dropped after start; median (min-max) of {rounds} rounds; counts: the worst round"
        f"\n{conditions.text()}\n"
    )
    print_table([*columns, ("ambiguous", "ambiguous", 11)], [summary_row(cell)])
    print(
        f"server: {summary['executions']} executions, "
        f"{summary['duplicated_objects']} objects started more than once, "
        f"calls {summary['calls']}"
    )


if __name__ == "__main__":
    main()
