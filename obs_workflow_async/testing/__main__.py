"""``python -m obs_workflow_async.testing``: run the fake server in the foreground.

Prints one line, ``URL ACCESS_KEY_ID SECRET_ACCESS_KEY``, once it listens (scripts
and the benchmarks read it; ``--api v3`` serves the DWR v3 API and adds the project
id: ``URL ACCESS_KEY_ID SECRET_ACCESS_KEY PROJECT_ID``, with the ``obs-workflow``
options a client needs on stderr), then serves until SIGINT or SIGTERM (Ctrl-C, ``kill``,
a CI job ending). It never reads stdin, so it runs the same in the background of an
interactive shell, under ``nohup`` and in CI. On the way out it prints a JSON
summary line: executions started, objects started more than once, requests per
operation. ``--stop-on-stdin-eof`` restores the old behaviour of also stopping when
stdin closes (for a parent that holds the pipe).

    python -m obs_workflow_async.testing --execution-duration 2 &
    read URL AK SK < <(...)   # or parse the first line of its output
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections import Counter

from .dwr_server import FakeDwrServer
from .faults import Fault
from .server import FakeWorkflowServer

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _on_signals(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGINT/SIGTERM; ``signal.signal`` where the loop cannot
    (Windows)."""
    for sig in _SIGNALS:
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))


async def _serve(args: argparse.Namespace) -> None:
    kind = FakeDwrServer if args.api == "v3" else FakeWorkflowServer
    server = kind(
        port=args.port,
        record_requests=args.record_requests,
        execution_duration=args.execution_duration,
    )
    if isinstance(server, FakeDwrServer):
        server.authorized = not args.no_authorization
    if args.fault_503:
        server.add_fault(
            Fault("status", status=503, retry_after="0"), times=None, probability=args.fault_503
        )
    if args.fault_reset:
        server.add_fault(Fault("drop"), times=None, probability=args.fault_reset)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    _on_signals(loop, stop)
    async with server:
        if isinstance(server, FakeDwrServer):
            print(
                server.url,
                server.access_key_id,
                server.secret_access_key,
                server.PROJECT_ID,
                flush=True,
            )
        else:
            print(server.url, server.access_key_id, server.secret_access_key, flush=True)
        _hint(server, args.api)
        waiters: list[asyncio.Future[object]] = [asyncio.ensure_future(stop.wait())]
        if args.stop_on_stdin_eof:
            waiters.append(loop.run_in_executor(None, sys.stdin.read))
        _, pending = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
    per_object = Counter((e.bucket, e.object_key) for e in server.executions)
    summary = {
        "executions": len(server.executions),
        "duplicated_objects": sum(1 for n in per_object.values() if n > 1),
        "calls": dict(server.calls),
    }
    print(json.dumps(summary), flush=True)


def _hint(server: FakeWorkflowServer, api: str) -> None:
    """What a client needs, as ``obs-workflow`` options and variables (on stderr, so
    that stdout's first line stays the one scripts parse)."""
    options = f"--api {api} --server {server.url}"
    if isinstance(server, FakeDwrServer):
        options += f" --project-id {server.PROJECT_ID} --region {server.region}"
    print(
        f"export OBS_ACCESS_KEY_ID={server.access_key_id} "
        f"OBS_SECRET_ACCESS_KEY={server.secret_access_key}\n"
        f"obs-workflow {options} list workflows",
        file=sys.stderr,
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m obs_workflow_async.testing")
    parser.add_argument(
        "--api",
        choices=["v2", "v3"],
        default="v2",
        help="the API served: v2 (OBS workflows, the default) or v3 (DWR v3; the first "
        "line then ends with the project id)",
    )
    parser.add_argument(
        "--no-authorization",
        action="store_true",
        help="--api v3: start without the workflow authorization (default: authorized, "
        "as after the one-time console step), to see 'obs-workflow doctor' fail",
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--record-requests", action="store_true")
    parser.add_argument("--fault-503", type=float, default=0.0, help="share of calls answered 503")
    parser.add_argument(
        "--fault-reset", type=float, default=0.0, help="share of calls dropped after the start"
    )
    parser.add_argument(
        "--execution-duration",
        type=float,
        metavar="S",
        help="executions finish (SUCCESS) S seconds after they start (default: they stay "
        "RUNNING), so that 'obs-workflow wait' can complete",
    )
    parser.add_argument(
        "--stop-on-stdin-eof",
        action="store_true",
        help="also stop when stdin closes (a parent holding the pipe)",
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
