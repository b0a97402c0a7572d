#!/usr/bin/env python3
"""Memory kept per retained result: this client vs the hand-written aiohttp baseline.

    .venv/bin/python benchmarks/bench_retained.py            # 20,000 starts per client
    .venv/bin/python benchmarks/bench_retained.py --count 5000

Each client gathers ``--count`` starts against the fake server (its own process)
and *keeps every result* (``asyncio.gather`` returns them all). Measured with
``tracemalloc`` in a fresh process per client: the bytes still allocated once the
gather has returned, the session is closed and a full collection has run, divided
by the number of results. The baseline keeps what a hand-written client would
keep: the parsed JSON body (a ``dict``) of each answer. A result that pinned its
aiohttp response headers (or any other aiohttp object) would show here.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import hashlib
import hmac
import json
import sys
import tracemalloc
from email.utils import formatdate
from typing import Any

from harness import ServerProcess, print_table, run_worker

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
                date = formatdate(usegmt=True)
                to_sign = f"POST\n\napplication/json\n{date}\n{path}"
                sig = base64.b64encode(hmac.new(key, to_sign.encode(), hashlib.sha1).digest())
                headers = {
                    "Content-Type": "application/json",
                    "Date": date,
                    "Host": host,
                    "Authorization": f"OBS {ak}:{sig.decode()}",
                }
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
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--ak", help=argparse.SUPPRESS)
    parser.add_argument("--sk", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.url, args.ak, args.sk, args.count)))
        return
    server = ServerProcess()
    try:
        rows = [
            run_worker(
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
                    str(args.count),
                ],
            )
            for config in args.configs.split(",")
            if config
        ]
    finally:
        server.stop()
    base = next((r for r in rows if r["name"] == "baseline"), None)
    for row in rows:
        row["bytes"] = round(row["per_result"])
        row["ratio"] = f"{row['per_result'] / base['per_result']:.2f}x" if base else "-"
    print(
        f"\n{args.count} results kept per client (tracemalloc, after gc); "
        f"Python {sys.version.split()[0]}\n"
    )
    print_table(
        [
            ("name", "client", 22),
            ("bytes", "bytes/result", 14),
            ("ratio", "vs baseline", 13),
            ("peak_mb", "peak MB", 10),
            ("kept", "kept", 22),
        ],
        rows,
    )


if __name__ == "__main__":
    main()
