"""Start a workflow for every key listed in a file, with a live progress line.

python examples/batch_script.py keys.txt --graph transcode --bucket media
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from obs_workflow_async import AsyncWorkflowClient, StartRequest
from obs_workflow_async.cli.progress import ProgressPrinter


def requests(graph: str, bucket: str, keys: Iterable[str]) -> Iterator[StartRequest]:
    for key in keys:
        if key.strip():
            yield StartRequest(graph_name=graph, bucket=bucket, object_key=key.strip())


async def run(
    client: AsyncWorkflowClient,
    items: Iterable[StartRequest],
    total: int | None,
    concurrency: int = 64,
) -> tuple[int, list[str]]:
    """Start everything; return how many started and the keys whose outcome is unknown."""
    progress = ProgressPrinter(sys.stderr, total)
    ambiguous: list[str] = []
    async with client.start_many(
        items, concurrency=concurrency, on_progress=progress.update
    ) as batch:
        async for outcome in batch:
            if outcome.ambiguous and outcome.request is not None:
                ambiguous.append(outcome.request.object_key)
    progress.finish(batch.stats)
    return batch.stats.succeeded, ambiguous


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("keys_file", type=Path)
    parser.add_argument("--graph", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args(argv)
    keys_file: Path = args.keys_file
    keys = (await asyncio.to_thread(keys_file.read_text, "utf-8")).splitlines()
    async with AsyncWorkflowClient(server=os.environ["OBS_SERVER"]) as client:
        started, ambiguous = await run(
            client, requests(args.graph, args.bucket, keys), len(keys), args.concurrency
        )
    print(f"started {started}; check before resending: {ambiguous}")
    return 0 if started == len([k for k in keys if k.strip()]) else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(asyncio.run(main()))
