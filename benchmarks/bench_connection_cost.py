#!/usr/bin/env python3
"""What a connection per start costs: client CPU per start, close vs pooled, HTTP and TLS.

    .venv/bin/python benchmarks/bench_connection_cost.py              # 7 rounds of 1,000
    .venv/bin/python benchmarks/bench_connection_cost.py --api v3 --rounds 5 --count 500

Starts are sent on a connection of their own by default (``Connection: close``;
docs/reliability.md, "One answer per request"); ``reuse_connections_for_starts=True``
sends them on pooled connections. This measures the client-side price of the default
on loopback, over plain HTTP and over TLS (a handshake per start): two fake servers
(one plain, one with a ``trustme`` certificate), each in its own process, and in
**one** client process, interleaved round by round in alternating order, this client's
``start_workflow`` with and without reuse against each (64 in flight). Printed: the
process CPU per start (user + system) of each configuration, the close/pooled ratio of
each round and each configuration's ratio to pooled plain HTTP, as the median
(min-max) over the rounds, with the machine's load average at the start and the end,
its CPU count and the Python version. Compare the ratios, not the absolute times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import Conditions, print_table, ratios, round_order, spread

CONCURRENCY = 64
CONFIGS = ("http-close", "http-pooled", "tls-close", "tls-pooled")


def serve(tls: bool, folder: str) -> None:
    """Child process: a fake server (TLS with a fresh CA written to ``folder``) until
    stdin closes; prints its ``client_kwargs`` as JSON first."""
    from obs_workflow_async.testing import FakeDwrServer, FakeWorkflowServer

    context = None
    if tls:
        import trustme

        ca = trustme.CA()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        ca.cert_pem.write_to_path(str(Path(folder) / "ca.pem"))

    async def main() -> None:
        v2 = FakeWorkflowServer(record_requests=False, ssl_context=context)
        v3 = FakeDwrServer(record_requests=False, ssl_context=context)
        async with v2, v3:
            kwargs = {"v2": v2.client_kwargs(), "v3": v3.dwr_client_kwargs()}
            print(json.dumps(kwargs), flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

    asyncio.run(main())


class Server:
    def __init__(self, tls: bool, folder: str) -> None:
        mode = "tls" if tls else "plain"
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", mode, "--folder", folder],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.kwargs: dict[str, dict[str, Any]] = json.loads(self.process.stdout.readline())

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


async def starts(api: str, kwargs: dict[str, Any], count: int, reuse: bool, ca: str) -> int:
    from obs_workflow_async import AsyncWorkflowClient
    from obs_workflow_async.dwr import AsyncDwrClient

    options: dict[str, Any] = {
        **kwargs,
        "max_connections": CONCURRENCY,
        "reuse_connections_for_starts": reuse,
    }
    if str(kwargs.get("server", kwargs.get("endpoint", ""))).startswith("https"):
        options["verify"] = ca
    client = AsyncWorkflowClient(**options) if api == "v2" else AsyncDwrClient(**options)
    ok = 0
    async with client:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(i: int) -> None:
            nonlocal ok
            async with gate:
                result = await client.start_workflow("bench-graph", "bench-bucket", f"o/{i:07d}")
            if result.execution_name:
                ok += 1

        await asyncio.gather(*(one(i) for i in range(count)))
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", choices=("v2", "v3"), default="v2")
    parser.add_argument("--count", type=int, default=1000, help="starts per configuration")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7, help="median (min-max) printed")
    parser.add_argument("--serve", choices=("plain", "tls"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve == "tls", args.folder)
        return

    conditions = Conditions()
    with tempfile.TemporaryDirectory(prefix="bench-conn-") as folder:
        plain, tls = Server(False, folder), Server(True, folder)
        ca = os.path.join(folder, "ca.pem")
        cpu: dict[str, list[float]] = {c: [] for c in CONFIGS}
        ok: dict[str, int] = {c: args.count for c in CONFIGS}
        try:
            for config in CONFIGS:  # warm-up: imports, caches, first connections
                server = tls if config.startswith("tls") else plain
                reuse = config.endswith("pooled")
                asyncio.run(starts(args.api, server.kwargs[args.api], args.warmup, reuse, ca))
            for round_number in range(args.rounds):
                for config in round_order(CONFIGS, round_number):
                    server = tls if config.startswith("tls") else plain
                    reuse = config.endswith("pooled")
                    began = time.process_time()
                    done = asyncio.run(
                        starts(args.api, server.kwargs[args.api], args.count, reuse, ca)
                    )
                    cpu[config].append((time.process_time() - began) / args.count * 1e6)
                    ok[config] = min(ok[config], done)
        finally:
            plain.stop()
            tls.stop()
    conditions.end()
    print(
        f"\n{args.api}: {args.count} starts per configuration per round, {CONCURRENCY} in "
        f"flight; median (min-max) of {args.rounds} rounds interleaved in one process "
        f"(order alternating); fake servers in their own processes\n{conditions.text()}\n"
    )
    rows = []
    for config in CONFIGS:
        pooled = config.replace("close", "pooled")
        rows.append(
            {
                "config": config,
                "cpu": spread(cpu[config], ",.0f"),
                "ratio": spread(ratios(cpu[config], cpu[pooled]), ".2f", "x"),
                "vs_http": spread(ratios(cpu[config], cpu["http-pooled"]), ".2f", "x"),
                "ok": ok[config],
            }
        )
    print_table(
        [
            ("config", "client", 14),
            ("cpu", "CPU us/start", 22),
            ("ratio", "vs pooled, same scheme", 24),
            ("vs_http", "vs http-pooled", 22),
            ("ok", "ok (worst round)", 18),
        ],
        rows,
    )


if __name__ == "__main__":
    main()
