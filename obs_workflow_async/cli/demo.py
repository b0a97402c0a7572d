"""The demo: start a few hundred workflows against the embedded fake server."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from .. import AsyncWorkflowClient
from ..errors import ObsWorkflowError
from ..models import StartWorkflowResult
from ..testing import FakeWorkflowServer, Fault


@dataclass(frozen=True, slots=True)
class DemoSummary:
    started: int
    failed: int
    seconds: float
    executions_on_server: int
    retried: int
    sample: StartWorkflowResult | None

    @property
    def per_second(self) -> float:
        return self.started / self.seconds if self.seconds > 0 else 0.0


async def run_demo(count: int = 300, concurrency: int = 64) -> DemoSummary:
    """Start ``count`` workflows with ``asyncio.gather`` bounded by a semaphore."""
    async with FakeWorkflowServer() as server:
        # A few refusals the client retries safely (the service started nothing).
        server.add_fault(Fault("status", status=503, retry_after="0"), times=3)
        async with AsyncWorkflowClient(**server.client_kwargs()) as client:
            gate = asyncio.Semaphore(concurrency)

            async def one(i: int) -> StartWorkflowResult:
                async with gate:
                    return await client.start_workflow(
                        "demo-transcode",
                        "demo-bucket",
                        f"videos/clip-{i:05d}.mp4",
                        inputs={"resolution": "720p"},
                    )

            began = time.perf_counter()
            outcomes = await asyncio.gather(*(one(i) for i in range(count)), return_exceptions=True)
            seconds = time.perf_counter() - began
        results = [o for o in outcomes if isinstance(o, StartWorkflowResult)]
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        for failure in failures:
            if not isinstance(failure, ObsWorkflowError):
                raise failure
        return DemoSummary(
            started=len(results),
            failed=len(failures),
            seconds=seconds,
            executions_on_server=len(server.executions),
            retried=sum(r.retries_taken for r in results),
            sample=results[0] if results else None,
        )


def format_summary(summary: DemoSummary) -> str:
    lines = [
        "obs-workflow-async demo (embedded fake OBS workflow server on 127.0.0.1)",
        f"  started:    {summary.started}",
        f"  failed:     {summary.failed}",
        f"  retried:    {summary.retried} (503 refusals, retried safely)",
        f"  on server:  {summary.executions_on_server} executions (no duplicates)",
        f"  throughput: {summary.per_second:,.0f} starts/s over {summary.seconds:.2f}s",
    ]
    if summary.sample is not None:
        s = summary.sample
        lines += [
            "  sample result:",
            f"    execution_name: {s.execution_name}",
            f"    execution_urn:  {s.execution_urn}",
            f"    started_at:     {s.started_at.isoformat() if s.started_at else '-'}",
            f"    request_id:     {s.request_id}",
        ]
    return "\n".join(lines)
