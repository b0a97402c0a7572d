#!/usr/bin/env python3
"""DWR v3 start benchmark: AsyncDwrClient vs huaweicloudsdkdwr's DwrAsyncClient and DwrClient.

    .venv/bin/python benchmarks/bench_dwr.py                  # 3000 starts, 3 rounds
    .venv/bin/python benchmarks/bench_dwr.py --count 1000 --repeat 3

The v3 fake (``FakeDwrServer``, every signature checked like the gateway) runs in its
own process; each configuration runs in a fresh process so that its CPU time and
peak RSS are its own, all in the same run against the same server. Reported:
starts per second, client CPU microseconds per start (user + system time of the
client process / starts), peak RSS, each as the median (min-max) over the rounds
(``--repeat``, configurations interleaved round by round in alternating order);
ratios are taken round by round. The machine's load average at the start and the
end, its CPU count and the Python version are printed with the table.

Configurations:

- ``obs-workflow-async-v3``: ``AsyncDwrClient.start_workflow``, ``asyncio.gather`` +
  semaphore 64 (``max_connections=64``): the default, a connection of its own for
  every start (``Connection: close``).
- ``obs-workflow-async-v3-reuse``: the same with ``reuse_connections_for_starts=True``
  (starts on kept-alive connections, as the SDK sends them).
- ``sdk-async-8threads``: ``DwrAsyncClient.async_invoke_api_start_workflow_async``
  (its fixed 8-thread pool), every call submitted, then every future awaited.
- ``sdk-sync-64threads``: ``DwrClient.async_invoke_api_start_workflow`` in a
  64-thread pool (one shared client).

The SDK runs with ``HOME`` pointed at a temporary directory (it persists an
application id under ``~/.huaweicloud``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from harness import Conditions, print_table, ratios, round_order, run_worker, spread

CONCURRENCY = 64
GRAPH = "bench-graph"
BUCKET = "bench-bucket"
CONFIGS = (
    "obs-workflow-async-v3",
    "obs-workflow-async-v3-reuse",
    "sdk-async-8threads",
    "sdk-sync-64threads",
)


# -- the server ---------------------------------------------------------------------------


def serve() -> None:
    """Child process: run FakeDwrServer until stdin closes; print URL AK SK PID first."""
    from obs_workflow_async.testing import FakeDwrServer

    async def main() -> None:
        server = FakeDwrServer(record_requests=False)
        async with server:
            print(
                server.url,
                server.access_key_id,
                server.secret_access_key,
                server.PROJECT_ID,
                flush=True,
            )
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        print(
            json.dumps({"executions": len(server.executions), "calls": dict(server.calls)}),
            flush=True,
        )

    asyncio.run(main())


class DwrServerProcess:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url, self.ak, self.sk, self.pid = self.process.stdout.readline().split()

    def stop(self) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        out = self.process.stdout.read()
        self.process.wait(timeout=30)
        lines = out.strip().splitlines()
        return json.loads(lines[-1]) if lines else {}


# -- the clients --------------------------------------------------------------------------


async def run_ours(url: str, ak: str, sk: str, pid: str, count: int, reuse: bool = False) -> int:
    from obs_workflow_async.dwr import AsyncDwrClient

    ok = 0
    async with AsyncDwrClient(
        endpoint=url,
        project_id=pid,
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


def _sdk_client(url: str, ak: str, sk: str, pid: str, asynchronous: bool) -> Any:
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkdwr.v3 import DwrAsyncClient, DwrClient

    cls = DwrAsyncClient if asynchronous else DwrClient
    return (
        cls.new_builder()
        .with_http_config(HttpConfig(user_agent="bench"))
        .with_credentials(BasicCredentials(ak, sk, pid))
        .with_endpoints([url])
        .build()
    )


def _sdk_request(i: int) -> Any:
    from huaweicloudsdkdwr.v3 import AsyncInvokeApiStartWorkflowRequest, ExecuteWorkflowBody

    return AsyncInvokeApiStartWorkflowRequest(
        graph_name=GRAPH, body=ExecuteWorkflowBody(bucket=BUCKET, object=f"objects/{i:07d}.mp4")
    )


def run_sdk_async(url: str, ak: str, sk: str, pid: str, count: int) -> int:
    client = _sdk_client(url, ak, sk, pid, asynchronous=True)
    futures = [client.async_invoke_api_start_workflow_async(_sdk_request(i)) for i in range(count)]
    return sum(1 for f in futures if f.result().execution_name)


def run_sdk_sync(url: str, ak: str, sk: str, pid: str, count: int) -> int:
    client = _sdk_client(url, ak, sk, pid, asynchronous=False)

    def one(i: int) -> bool:
        return bool(client.async_invoke_api_start_workflow(_sdk_request(i)).execution_name)

    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        return sum(pool.map(one, range(count)))


def run_config(name: str, url: str, ak: str, sk: str, pid: str, count: int) -> int:
    if name.startswith("obs-workflow-async-v3"):
        return asyncio.run(run_ours(url, ak, sk, pid, count, reuse=name.endswith("-reuse")))
    if name == "sdk-async-8threads":
        return run_sdk_async(url, ak, sk, pid, count)
    return run_sdk_sync(url, ak, sk, pid, count)


# -- measurement --------------------------------------------------------------------------


def worker(
    name: str, url: str, ak: str, sk: str, pid: str, count: int, warmup: int
) -> dict[str, Any]:
    if name.startswith("sdk"):
        os.environ["HOME"] = tempfile.mkdtemp(prefix="bench-dwr-home-")
    run_config(name, url, ak, sk, pid, warmup)
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    ok = run_config(name, url, ak, sk, pid, count)
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
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--ak", help=argparse.SUPPRESS)
    parser.add_argument("--sk", help=argparse.SUPPRESS)
    parser.add_argument("--pid", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    if args.worker:
        result = worker(args.worker, args.url, args.ak, args.sk, args.pid, args.count, args.warmup)
        print(json.dumps(result))
        return

    configs = [c for c in args.configs.split(",") if c]
    conditions = Conditions()
    server = DwrServerProcess()
    try:
        runs: dict[str, list[dict[str, Any]]] = {c: [] for c in configs}
        for round_number in range(args.repeat):  # interleaved, so drift hits all alike
            for config in round_order(configs, round_number):
                runs[config].append(measure(config, server, args.count, args.warmup))
    finally:
        summary = server.stop()
    conditions.end()
    print(
        f"\n{args.count} starts per run, median (min-max) of {args.repeat} rounds, "
        "configurations interleaved (order alternating); FakeDwrServer in its own process "
        f"({summary.get('calls', {}).get('rejected_by_gateway', 0)} rejected by its gateway "
        f"check)\n{conditions.text()}\n"
    )
    print_table(
        [
            ("client", "client", 24),
            ("starts/s", "starts/s", 24),
            ("cpu", "CPU us/start", 22),
            ("rss", "peak RSS MB", 20),
            ("thr", "thr vs ours", 20),
            ("cpu_ratio", "CPU vs ours", 20),
            ("thr_sdk", "thr vs SDK best", 20),
            ("cpu_sdk", "CPU vs SDK best", 20),
            ("ok", "ok", 8),
        ],
        table_rows(runs),
    )


def measure(config: str, server: DwrServerProcess, count: int, warmup: int) -> dict[str, Any]:
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
            "--pid",
            server.pid,
            "--count",
            str(count),
            "--warmup",
            str(warmup),
        ],
    )


def table_rows(runs: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One row per configuration: every figure as median (min-max) over the rounds;
    ratios are taken round by round: against this client's default (``thr vs ours``,
    ``CPU vs ours``) and against the SDK's best configuration, the one with the higher
    median throughput (``thr vs SDK best``, ``CPU vs SDK best``)."""

    def series(config: str, key: str) -> list[float]:
        return [float(run[key]) for run in runs[config]]

    ours = "obs-workflow-async-v3" if "obs-workflow-async-v3" in runs else None
    sdks = [c for c in runs if c.startswith("sdk")]
    best = max(sdks, key=lambda c: statistics.median(series(c, "per_second"))) if sdks else None
    rows = []
    for config in runs:
        row: dict[str, Any] = {
            "client": config,
            "starts/s": spread(series(config, "per_second"), ",.0f"),
            "cpu": spread(series(config, "cpu_us"), ",.0f"),
            "rss": spread(series(config, "peak_rss_mb")),
            "thr": "-",
            "cpu_ratio": "-",
            "thr_sdk": "-",
            "cpu_sdk": "-",
            "ok": min(run["ok"] for run in runs[config]),
        }
        for reference, thr, cpu in ((ours, "thr", "cpu_ratio"), (best, "thr_sdk", "cpu_sdk")):
            if reference is not None:
                faster = ratios(series(config, "per_second"), series(reference, "per_second"))
                row[thr] = spread(faster, ".2f", "x")
                dearer = ratios(series(config, "cpu_us"), series(reference, "cpu_us"))
                row[cpu] = spread(dearer, ".2f", "x")
        rows.append(row)
    return rows


if __name__ == "__main__":
    main()
