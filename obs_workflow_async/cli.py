"""``obs-workflow``: the command line.

``obs-workflow demo`` runs the demo against the embedded fake server;
``obs-workflow start GRAPH --bucket B --object KEY [--input name=value ...]``
starts one real workflow with credentials from the environment and prints the
result as JSON. Errors print status, code, message and request id and exit 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence

from pydantic import JsonValue

from .client import AsyncWorkflowClient
from .demo import format_summary, run_demo
from .errors import APIStatusError, ObsWorkflowError, TransportError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def _parse_inputs(pairs: Sequence[str]) -> dict[str, JsonValue] | None:
    """``name=value`` pairs; a value that parses as JSON is taken as JSON, else as text."""
    if not pairs:
        return None
    inputs: dict[str, JsonValue] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SystemExit(f"obs-workflow: --input expects name=value, got {pair!r}")
        try:
            inputs[name] = json.loads(value)
        except ValueError:
            inputs[name] = value
    return inputs


def _error_json(error: ObsWorkflowError) -> dict[str, object]:
    if isinstance(error, APIStatusError):
        return {
            "error": type(error).__name__,
            "status": error.status,
            "code": error.code,
            "message": error.message,
            "request_id": error.request_id,
        }
    if isinstance(error, TransportError):
        return {
            "error": type(error).__name__,
            "message": str(error),
            "request_sent": error.request_sent,
        }
    return {"error": type(error).__name__, "message": str(error)}


async def _start(args: argparse.Namespace) -> int:
    server = args.server or os.environ.get("OBS_SERVER")
    if not server:
        print("obs-workflow: pass --server or set OBS_SERVER", file=sys.stderr)
        return EXIT_USAGE
    try:
        async with AsyncWorkflowClient(
            server=server,
            signature=args.signature,
            region=args.region,
            timeout=args.timeout,
            max_retries=args.max_retries,
        ) as client:
            result = await client.start_workflow(
                args.graph, args.bucket, args.object, inputs=_parse_inputs(args.input)
            )
    except ObsWorkflowError as error:
        print(json.dumps(_error_json(error), ensure_ascii=False), file=sys.stderr)
        return EXIT_FAILED
    print(result.model_dump_json(exclude={"headers"}, indent=2))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="obs-workflow", description="Start Huawei Cloud OBS workflows from the shell."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the demo against the embedded fake server")
    demo.add_argument("--count", type=int, default=300, help="workflows to start (300)")
    demo.add_argument("--concurrency", type=int, default=64, help="calls in flight (64)")
    start = sub.add_parser(
        "start",
        help="start one workflow (credentials from OBS_ACCESS_KEY_ID/OBS_SECRET_ACCESS_KEY)",
    )
    start.add_argument("graph", help="workflow (graph) name")
    start.add_argument("--bucket", required=True)
    start.add_argument("--object", required=True, help="object key")
    start.add_argument(
        "--input", action="append", default=[], metavar="NAME=VALUE",
        help="workflow input; JSON values are parsed (repeatable)",
    )  # fmt: skip
    start.add_argument("--server", help="endpoint URL or host (default: $OBS_SERVER)")
    start.add_argument("--signature", choices=["obs", "v2", "v4"], default="obs")
    start.add_argument("--region", help="region for --signature v4")
    start.add_argument("--timeout", type=float, default=60.0, help="seconds per attempt (60)")
    start.add_argument("--max-retries", type=int, default=3)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        summary = asyncio.run(run_demo(args.count, args.concurrency))
        print(format_summary(summary))
        return EXIT_OK if summary.failed == 0 else EXIT_FAILED
    return asyncio.run(_start(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
