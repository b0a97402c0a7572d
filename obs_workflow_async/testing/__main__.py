"""``python -m obs_workflow_async.testing``: run the fake server in the foreground.

Prints one line, ``URL ACCESS_KEY_ID SECRET_ACCESS_KEY``, once it listens (the
benchmarks read it), then serves until interrupted or stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from .server import FakeWorkflowServer


async def _serve(port: int, record: bool) -> None:
    server = FakeWorkflowServer(port=port, record_requests=record)
    async with server:
        print(server.url, server.access_key_id, server.secret_access_key, flush=True)
        loop = asyncio.get_running_loop()
        # Stop when the parent closes our stdin (or on Ctrl-C).
        await loop.run_in_executor(None, sys.stdin.read)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m obs_workflow_async.testing")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--record-requests", action="store_true")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port, args.record_requests))


if __name__ == "__main__":
    main()
