"""``python -m obs_workflow_async.testing``: run the fake server in the foreground.

Prints one line, ``URL ACCESS_KEY_ID SECRET_ACCESS_KEY``, once it listens (the
benchmarks read it), then serves until interrupted or stdin closes; on the way out
it prints a JSON summary line: executions started, objects started more than once,
requests per operation.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections import Counter

from .server import FakeWorkflowServer, Fault


async def _serve(args: argparse.Namespace) -> None:
    server = FakeWorkflowServer(port=args.port, record_requests=args.record_requests)
    if args.fault_503:
        server.add_fault(
            Fault("status", status=503, retry_after="0"), times=None, probability=args.fault_503
        )
    if args.fault_reset:
        server.add_fault(Fault("drop"), times=None, probability=args.fault_reset)
    async with server:
        print(server.url, server.access_key_id, server.secret_access_key, flush=True)
        loop = asyncio.get_running_loop()
        # Stop when the parent closes our stdin (or on Ctrl-C).
        await loop.run_in_executor(None, sys.stdin.read)
    per_object = Counter((e.bucket, e.object_key) for e in server.executions)
    summary = {
        "executions": len(server.executions),
        "duplicated_objects": sum(1 for n in per_object.values() if n > 1),
        "calls": dict(server.calls),
    }
    print(json.dumps(summary), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m obs_workflow_async.testing")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--record-requests", action="store_true")
    parser.add_argument("--fault-503", type=float, default=0.0, help="share of calls answered 503")
    parser.add_argument(
        "--fault-reset", type=float, default=0.0, help="share of calls dropped after the start"
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
