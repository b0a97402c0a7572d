"""Start one workflow and wait for its outcome; exit 0 only if it succeeded.

python examples/start_and_wait.py transcode media videos/a.mp4
"""

from __future__ import annotations

import asyncio
import os
import sys

from obs_workflow_async import AsyncWorkflowClient, ExecutionDetail


async def start_and_report(
    client: AsyncWorkflowClient, graph: str, bucket: str, key: str, poll_interval: float = 1.0
) -> ExecutionDetail:
    final = await client.start_and_wait(
        graph, bucket, key, poll_interval=poll_interval, timeout=3600
    )
    failed = [name for name, run in final.state_map.items() if run.status == "FAILED"]
    print(
        f"{final.execution_name}: {final.execution_state.value}"
        + (f" (failed in {', '.join(failed)})" if failed else "")
    )
    return final


async def main(argv: list[str]) -> int:
    graph, bucket, key = argv
    async with AsyncWorkflowClient(server=os.environ["OBS_SERVER"]) as client:
        final = await start_and_report(client, graph, bucket, key)
    return 0 if final.succeeded else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(asyncio.run(main(sys.argv[1:])))
