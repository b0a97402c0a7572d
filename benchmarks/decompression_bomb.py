"""A compressed start answer that inflates without bound: outcome, time and client RSS.

    .venv/bin/python -m benchmarks.decompression_bomb [--gib 1] [--api v2|v3] [--rounds 5]

A raw server on 127.0.0.1 answers every start 200 with ``Content-Encoding: gzip``
and the gzip of ``--gib`` GiB of zeros (about 1 MB on the wire per GiB). Each round
runs in a fresh interpreter (so that its peak RSS is its own); printed: what
``start_workflow`` concluded in every round, the wall time and the process's peak
RSS as the median (min-max) over the rounds, and the machine's load average at the
start and the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
import zlib
from typing import Any

from benchmarks.harness import Conditions, spread
from obs_workflow_async import AsyncWorkflowClient, ObsWorkflowError, may_have_started
from obs_workflow_async.dwr import AsyncDwrClient
from tests.support.scripted_server import Request, ScriptedServer, answer


def bomb(gib: float) -> bytes:
    encoder = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    parts = [encoder.compress(zeros) for _ in range(int(gib * 1024))]
    return b"".join(parts) + encoder.flush()


async def one_round(gib: float, api: str) -> dict[str, Any]:
    """One start against the bomb, in this (fresh) interpreter."""
    body = bomb(gib)

    async def script(request: Request) -> None:
        request.writer.write(answer("200 OK", body, "Content-Encoding: gzip\r\n"))

    async with ScriptedServer(script) as server:
        client: AsyncWorkflowClient | AsyncDwrClient
        if api == "v2":
            client = AsyncWorkflowClient(
                server=server.url, access_key_id="AK", secret_access_key="SK"
            )
        else:
            client = AsyncDwrClient(
                endpoint=server.url, project_id="p1", access_key_id="AK", secret_access_key="SK"
            )
        began = time.perf_counter()
        async with client:
            try:
                await client.start_workflow("g", "media", "k")
                outcome = "ok (the body was inflated whole)"
            except ObsWorkflowError as exc:
                outcome = f"{type(exc).__name__} may_have_started={may_have_started(exc)}: {exc}"
        elapsed = time.perf_counter() - began
    return {
        "wire": len(body),
        "outcome": outcome,
        "seconds": elapsed,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "received": dict(server.received),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gib", type=float, default=1.0)
    parser.add_argument("--api", choices=["v2", "v3"], default="v2")
    parser.add_argument("--rounds", type=int, default=5, help="median (min-max) printed")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(asyncio.run(one_round(args.gib, args.api))))
        return
    conditions = Conditions()
    rounds = []
    worker_args = ["--worker", "--gib", str(args.gib), "--api", args.api]
    for _ in range(args.rounds):
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.decompression_bomb", *worker_args],
            capture_output=True,
            text=True,
            check=True,
        )
        rounds.append(json.loads(done.stdout.strip().splitlines()[-1]))
    conditions.end()
    for number, result in enumerate(rounds, 1):
        print(
            f"{args.api} round {number}: {result['wire']} bytes on the wire -> {result['outcome']}"
        )
    print(
        f"{args.api}: median (min-max) of {args.rounds} rounds, each in a fresh interpreter: "
        f"{spread((r['seconds'] for r in rounds), '.2f')} s, "
        f"peak RSS {spread((r['rss_mb'] for r in rounds), '.0f')} MB; "
        f"received {rounds[-1]['received']} (last round)"
    )
    print(f"{args.api}: {conditions.text()}")


if __name__ == "__main__":
    main()
