#!/usr/bin/env python3
"""Client CPU per start: this client against a hand-written aiohttp client, in ONE process.

    .venv/bin/python benchmarks/bench_cpu.py                      # v2, 7 rounds of 3,000
    .venv/bin/python benchmarks/bench_cpu.py --api v3             # AsyncDwrClient
    .venv/bin/python benchmarks/bench_cpu.py --api v2 --inputs    # starts with inputs=
    .venv/bin/python benchmarks/bench_cpu.py --pair pooled         # one comparison only
    .venv/bin/python benchmarks/bench_cpu.py --rounds 11 --count 5000

Why one process: the CPU ratio of separate processes drifts with whatever else the
machine is doing, and a process that has imported pydantic pays more for each full
garbage collection than one that has not. Here the fake server runs in its own
process (v2: ``python -m obs_workflow_async.testing``; v3: ``FakeDwrServer``; both
check every signature) and the clients below run in this process, interleaved
(A, B, C, D, then D, C, B, A, ...; each run starts from a collected heap), so drift
and the garbage collector's costs hit them alike:

- ``hand-written``: an aiohttp client sending the same signed request (v2: OBS
  signature; v3: ``SDK-HMAC-SHA256`` over the same headers), ``json.dumps`` body,
  ``json.loads`` answer; no validation, retries or typed results;
  ``asyncio.gather`` + semaphore 64.
- ``obs-workflow-async``: ``start_workflow`` (``max_connections=64``) + semaphore 64.

Each is compared with the other sending the SAME requests on the same kind of
connection (``--pair``, both by default):

- ``close``: this client's default, every start on a connection of its own closed
  after its answer (``Connection: close``), against the hand-written client with
  ``TCPConnector(force_close=True)`` and the same ``Connection: close`` header;
- ``pooled``: ``reuse_connections_for_starts=True`` against the hand-written client
  on kept-alive connections.

``--inputs``: every start sends three workflow inputs (both sides).

Each configuration is warmed up first; each round then runs every configuration once
(``--count`` starts, 64 in flight). The figure is process CPU time
(``resource.getrusage``: user + system) per start. Printed per client: the median,
minimum and maximum over the rounds, and the median and spread (min-max) of each
round's ratio to that round's hand-written client of the same pair; with the
machine's load average (``os.getloadavg``) at the start and the end. Quote the median
with its spread.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import json
import os
import resource
import statistics
import sys
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from hand_signing import obs_headers, v3_headers
from harness import ServerProcess, print_table

import obs_workflow_async.models  # noqa: F401 - every configuration runs with pydantic loaded

if TYPE_CHECKING:
    from obs_workflow_async import AsyncWorkflowClient
    from obs_workflow_async.dwr import AsyncDwrClient

CONCURRENCY = 64
GRAPH = "bench-graph"
BUCKET = "bench-bucket"
INPUTS = {"quality": "high", "width": 1920, "tags": ["a", "b"]}


class Target:
    """Where the clients send: URL, keys, and (v3) the project id."""

    def __init__(self, url: str, ak: str, sk: str, pid: str = "") -> None:
        self.url, self.ak, self.sk, self.pid = url, ak, sk, pid


Runner = Callable[[Target, int, bool], Coroutine[Any, Any, int]]


def _key(i: int) -> str:
    return f"objects/{i:07d}.mp4"


# -- v2 --------------------------------------------------------------------------------------


def _session(close: bool) -> Any:
    """The hand-written client's session: pooled, or (``close``) one connection per
    request, closed after its answer, as this client sends starts by default."""
    import aiohttp

    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=CONCURRENCY, force_close=close)
    )


async def v2_baseline(target: Target, count: int, inputs: bool, close: bool) -> int:
    host = target.url.split("://", 1)[1]
    path = f"/v2/workflows/{GRAPH}"
    key = target.sk.encode()
    ok = 0
    async with _session(close) as session:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(i: int) -> None:
            nonlocal ok
            payload: dict[str, object] = {"bucket": BUCKET, "object": _key(i)}
            if inputs:
                payload["inputs"] = INPUTS
            body = json.dumps(payload).encode()
            async with gate:
                headers = obs_headers(target.ak, key, "POST", path, host)
                if close:
                    headers["Connection"] = "close"
                async with session.post(target.url + path, data=body, headers=headers) as response:
                    data = await response.json(content_type=None)
                    if response.status == 200 and "execution_name" in data:
                        ok += 1

        await asyncio.gather(*(one(i) for i in range(count)))
    return ok


async def _start_all(
    client: AsyncWorkflowClient | AsyncDwrClient, count: int, given: Mapping[str, Any] | None
) -> int:
    """``count`` starts through ``client``, at most CONCURRENCY in flight; how many
    succeeded."""
    ok = 0
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> None:
        nonlocal ok
        async with gate:
            result = await client.start_workflow(GRAPH, BUCKET, _key(i), given)
        if result.execution_name:
            ok += 1

    await asyncio.gather(*(one(i) for i in range(count)))
    return ok


async def v2_ours(target: Target, count: int, inputs: bool, reuse: bool) -> int:
    from obs_workflow_async import AsyncWorkflowClient

    given = INPUTS if inputs else None
    async with AsyncWorkflowClient(
        server=target.url,
        access_key_id=target.ak,
        secret_access_key=target.sk,
        max_connections=CONCURRENCY,
        reuse_connections_for_starts=reuse,
    ) as client:
        return await _start_all(client, count, given)


# -- v3 --------------------------------------------------------------------------------------


async def v3_baseline(target: Target, count: int, inputs: bool, close: bool) -> int:
    host = target.url.split("://", 1)[1]
    path = f"/v3/{target.pid}/workflows/{GRAPH}/execute"
    key = target.sk.encode()
    user_agent = "bench"
    ok = 0
    async with _session(close) as session:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(i: int) -> None:
            nonlocal ok
            payload: dict[str, object] = {"bucket": BUCKET, "object": _key(i)}
            if inputs:
                payload["inputs"] = INPUTS
            body = json.dumps(payload).encode()
            async with gate:
                headers = v3_headers(
                    target.ak, key, "POST", path, host, target.pid, body, user_agent=user_agent
                )
                if close:
                    headers["Connection"] = "close"
                async with session.post(target.url + path, data=body, headers=headers) as response:
                    data = await response.json(content_type=None)
                    if response.status == 200 and "execution_name" in data:
                        ok += 1

        await asyncio.gather(*(one(i) for i in range(count)))
    return ok


async def v3_ours(target: Target, count: int, inputs: bool, reuse: bool) -> int:
    from obs_workflow_async.dwr import AsyncDwrClient

    given = INPUTS if inputs else None
    async with AsyncDwrClient(
        endpoint=target.url,
        project_id=target.pid,
        access_key_id=target.ak,
        secret_access_key=target.sk,
        max_connections=CONCURRENCY,
        reuse_connections_for_starts=reuse,
    ) as client:
        return await _start_all(client, count, given)


class Pair(NamedTuple):
    """A row of the comparison: this client and the hand-written client sending the
    same requests on the same kind of connection."""

    label: str
    baseline: Runner
    ours: Runner


def pairs(api: str, which: str) -> list[Pair]:
    baseline, ours = (v2_baseline, v2_ours) if api == "v2" else (v3_baseline, v3_ours)
    every = {
        "close": Pair(
            "close",
            functools.partial(baseline, close=True),
            functools.partial(ours, reuse=False),
        ),
        "pooled": Pair(
            "pooled",
            functools.partial(baseline, close=False),
            functools.partial(ours, reuse=True),
        ),
    }
    return list(every.values()) if which == "both" else [every[which]]


# -- measurement -------------------------------------------------------------------------------


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(runner: Runner, target: Target, count: int, inputs: bool) -> tuple[float, int]:
    """CPU microseconds per start, and how many starts the server accepted (each
    measurement starts from a collected heap, outside the timed span)."""
    gc.collect()
    began = cpu_seconds()
    ok = asyncio.run(runner(target, count, inputs))
    return (cpu_seconds() - began) / count * 1e6, ok


def load_text() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


class _Server:
    def __init__(self, api: str) -> None:
        if api == "v2":
            self._v2 = ServerProcess()
            self.target = Target(self._v2.url, self._v2.ak, self._v2.sk)
        else:
            from bench_dwr import DwrServerProcess

            self._v3 = DwrServerProcess()
            self.target = Target(self._v3.url, self._v3.ak, self._v3.sk, self._v3.pid)
        self._api = api

    def stop(self) -> None:
        (self._v2 if self._api == "v2" else self._v3).stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", choices=("v2", "v3"), default="v2")
    parser.add_argument("--inputs", action="store_true", help="every start sends inputs=")
    parser.add_argument(
        "--pair",
        choices=("both", "close", "pooled"),
        default="both",
        help="close: the default (a connection per start) against a hand-written client "
        "that closes each connection too; pooled: reuse_connections_for_starts=True "
        "against a pooled hand-written client",
    )
    parser.add_argument("--count", type=int, default=3000, help="starts per configuration")
    parser.add_argument("--warmup", type=int, default=300, help="starts before measuring")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    chosen = pairs(args.api, args.pair)
    configs: dict[str, Runner] = {}
    for pair in chosen:
        configs[f"hand-written, {pair.label}"] = pair.baseline
        configs[f"obs-workflow-async, {pair.label}"] = pair.ours
    load_before = load_text()
    server = _Server(args.api)
    cpu: dict[str, list[float]] = {name: [] for name in configs}
    ok: dict[str, int] = dict.fromkeys(configs, args.count)
    try:
        for runner in configs.values():
            measure(runner, server.target, args.warmup, args.inputs)
        order = list(configs.items())
        for round_number in range(args.rounds):
            # Alternate the order round by round (A B C D, D C B A, ...) so neither side
            # always runs right after the other's garbage.
            for name, runner in order if round_number % 2 == 0 else order[::-1]:
                per_start, accepted = measure(runner, server.target, args.count, args.inputs)
                cpu[name].append(per_start)
                ok[name] = min(ok[name], accepted)
    finally:
        server.stop()
    load_after = load_text()

    print(
        f"\n{args.api}{' with inputs=' if args.inputs else ''}: {args.count} starts per round, "
        f"{args.rounds} rounds interleaved in one process, concurrency {CONCURRENCY}; fake "
        f"server in its own process; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}\n"
        f"load average (1/5/15 min) {load_before} at start, {load_after} at end\n"
        "close: a new connection per start, closed after its answer (this client's default;"
        " the hand-written client\n  with force_close and Connection: close); pooled:"
        " kept-alive connections (reuse_connections_for_starts=True)\n"
    )
    rows = []
    for pair in chosen:
        base = cpu[f"hand-written, {pair.label}"]
        for name in (f"hand-written, {pair.label}", f"obs-workflow-async, {pair.label}"):
            values = cpu[name]
            ratios = [value / b for value, b in zip(values, base, strict=True)]
            rows.append(
                {
                    "client": name,
                    "cpu": statistics.median(values),
                    "range": f"{min(values):.1f}-{max(values):.1f}",
                    "ratio": f"{statistics.median(ratios):.2f}x",
                    "ratios": f"{min(ratios):.2f}-{max(ratios):.2f}x",
                    "ok": ok[name],
                }
            )
    print_table(
        [
            ("client", "client", 28),
            ("cpu", "CPU us/start", 14),
            ("range", "min-max", 15),
            ("ratio", "ratio median", 14),
            ("ratios", "ratio min-max", 15),
            ("ok", "ok", 8),
        ],
        rows,
    )


if __name__ == "__main__":
    main()
