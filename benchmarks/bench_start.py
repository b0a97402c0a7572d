#!/usr/bin/env python3
"""Start-call benchmark: this client vs a hand-written aiohttp baseline vs the official SDK.

    python3 dev.py bench                 # or: .venv/bin/python benchmarks/bench_start.py
    python3 dev.py bench --count 5000 --repeat 3

The fake server runs in its own process (``python -m obs_workflow_async.testing``)
and checks every signature. Each client configuration runs in a fresh process so
that its CPU time and peak RSS are its own; every configuration is measured in
the same run against the same server. Reported per configuration: starts per
second, client CPU microseconds per start (user + system time of the client
process divided by the number of starts) and the client's peak RSS, each as the
median (min-max) over the rounds (``--repeat``, configurations interleaved round by
round in alternating order); ratios are taken round by round. The machine's load
average at the start and the end, its CPU count and the Python version are printed
with the table. Quote the ratios with their spread, not the absolute numbers:
machines are noisy.

Configurations:

- ``baseline``: a minimal hand-written aiohttp client that signs inline (no
  validation, no retries, no typed results), ``asyncio.gather`` + semaphore 64.
- ``baseline+pydantic``: the same, in a process that has imported this package
  (pydantic's objects on the heap make every full garbage collection dearer).
- ``obs-workflow-async``: ``AsyncWorkflowClient.start_workflow`` with
  ``asyncio.gather`` + semaphore 64 (``max_connections=64``): the default, a
  connection of its own for every start (``Connection: close``).
- ``obs-workflow-async-reuse``: the same with ``reuse_connections_for_starts=True``
  (starts on kept-alive connections, as the baseline and ``sdk-long-conn`` send them).
- ``obs-workflow-async-uvloop`` (not in the default set; needs ``uvloop`` installed):
  ``obs-workflow-async`` on a uvloop event loop (``--configs
  obs-workflow-async,obs-workflow-async-uvloop``).
- ``sdk-long-conn``: ``obs.WorkflowClient(long_conn_mode=True)`` in a 64-thread pool.
- ``sdk-default``: ``obs.WorkflowClient`` with its defaults (a new connection per
  call) in a 64-thread pool.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hand_signing import obs_headers
from harness import (
    Conditions,
    ServerProcess,
    print_table,
    ratios,
    round_order,
    run_worker,
    spread,
)

CONCURRENCY = 64
GRAPH = "bench-graph"
BUCKET = "bench-bucket"
CONFIGS = (
    "baseline",
    "baseline+pydantic",
    "obs-workflow-async",
    "obs-workflow-async-reuse",
    "sdk-long-conn",
    "sdk-default",
)


# -- the clients ------------------------------------------------------------------------


async def run_baseline(url: str, ak: str, sk: str, count: int, client_options: bool = False) -> int:
    """The hand-written client. ``client_options``: with the options this client's
    transport gives aiohttp (session ``User-Agent`` and pool limits, a per-request
    ``ClientTimeout(total=60, connect=10)``, ``allow_redirects=False``, ``ssl=False``,
    ``proxy=None``), to tell aiohttp's cost of those options from ours."""
    import aiohttp

    host = url.split("://", 1)[1]
    path = f"/v2/workflows/{GRAPH}"
    key = sk.encode()
    ok = 0
    options: dict[str, Any] = {}
    session_options: dict[str, Any] = {}
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    if client_options:
        connector = aiohttp.TCPConnector(
            limit=CONCURRENCY, limit_per_host=CONCURRENCY, keepalive_timeout=1.5, ssl=False
        )
        session_options = {
            "timeout": aiohttp.ClientTimeout(total=None),
            "headers": {"User-Agent": "obs-workflow-async/bench"},
        }
        timeout = aiohttp.ClientTimeout(
            total=60.0, connect=10.0, sock_connect=10.0, ceil_threshold=float("inf")
        )
        options = {
            "timeout": timeout,
            "allow_redirects": False,
            "ssl": False,
            "proxy": None,
            "proxy_headers": None,
        }
    async with aiohttp.ClientSession(connector=connector, **session_options) as session:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(i: int) -> None:
            nonlocal ok
            body = json.dumps({"bucket": BUCKET, "object": f"objects/{i:07d}.mp4"}).encode()
            async with gate:
                headers = obs_headers(ak, key, "POST", path, host)
                async with session.post(
                    url + path, data=body, headers=headers, **options
                ) as response:
                    data = await response.json(content_type=None)
                    if response.status == 200 and "execution_name" in data:
                        ok += 1

        await asyncio.gather(*(one(i) for i in range(count)))
    return ok


async def run_ours(url: str, ak: str, sk: str, count: int, reuse: bool = False) -> int:
    from obs_workflow_async import AsyncWorkflowClient

    ok = 0
    async with AsyncWorkflowClient(
        server=url,
        access_key_id=ak,
        secret_access_key=sk,
        max_connections=CONCURRENCY,
        reuse_connections_for_starts=reuse,
    ) as client:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(i: int) -> None:
            nonlocal ok
            async with gate:
                result = await client.start_workflow(GRAPH, BUCKET, f"objects/{i:07d}.mp4")
            if result.execution_name:
                ok += 1

        await asyncio.gather(*(one(i) for i in range(count)))
    return ok


def run_sdk(url: str, ak: str, sk: str, count: int, long_conn: bool) -> int:
    from obs import WorkflowClient

    client = WorkflowClient(
        access_key_id=ak, secret_access_key=sk, server=url, long_conn_mode=long_conn
    )

    def one(i: int) -> bool:
        result = client.asyncAPIStartWorkflow(GRAPH, BUCKET, f"objects/{i:07d}.mp4")
        return bool(result.status == 200)

    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        ok = sum(pool.map(one, range(count)))
    client.close()
    return ok


def run_config(name: str, url: str, ak: str, sk: str, count: int) -> int:
    if name.startswith("baseline"):
        return asyncio.run(run_baseline(url, ak, sk, count))
    if name == "obs-workflow-async-uvloop":
        import uvloop  # optional: not a dependency of the package

        return uvloop.run(run_ours(url, ak, sk, count))
    if name.startswith("obs-workflow-async"):
        return asyncio.run(run_ours(url, ak, sk, count, reuse=name.endswith("-reuse")))
    return run_sdk(url, ak, sk, count, long_conn=name == "sdk-long-conn")


# -- measurement ------------------------------------------------------------------------


def worker(name: str, url: str, ak: str, sk: str, count: int, warmup: int) -> dict[str, Any]:
    """Runs in a child process: warm up, then measure one configuration."""
    if name == "baseline+pydantic":
        # The same baseline with this package (and so pydantic) imported, as in any
        # application that uses pydantic: separates per-call cost from import footprint.
        from obs_workflow_async import AsyncWorkflowClient  # noqa: F401 (the package is lazy)
    run_config(name, url, ak, sk, warmup)
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    ok = run_config(name, url, ak, sk, count)
    wall = time.perf_counter() - began
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    return {
        "name": name,
        "ok": ok,
        "count": count,
        "per_second": count / wall,
        "cpu_us": cpu / count * 1e6,
        "peak_rss_mb": usage1.ru_maxrss / 1024,
    }


def measure(name: str, server: ServerProcess, count: int, warmup: int) -> dict[str, Any]:
    return run_worker(
        __file__,
        [
            "--worker",
            name,
            "--url",
            server.url,
            "--ak",
            server.ak,
            "--sk",
            server.sk,
            "--count",
            str(count),
            "--warmup",
            str(warmup),
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000, help="starts per configuration")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument(
        "--repeat",
        "--rounds",
        type=int,
        default=3,
        help="rounds, configurations interleaved in each; median (min-max) printed",
    )
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--ak", help=argparse.SUPPRESS)
    parser.add_argument("--sk", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.url, args.ak, args.sk, args.count, args.warmup)))
        return

    configs = [c for c in args.configs.split(",") if c]
    conditions = Conditions()
    server = ServerProcess()
    try:
        runs: dict[str, list[dict[str, Any]]] = {c: [] for c in configs}
        for round_number in range(args.repeat):  # interleaved, so drift hits all alike
            for config in round_order(configs, round_number):
                runs[config].append(measure(config, server, args.count, args.warmup))
    finally:
        server.stop()
    conditions.end()
    print(
        f"\n{args.count} starts per run, concurrency {CONCURRENCY}, median (min-max) of "
        f"{args.repeat} rounds, configurations interleaved (order alternating); fake server "
        f"in its own process\n{conditions.text()}\n"
    )
    print_table(
        [
            ("client", "client", 22),
            ("starts/s", "starts/s", 24),
            ("cpu", "CPU us/start", 22),
            ("rss", "peak RSS MB", 20),
            ("cpu_ratio", "CPU vs base", 20),
            ("thr_ratio", "thr vs SDK best", 20),
            ("cpu_sdk", "CPU vs SDK best", 20),
            ("ok", "ok", 8),
        ],
        table_rows(runs),
    )


def table_rows(runs: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One row per configuration: every figure as median (min-max) over the rounds;
    ratios are taken round by round (each round's runs against each other)."""

    def series(config: str, key: str) -> list[float]:
        return [float(run[key]) for run in runs[config]]

    base = series("baseline", "cpu_us") if "baseline" in runs else None
    sdks: list[str] = [c for c in ("sdk-long-conn", "sdk-default") if c in runs]
    sdk_best: list[float] | None = None
    sdk_best_cpu: list[float] | None = None
    if sdks:  # the SDK's best configuration: the one with the higher median throughput
        best = max(sdks, key=lambda c: statistics.median(series(c, "per_second")))
        sdk_best = series(best, "per_second")
        sdk_best_cpu = series(best, "cpu_us")
    return [
        {
            "client": config,
            "starts/s": spread(series(config, "per_second"), ",.0f"),
            "cpu": spread(series(config, "cpu_us"), ",.0f"),
            "rss": spread(series(config, "peak_rss_mb")),
            "cpu_ratio": (
                spread(ratios(series(config, "cpu_us"), base), ".2f", "x") if base else "-"
            ),
            "thr_ratio": (
                spread(ratios(series(config, "per_second"), sdk_best), ".2f", "x")
                if sdk_best
                else "-"
            ),
            "cpu_sdk": (
                spread(ratios(series(config, "cpu_us"), sdk_best_cpu), ".2f", "x")
                if sdk_best_cpu
                else "-"
            ),
            "ok": min(run["ok"] for run in runs[config]),
        }
        for config in runs
    ]


if __name__ == "__main__":
    main()
