#!/usr/bin/env python3
"""Memory kept per retained result: this client vs the hand-written aiohttp baseline.

    .venv/bin/python benchmarks/bench_retained.py            # 20,000 starts per client
    .venv/bin/python benchmarks/bench_retained.py --count 5000

Each client gathers ``--count`` starts against the fake server (its own process)
and *keeps every result* (``asyncio.gather`` returns them all). Measured with
``tracemalloc`` in a fresh process per client: the bytes still allocated once the
gather has returned, the session is closed and a full collection has run, divided
by the number of results, as the median (min-max) over the rounds (``--rounds``,
clients interleaved round by round in alternating order; the ratio taken round by
round), and the traced peak during the gather per call (every call in flight at
once: ``gather`` creates them all up front), with the machine's load average at the
start and the end, its CPU count and the Python version. The baseline keeps what a
hand-written client would keep: the parsed JSON body (a ``dict``) of each answer. A
result that pinned its aiohttp response headers (or any other aiohttp object) would
show here.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import tracemalloc
from typing import Any

from hand_signing import obs_headers
from harness import Conditions, ServerProcess, print_table, ratios, round_order, run_worker, spread

CONCURRENCY = 64
GRAPH = "bench-graph"
BUCKET = "bench-bucket"
CONFIGS = ("baseline", "obs-workflow-async")


async def gather_baseline(url: str, ak: str, sk: str, count: int) -> list[Any]:
    import aiohttp

    host = url.split("://", 1)[1]
    path = f"/v2/workflows/{GRAPH}"
    key = sk.encode()
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(i: int) -> Any:
            body = json.dumps({"bucket": BUCKET, "object": f"objects/{i:07d}.mp4"}).encode()
            async with gate:
                headers = obs_headers(ak, key, "POST", path, host)
                async with session.post(url + path, data=body, headers=headers) as response:
                    return await response.json(content_type=None)

        return await asyncio.gather(*(one(i) for i in range(count)))


async def gather_ours(url: str, ak: str, sk: str, count: int) -> list[Any]:
    from obs_workflow_async import AsyncWorkflowClient

    async with AsyncWorkflowClient(
        server=url, access_key_id=ak, secret_access_key=sk, max_connections=CONCURRENCY
    ) as client:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(i: int) -> Any:
            async with gate:
                return await client.start_workflow(GRAPH, BUCKET, f"objects/{i:07d}.mp4")

        return await asyncio.gather(*(one(i) for i in range(count)))


def worker(name: str, url: str, ak: str, sk: str, count: int) -> dict[str, Any]:
    run = gather_baseline if name == "baseline" else gather_ours
    asyncio.run(run(url, ak, sk, 50))  # warm up: imports, caches, first connections
    gc.collect()
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    results = asyncio.run(run(url, ak, sk, count))
    gc.collect()
    after, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    kinds = sorted({type(r).__name__ for r in results})
    return {
        "name": name,
        "count": len(results),
        "per_result": (after - before) / len(results),
        "peak_mb": (peak - before) / 2**20,
        "kept": ",".join(kinds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000, help="retained results per client")
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument(
        "--rounds",
        "--repeat",
        type=int,
        default=3,
        help="rounds, clients interleaved in each; median (min-max) printed",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--ak", help=argparse.SUPPRESS)
    parser.add_argument("--sk", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.url, args.ak, args.sk, args.count)))
        return
    configs = [c for c in args.configs.split(",") if c]
    runs: dict[str, list[dict[str, Any]]] = {c: [] for c in configs}
    conditions = Conditions()
    server = ServerProcess()
    try:
        for round_number in range(args.rounds):  # interleaved, so drift hits both alike
            for config in round_order(configs, round_number):
                runs[config].append(measure(config, server, args.count))
    finally:
        server.stop()
    conditions.end()
    print(
        f"\n{args.count} results kept per client (tracemalloc, after gc); median (min-max) "
        f"of {args.rounds} rounds, clients interleaved (order alternating)\n"
        f"{conditions.text()}\n"
    )
    print_table(
        [
            ("name", "client", 22),
            ("bytes", "bytes/result", 22),
            ("ratio", "vs baseline", 22),
            ("peak_mb", "peak MB", 22),
            ("peak_per", "peak bytes/call", 22),
            ("peak_ratio", "vs baseline", 22),
            ("kept", "kept", 22),
        ],
        table_rows(runs),
    )


def measure(config: str, server: ServerProcess, count: int) -> dict[str, Any]:
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
            "--count",
            str(count),
        ],
    )


def table_rows(runs: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per client: bytes per result, the peak and the peak per call as median (min-max)
    over the rounds, the ratios to the baseline taken round by round."""

    def peak_per_call(cell: list[dict[str, Any]]) -> list[float]:
        return [float(r["peak_mb"]) * 2**20 / int(r["count"]) for r in cell]

    base = [float(r["per_result"]) for r in runs["baseline"]] if "baseline" in runs else None
    base_peak = peak_per_call(runs["baseline"]) if "baseline" in runs else None
    rows = []
    for config, cell in runs.items():
        per_result = [float(r["per_result"]) for r in cell]
        peak = peak_per_call(cell)
        rows.append(
            {
                "name": config,
                "bytes": spread(per_result, ",.0f"),
                "ratio": spread(ratios(per_result, base), ".2f", "x") if base else "-",
                "peak_mb": spread(r["peak_mb"] for r in cell),
                "peak_per": spread(peak, ",.0f"),
                "peak_ratio": spread(ratios(peak, base_peak), ".2f", "x") if base_peak else "-",
                "kept": ",".join(sorted({kind for r in cell for kind in r["kept"].split(",")})),
            }
        )
    return rows


if __name__ == "__main__":
    main()
