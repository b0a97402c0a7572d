#!/usr/bin/env python3
"""Instructions per start (callgrind): this client against a hand-written aiohttp client.

    valgrind --tool=callgrind --dump-before=getppid --callgrind-out-file=/tmp/cg.%p \\
        .venv/bin/python benchmarks/cg_start.py --api v2 [--inputs] [--pooled]
    .venv/bin/python benchmarks/cg_start.py --report /tmp/cg.<pid>     # read the dumps

    .venv/bin/python benchmarks/cg_start.py --run --api v3 --inputs  # all of it, one line
    .venv/bin/python benchmarks/cg_start.py --run --api v3 --rounds 3  # and the median (min-max)

Instruction counts do not move with the machine's load, so they compare two trees
(``PYTHONPATH=/path/to/other/tree``, run from a temporary directory) where CPU
times on a shared machine cannot. Both clients run in this process against the
same fake (its own process, not traced: v2 ``python -m obs_workflow_async.testing``,
v3 ``bench_dwr.py --serve``), send the same signed request with the same session
settings (``--pooled``: kept-alive connections; default: a new connection per start
closed after its answer, ``Connection: close``), ``CONCURRENCY`` in flight. After a
warm-up of each, the heap is collected and frozen (``gc.freeze``; the collector
stays on: young collections are part of a call's cost, and their count is printed).

Each side then runs ``--small`` and ``--count`` starts; ``os.getppid()`` between
the phases makes callgrind dump its counters (``--dump-before=getppid``), and the
figure is ``(I(count) - I(small)) / (count - small)``: what one more start costs,
without the set-up both phases share.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from typing import Any

from hand_signing import obs_headers, v3_headers
from harness import Conditions, callgrind_phases, ratios, spread

CONCURRENCY = 64
GRAPH = "bench-graph"
BUCKET = "bench-bucket"
INPUTS = {"quality": "high", "width": 1920, "tags": ["a", "b"]}
HERE = os.path.dirname(os.path.abspath(__file__))
SIDES = ("ours", "hand")
KEEPALIVE = 15.0
"""aiohttp's default idle time of a pooled connection, for both clients (this client's
own default, 1.5 s, would close connections between starts slowed down by callgrind:
every start would then pay for a new connection)."""


def _key(i: int) -> str:
    return f"objects/{i:07d}.mp4"


def _payload(i: int, inputs: bool) -> bytes:
    payload: dict[str, object] = {"bucket": BUCKET, "object": _key(i)}
    if inputs:
        payload["inputs"] = INPUTS
    return json.dumps(payload).encode()


def _hand_session(pooled: bool) -> Any:
    import aiohttp

    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=CONCURRENCY, force_close=not pooled)
    )


def v2_hand(session: Any, url: str, ak: str, sk: str, inputs: bool, pooled: bool) -> Any:
    host = url.split("://", 1)[1]
    path = f"/v2/workflows/{GRAPH}"
    key = sk.encode()

    async def one(i: int) -> bool:
        body = _payload(i, inputs)
        headers = obs_headers(ak, key, "POST", path, host)
        if not pooled:
            headers["Connection"] = "close"
        async with session.post(url + path, data=body, headers=headers) as response:
            data = await response.json(content_type=None)
            return response.status == 200 and "execution_name" in data

    return one


def v3_hand(session: Any, url: str, ak: str, sk: str, pid: str, inputs: bool, pooled: bool) -> Any:
    host = url.split("://", 1)[1]
    path = f"/v3/{pid}/workflows/{GRAPH}/execute"
    key = sk.encode()
    user_agent = "bench"

    async def one(i: int) -> bool:
        body = _payload(i, inputs)
        headers = v3_headers(ak, key, "POST", path, host, pid, body, user_agent=user_agent)
        if not pooled:
            headers["Connection"] = "close"
        async with session.post(url + path, data=body, headers=headers) as response:
            data = await response.json(content_type=None)
            return response.status == 200 and "execution_name" in data

    return one


def _timeout() -> Any:
    """aiohttp's default limits (total 300 s, connect 30 s), as the hand-written client
    has: the client's own (60 s, connect 10 s) can expire in a process slowed down by
    callgrind on a busy machine, and a start retried after a connect timeout would
    count twice."""
    from obs_workflow_async import Timeout

    return Timeout(total=300.0, connect=30.0)


def ours(client: Any, inputs: bool) -> Callable[[int], Awaitable[bool]]:
    given = INPUTS if inputs else None

    async def one(i: int) -> bool:
        result = await client.start_workflow(GRAPH, BUCKET, _key(i), given)
        return bool(result.execution_name)

    return one


async def run(one: Callable[[int], Awaitable[bool]], count: int) -> int:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def gated(i: int) -> bool:
        async with gate:
            return await one(i)

    return sum(await asyncio.gather(*(gated(i) for i in range(count))))


async def measure(args: argparse.Namespace, server: Any) -> dict[str, Any]:
    import aiohttp

    import obs_workflow_async

    connections = [0]  # new connections made (both clients: TCPConnector's)
    create = aiohttp.TCPConnector._create_connection

    async def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        connections[0] += 1
        return await create(self, *args, **kwargs)

    aiohttp.TCPConnector._create_connection = counted  # type: ignore[method-assign]

    pooled = args.pooled
    if args.api == "v2":
        from obs_workflow_async import AsyncWorkflowClient

        client: Any = AsyncWorkflowClient(
            server=server.url,
            access_key_id=server.ak,
            secret_access_key=server.sk,
            max_connections=CONCURRENCY,
            reuse_connections_for_starts=pooled,
            keepalive_timeout=KEEPALIVE,
            timeout=_timeout(),
        )
        session = _hand_session(pooled)
        hand = v2_hand(session, server.url, server.ak, server.sk, args.inputs, pooled)
    else:
        from obs_workflow_async.dwr import AsyncDwrClient

        client = AsyncDwrClient(
            endpoint=server.url,
            project_id=server.pid,
            access_key_id=server.ak,
            secret_access_key=server.sk,
            max_connections=CONCURRENCY,
            reuse_connections_for_starts=pooled,
            keepalive_timeout=KEEPALIVE,
            timeout=_timeout(),
        )
        session = _hand_session(pooled)
        hand = v3_hand(session, server.url, server.ak, server.sk, server.pid, args.inputs, pooled)
    sides = {"ours": ours(client, args.inputs), "hand": hand}
    result: dict[str, Any] = {"tree": os.path.dirname(os.path.dirname(obs_workflow_async.__file__))}
    async with client, session:
        for one in sides.values():
            assert await run(one, args.warmup) == args.warmup
        gc.collect()
        gc.freeze()
        for name in args.order.split(","):
            one = sides[name]
            for count in (args.small, args.count):
                young = gc.get_stats()[0]["collections"]
                made = connections[0]
                os.getppid()  # callgrind: dump (--dump-before=getppid)
                ok = await run(one, count)
                os.getppid()
                assert ok == count, (name, ok, count)
                result[f"{name}.young.{count}"] = gc.get_stats()[0]["collections"] - young
                result[f"{name}.connections.{count}"] = connections[0] - made
    gc.unfreeze()
    return result


def _server(api: str) -> Any:
    sys.path.insert(0, HERE)
    if api == "v2":
        from harness import ServerProcess

        server: Any = ServerProcess()
        server.pid = ""
        return server
    from bench_dwr import DwrServerProcess

    return DwrServerProcess()


def report(
    phases: list[int], meta: dict[str, Any], small: int, count: int, order: list[str]
) -> dict[str, Any]:
    """Per-start instructions from the phases' totals (small, count for each side in
    ``order``)."""
    out: dict[str, Any] = {}
    for index, name in enumerate(order):
        small_i, big_i = phases[2 * index], phases[2 * index + 1]
        out[name] = (big_i - small_i) / (count - small)
        young = meta.get(f"{name}.young.{count}", 0) - meta.get(f"{name}.young.{small}", 0)
        out[f"{name}.young_per_1000"] = young * 1000 / (count - small)
        made = meta.get(f"{name}.connections.{count}", 0)
        out[f"{name}.connections"] = f"{made}/{count}"
    return out


def callgrind_round(args: argparse.Namespace) -> dict[str, Any]:
    """One run of this script under callgrind: instructions per start of each side."""
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "cg")
        meta = os.path.join(tmp, "meta.json")
        argv = sys.argv[1:]
        own = [a for i, a in enumerate(argv) if a != "--run" and not _is_rounds(argv, i)]
        phases = callgrind_phases(__file__, [*own, "--meta", meta], prefix)
        with open(meta) as f:
            info = json.load(f)
        figures = report(phases, info, args.small, args.count, args.order.split(","))
    figures["tree"] = info["tree"]
    return figures


def _is_rounds(argv: list[str], index: int) -> bool:
    """Whether ``argv[index]`` is ``--rounds``, its value or ``--rounds=N``: the
    traced run is one round."""
    here = argv[index]
    return (
        here == "--rounds"
        or here.startswith("--rounds=")
        or (index > 0 and argv[index - 1] == "--rounds")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", choices=("v2", "v3"), default="v2")
    parser.add_argument("--inputs", action="store_true")
    parser.add_argument("--pooled", action="store_true", help="kept-alive connections")
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--count", type=int, default=1200)
    parser.add_argument("--order", default="ours,hand")
    parser.add_argument("--meta", help="write the phases' GC counts here (JSON)")
    parser.add_argument("--run", action="store_true", help="run under callgrind and report")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="with --run: callgrind runs; more than one prints the median (min-max)",
    )
    args = parser.parse_args()

    if args.run:
        conditions = Conditions()
        kind = "pooled" if args.pooled else "close"
        label = f"{args.api}{' inputs' if args.inputs else ''} {kind}"
        rounds = [callgrind_round(args) for _ in range(args.rounds)]
        conditions.end()
        for figures in rounds:
            print(
                f"{label:<16} ours {figures['ours'] / 1000:8.1f}k  hand"
                f" {figures['hand'] / 1000:8.1f}k  ratio {figures['ours'] / figures['hand']:.3f}"
                f"  young GCs/1000 starts: ours {figures['ours.young_per_1000']:.0f}"
                f" hand {figures['hand.young_per_1000']:.0f}  connections: ours"
                f" {figures['ours.connections']} hand {figures['hand.connections']}"
                f"  tree {figures['tree']}"
            )
        if len(rounds) > 1:
            ours = [r["ours"] / 1000 for r in rounds]
            hand = [r["hand"] / 1000 for r in rounds]
            print(
                f"{label:<16} median (min-max) of {len(rounds)} runs: ours"
                f" {spread(ours, ',.1f', 'k')}  hand {spread(hand, ',.1f', 'k')}"
                f"  ratio {spread(ratios(ours, hand), '.3f', 'x')}"
            )
        print(f"{label:<16} {conditions.text()} (instruction counts do not depend on it)")
        return

    server = _server(args.api)
    try:
        result = asyncio.run(measure(args, server))
    finally:
        server.stop()
    if args.meta:
        with open(args.meta, "w") as f:
            json.dump(result, f)
    else:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
