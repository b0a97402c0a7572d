#!/usr/bin/env python3
"""The promise, measured: no start that may have happened is reported as safe to resend,
and nothing waits forever. Prints one row per hostile case with server-side counts: the
bad outcomes and the seconds taken as the median (min-max) over the rounds
(``--rounds``, cases interleaved round by round in alternating order), the bad count of
every round and the detail of the worst, with the machine's load average at the start
and the end, its CPU count and the Python version.

    .venv/bin/python benchmarks/bench_promise.py            # every case
    .venv/bin/python benchmarks/bench_promise.py --quick    # smaller counts

Runs against whatever ``obs_workflow_async`` is importable (so the same script can be
pointed at an older checkout with ``PYTHONPATH``); it uses only the public API that
has existed since the first release (``start_many``, ``StartOutcome.ambiguous``,
``TransportError.request_sent``, hooks). Cases:

- ``answers``: the hostile service of ``tests/support/hostile_server.py`` answers each
  class (4xx, 429/503, every other 5xx, 3xx, 2xx bodies that do not parse, drops,
  hangs); a "resume" resends every failure the batch called definite. Reported: the
  objects the service started twice.
- ``cancel``: calls queued behind 2 pooled connections under ``asyncio.wait_for``
  timeouts, with a hook installed. Reported: exceptions other than
  ``CancelledError``/``TimeoutError``, and ``call_started`` events without a
  ``call_finished``.
- ``connect``: a connect that never completes (a listener whose accept queue is full)
  with a float ``timeout=``. Reported: errors saying the request may have been sent.
- ``idle``: a server that closes idle keep-alive connections after 2 s (gunicorn's
  default), called by lanes that pause about 2 s between starts, with the client's
  default ``keepalive_timeout``. Reported: ambiguous starts, and how many of those the
  server never received.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import web
from harness import Conditions, print_table, round_order, spread

from obs_workflow_async import AsyncWorkflowClient, StartRequest, TransportError
from tests.support.hostile_server import CASES, HostileServer


def _client(url: str, **kwargs: Any) -> AsyncWorkflowClient:
    return AsyncWorkflowClient(server=url, access_key_id="AK", secret_access_key="SK", **kwargs)


async def answers(per_case: int) -> dict[str, Any]:
    async with HostileServer() as server:
        keys = [f"{case}/{n}" for case in sorted(CASES) for n in range(per_case)]
        items = [StartRequest(graph_name="g", bucket="media", object_key=k) for k in keys]
        async with _client(server.url, timeout=0.5, max_retries=1) as client:
            outcomes = await client.start_all(items, concurrency=32)
            definite = [o.request for o in outcomes if not o.ok and not o.ambiguous]
            await client.start_all([r for r in definite if r is not None], concurrency=32)
        twice = Counter(k.split("/")[0] for k, n in server.acted.items() if n > 1)
    worst = sorted(twice.items(), key=lambda kv: -kv[1])[:6]
    return {
        "case": "answers",
        "sent": len(keys),
        "bad": sum(twice.values()),
        "detail": ", ".join(f"{c}: {n}/{per_case}" for c, n in worst) or "-",
    }


async def cancel(calls: int) -> dict[str, Any]:
    from obs_workflow_async.testing import FakeWorkflowServer, Fault

    kinds: Counter[str] = Counter()

    def hook(event: Any) -> None:
        kinds[event.kind] += 1

    escaped: Counter[str] = Counter()
    async with FakeWorkflowServer(record_requests=False) as server:
        server.add_fault(Fault("delay", delay=0.002), times=None)
        async with AsyncWorkflowClient(
            **server.client_kwargs(), max_connections=2, hooks=[hook]
        ) as client:

            async def one(i: int) -> None:
                try:
                    await asyncio.wait_for(
                        client.start_workflow("g", "media", f"k{i}"), 0.001 + (i % 7) * 0.001
                    )
                except (asyncio.CancelledError, asyncio.TimeoutError):
                    pass
                except Exception as exc:  # the failure being measured
                    escaped[type(exc).__name__] += 1

            await asyncio.gather(*(one(i) for i in range(calls)))
    unfinished = kinds["call_started"] - kinds["call_finished"]
    return {
        "case": "cancel",
        "sent": calls,
        "bad": sum(escaped.values()) + unfinished,
        "detail": f"escaped {dict(escaped) or 0}; call_started without call_finished {unfinished}",
    }


async def connect(calls: int) -> dict[str, Any]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(16):  # more than the queue holds: every later connect hangs
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    sent = 0
    how: Counter[str] = Counter()
    try:
        async with _client(f"http://127.0.0.1:{port}", timeout=0.3, max_retries=0) as client:
            results = await asyncio.gather(
                *(client.start_workflow("g", "media", f"k{i}") for i in range(calls)),
                return_exceptions=True,
            )
        said_sent = [r for r in results if isinstance(r, TransportError) and r.request_sent]
        sent = len(said_sent)
        how = Counter(r.message for r in said_sent)
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
    detail = f"errors saying the request may have been sent {dict(how) or ''}"
    return {"case": "connect", "sent": calls, "bad": sent, "detail": detail}


async def idle(lanes: int, rounds: int) -> dict[str, Any]:
    received: Counter[str] = Counter()

    async def start(request: web.Request) -> web.Response:
        body = await request.json()
        received[body["object"]] += 1
        return web.json_response(
            {"execution_urn": "urn:x", "execution_name": "e", "started_at": "2026-01-01T00:00:00Z"}
        )

    app = web.Application()
    app.router.add_post("/v2/workflows/{graph}", start)
    runner = web.AppRunner(app, keepalive_timeout=2.0)  # gunicorn's default idle time
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    ambiguous: list[str] = []
    try:
        async with _client(f"http://127.0.0.1:{port}", max_retries=0) as client:

            async def lane(n: int) -> None:
                for r in range(rounds):
                    key = f"{n}/{r}"
                    try:
                        await client.start_workflow("g", "media", key)
                    except TransportError as error:
                        if error.request_sent:
                            ambiguous.append(key)
                    await asyncio.sleep(1.97 + (n % 7) * 0.01)

            await asyncio.gather(*(lane(n) for n in range(lanes)))
    finally:
        await runner.cleanup()
    never = sum(1 for key in ambiguous if received[key] == 0)
    return {
        "case": "idle",
        "sent": lanes * rounds,
        "bad": len(ambiguous),
        "detail": f"ambiguous starts; {never} of them never reached the server",
    }


async def timed(job: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    began = time.perf_counter()
    row = await job()
    return {**row, "seconds": time.perf_counter() - began}


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One case over the rounds: bad counts and seconds as median (min-max), and the
    detail of the worst round (the most bad starts)."""
    worst = max(rows, key=lambda row: row["bad"])
    return {
        "case": worst["case"],
        "sent": worst["sent"],  # the same every round
        "bad": spread((row["bad"] for row in rows), ",.0f"),
        "per_round": " ".join(str(row["bad"]) for row in rows),
        "seconds": spread((row["seconds"] for row in rows), ".2f"),
        "detail": worst["detail"],
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["answers", "cancel", "connect", "idle"])
    parser.add_argument(
        "--rounds",
        "--repeat",
        type=int,
        default=3,
        help="rounds, cases interleaved in each; median (min-max) printed",
    )
    args = parser.parse_args()
    scale = 1 if args.quick else 3
    jobs: dict[str, Callable[[], Awaitable[dict[str, Any]]]] = {
        "answers": lambda: answers(10 * scale),
        "cancel": lambda: cancel(1000 * scale),
        "connect": lambda: connect(50),
        "idle": lambda: idle(40, 3 * scale),
    }
    chosen = [name for name in jobs if not args.only or name == args.only]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in chosen}
    conditions = Conditions()
    for round_number in range(args.rounds):
        for name in round_order(chosen, round_number):
            runs[name].append(await timed(jobs[name]))
    conditions.end()
    print(
        f"median (min-max) of {args.rounds} rounds, cases interleaved (order alternating); "
        f"detail: the worst round\n{conditions.text()}\n"
    )
    print_table(
        [
            ("case", "case", 8),
            ("sent", "starts", 8),
            ("bad", "bad", 14),
            ("per_round", "bad per round", 16),
            ("seconds", "seconds", 20),
            ("detail", " detail", 0),
        ],
        [summary(rows) for rows in runs.values()],
    )


if __name__ == "__main__":
    asyncio.run(main())
