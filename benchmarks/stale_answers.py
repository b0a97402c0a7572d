"""Stale answers on kept-alive connections: what the client concludes, counted on the server.

    .venv/bin/python -m benchmarks.stale_answers [--runs 3] [--objects 200] [--sequential]

For each API (v2, v3) and each unsolicited answer (200, 503, 400), one ``start_many``
of ``--objects`` objects at concurrency 4 and 40 sequential ``start_workflow`` calls
against ``tests/support/stale_server.py``. Per row: objects started twice (the server
read the start more than once), false successes (ok, but the answer names another
execution, or the server never read the start), silent starts (a definite failure,
i.e. safe to resend, for a start the server read), ambiguous outcomes: every run's
counts, then each count as the median (min-max) over the ``--runs``, and the
machine's load average at the start and the end.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import asdict, dataclass

from benchmarks.harness import Conditions, spread
from obs_workflow_async import (
    AsyncWorkflowClient,
    ObsWorkflowError,
    StartOutcome,
    StartRequest,
    may_have_started,
)
from obs_workflow_async.dwr import AsyncDwrClient
from tests.support.stale_server import StaleServer


@dataclass
class Tally:
    twice: int = 0
    false_ok: int = 0
    silent: int = 0
    ambiguous: int = 0
    ok: int = 0

    def __str__(self) -> str:
        return (
            f"twice={self.twice} false_ok={self.false_ok} silent={self.silent} "
            f"ambiguous={self.ambiguous} ok={self.ok}"
        )


def client_for(api: str, url: str) -> AsyncWorkflowClient | AsyncDwrClient:
    if api == "v2":
        return AsyncWorkflowClient(server=url, access_key_id="AK", secret_access_key="SK")
    return AsyncDwrClient(endpoint=url, project_id="p1", access_key_id="AK", secret_access_key="SK")


def judge(
    server: StaleServer, key: str, name: str | None, error: ObsWorkflowError | None, t: Tally
) -> None:
    if error is None:
        t.ok += 1
        if name != f"exec-{key}" or server.received[key] == 0:
            t.false_ok += 1
    elif may_have_started(error):
        t.ambiguous += 1
    elif server.received[key]:
        t.silent += 1


async def run_many(api: str, stale: str, objects: int, sequential: bool) -> Tally:
    t = Tally()
    async with StaleServer(stale, sequential=sequential) as server:
        keys = [f"obj-{n}" for n in range(objects)]
        items = [StartRequest(graph_name="g", bucket="media", object_key=k) for k in keys]
        outcomes: list[StartOutcome] = []
        async with client_for(api, server.url) as client:
            outcomes = await client.start_all(items, concurrency=4)
        for outcome in outcomes:
            assert outcome.request is not None
            name = outcome.result.execution_name if outcome.result is not None else None
            judge(server, outcome.request.object_key, name, outcome.error, t)
        t.twice = sum(1 for n in server.received.values() if n > 1)
    return t


async def run_single(api: str, stale: str, calls: int, sequential: bool) -> Tally:
    t = Tally()
    async with StaleServer(stale, sequential=sequential) as server:
        async with client_for(api, server.url) as client:
            for n in range(calls):
                key = f"one-{n}"
                try:
                    result = await client.start_workflow("g", "media", key)
                except ObsWorkflowError as exc:
                    judge(server, key, None, exc, t)
                else:
                    judge(server, key, result.execution_name, None, t)
        t.twice = sum(1 for n in server.received.values() if n > 1)
    return t


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--objects", type=int, default=200)
    parser.add_argument("--sequential", action="store_true", help="server: extra answer first")
    args = parser.parse_args()
    conditions = Conditions()
    summaries: list[str] = []
    for api in ("v2", "v3"):
        for stale in ("200", "503", "400"):
            runs: list[tuple[Tally, Tally]] = []
            for run in range(args.runs):
                many = await run_many(api, stale, args.objects, args.sequential)
                single = await run_single(api, stale, 40, args.sequential)
                runs.append((many, single))
                print(f"{api} stale {stale} run {run}: start_many[{many}]  single[{single}]")
            summaries.append(f"{api} stale {stale}: " + summary(runs))
    conditions.end()
    print(f"\nmedian (min-max) over {args.runs} runs; {conditions.text()}")
    print("\n".join(summaries))


def summary(runs: list[tuple[Tally, Tally]]) -> str:
    """Every count of the runs as median (min-max), for start_many and single."""
    parts = []
    for side, label in ((0, "start_many"), (1, "single")):
        counts = [asdict(pair[side]) for pair in runs]
        fields = " ".join(f"{k}={spread((c[k] for c in counts), ',.0f')}" for k in counts[0])
        parts.append(f"{label}[{fields}]")
    return "  ".join(parts)


if __name__ == "__main__":
    asyncio.run(main())
