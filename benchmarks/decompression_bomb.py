"""A compressed start answer that inflates without bound: outcome, time and client RSS.

    .venv/bin/python -m benchmarks.decompression_bomb [--gib 1] [--api v2|v3]

A raw server on 127.0.0.1 answers every start 200 with ``Content-Encoding: gzip``
and the gzip of ``--gib`` GiB of zeros (about 1 MB on the wire per GiB). Prints what
``start_workflow`` concluded, the wall time, the process's peak RSS, and the machine's
load average at the start and the end (one run: the wall time is indicative only).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
import zlib

from benchmarks.harness import Conditions
from obs_workflow_async import AsyncWorkflowClient, ObsWorkflowError, may_have_started
from obs_workflow_async.dwr import AsyncDwrClient
from tests.support.scripted_server import Request, ScriptedServer, answer


def bomb(gib: float) -> bytes:
    encoder = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    parts = [encoder.compress(zeros) for _ in range(int(gib * 1024))]
    return b"".join(parts) + encoder.flush()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gib", type=float, default=1.0)
    parser.add_argument("--api", choices=["v2", "v3"], default="v2")
    args = parser.parse_args()
    body = bomb(args.gib)
    conditions = Conditions()

    async def script(request: Request) -> None:
        request.writer.write(answer("200 OK", body, "Content-Encoding: gzip\r\n"))

    async with ScriptedServer(script) as server:
        client: AsyncWorkflowClient | AsyncDwrClient
        if args.api == "v2":
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
    conditions.end()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.api}: {len(body)} bytes on the wire -> {outcome}")
    print(f"{args.api}: {elapsed:.2f} s, peak RSS {rss:.0f} MB, received {dict(server.received)}")
    print(f"{args.api}: {conditions.text()}")


if __name__ == "__main__":
    asyncio.run(main())
