#!/usr/bin/env python3
"""The per-start CPU parts of both APIs against hand-written equivalents (micro-benchmarks).

    .venv/bin/python benchmarks/bench_start_parts.py              # 7 repeats of 20,000 calls
    .venv/bin/python benchmarks/bench_start_parts.py --number 5000 --repeat 5
    .venv/bin/python benchmarks/bench_start_parts.py --only v3.sign --calls 20000  # callgrind

Each part is timed with ``timeit`` (``number`` calls per repeat) and reported as the
median, minimum and maximum microseconds per call over the repeats, next to the
hand-written code doing the same job (what a minimal aiohttp client would write:
``formatdate`` + HMAC, ``json.dumps``, ``json.loads``). These figures depend far less on
the machine's load than the end-to-end ``bench_cpu*.py`` ratios (no sockets, no event
loop, no other process), but a loaded machine still stretches them: the load average
is printed at the start and the end. For a load-independent figure, count instructions:

    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python benchmarks/bench_start_parts.py --only v2.start --calls 2000

(``--calls N`` runs the part N times once, without timing; compare the instruction
counts of two checkouts with the same N, minus a ``--calls 0`` run for start-up.)

Parts, for ``v2`` (``AsyncWorkflowClient``) and ``v3`` (``AsyncDwrClient``):

- ``sign``: the signed headers of a start (the dialect's ``headers``), against the
  hand-written date + string-to-sign + HMAC + header dict.
- ``body``: validation + request body + request spec of a start (each API's
  ``start_spec``, the step its client runs per start), against ``json.dumps``;
  ``body+inputs`` with three workflow inputs.
- ``parse``: a 200 start answer into a ``StartWorkflowResult`` (``parse_answer``; the
  same function for both APIs), against ``json.loads``.
- ``start``: one whole ``start_workflow`` call through a transport that answers at once
  (no sockets), against the sum of the hand-written parts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import timeit
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from hand_signing import obs_headers, v3_headers
from multidict import CIMultiDict, CIMultiDictProxy

from obs_workflow_async import AsyncWorkflowClient
from obs_workflow_async._pipeline import RawResponse, RequestSpec
from obs_workflow_async.credentials import Credentials
from obs_workflow_async.dwr import AsyncDwrClient
from obs_workflow_async.dwr.resources import executions as v3_executions
from obs_workflow_async.models import StartWorkflowResult
from obs_workflow_async.transport import Answer
from obs_workflow_async.v2.resources import executions

AK, SK = "AKIDEXAMPLEBENCH0001", "secret-key-for-the-bench-0123456789"
PID = "0123456789abcdef0123456789abcdef"
GRAPH, BUCKET, KEY = "bench-graph", "bench-bucket", "objects/0000001.mp4"
INPUTS = {"quality": "high", "width": 1920, "tags": ["a", "b"]}
ANSWER = (
    b'{"execution_urn": "urn:fgs:cn-north-4:0123456789abcdef:function:default:'
    b'bench-graph:0001", "execution_name": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", '
    b'"started_at": "2026-12-03T17:28:50.123Z"}'
)
HEADERS = CIMultiDictProxy(
    CIMultiDict(
        {
            "Server": "OBS",
            "Date": "Thu, 03 Dec 2026 17:28:50 GMT",
            "Content-Type": "application/json",
            "Content-Length": str(len(ANSWER)),
            "Connection": "keep-alive",
            "x-request-id": "0000018C2B3A4D5E6F7081929AB0C1D2",
        }
    )
)
CREDS = Credentials(AK, SK)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"


# -- hand-written equivalents --------------------------------------------------------------


def hand_v2_sign() -> dict[str, str]:
    return obs_headers(AK, SK.encode(), "POST", f"/v2/workflows/{GRAPH}", "obs.example.com")


def hand_v3_sign(body: bytes = b'{"bucket": "bench-bucket", "object": "k"}') -> dict[str, str]:
    return v3_headers(
        AK,
        SK.encode(),
        "POST",
        f"/v3/{PID}/workflows/{GRAPH}/execute",
        "dwr.example.com",
        PID,
        body,
    )


def hand_body() -> bytes:
    return json.dumps({"bucket": BUCKET, "object": KEY}).encode()


def hand_body_inputs() -> bytes:
    return json.dumps({"bucket": BUCKET, "object": KEY, "inputs": INPUTS}).encode()


def hand_parse() -> object:
    return json.loads(ANSWER)


# -- ours ------------------------------------------------------------------------------------


class NullTransport:
    """Answers every request at once with a 200 start answer (signing it first)."""

    closed = False

    async def open(self) -> None:
        pass

    async def send(self, request: Any, timeout: Any, deadline_at: float | None) -> Answer:
        request.sign()
        return Answer(200, "OK", HEADERS, ANSWER)

    async def aclose(self) -> None:
        pass


def v2_client() -> AsyncWorkflowClient:
    return AsyncWorkflowClient(
        server="https://obs.example.com",
        access_key_id=AK,
        secret_access_key=SK,
        transport=NullTransport(),  # type: ignore[arg-type]
    )


def v3_client() -> AsyncDwrClient:
    return AsyncDwrClient(
        endpoint="https://dwr.example.com",
        project_id=PID,
        access_key_id=AK,
        secret_access_key=SK,
        transport=NullTransport(),  # type: ignore[arg-type]
    )


def v3_body(client: AsyncDwrClient, inputs: object) -> Callable[[], object]:
    """Validation + body + request spec of a v3 start: what the client runs per start
    (``start_spec`` of the client's ``DwrCalls``), like ``v2.body``'s ``start_spec``."""
    step = v3_executions.start_spec(client._dwr)
    return lambda: step(GRAPH, BUCKET, KEY, inputs)


def parser(client: AsyncWorkflowClient) -> Callable[[Any, RawResponse], object]:
    """The client's answer parsing: a function now, a method on older checkouts."""
    from obs_workflow_async.models import _answers as _base_client

    function: Callable[[Any, RawResponse], object] | None = getattr(
        _base_client, "parse_answer", None
    )
    return function if function is not None else client._parse


def parts() -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    """name -> (ours, hand-written)."""
    v2, v3 = v2_client(), v3_client()
    v2_dialect = v2._core.pipeline._dialect
    v3_dialect = v3._core.pipeline._dialect
    body = hand_body()
    v2_spec = RequestSpec("POST", f"v2/workflows/{GRAPH}", (), body, operation="start_workflow")
    v3_spec = RequestSpec(
        "POST", f"v3/{PID}/workflows/{GRAPH}/execute", (), body, operation="start_workflow"
    )
    raw = RawResponse(200, "OK", HEADERS, ANSWER, "0000018C2B3A4D5E6F7081929AB0C1D2")
    now = datetime.now
    utc = timezone.utc
    loop = asyncio.new_event_loop()
    parse = parser(v2)

    def hand_start_v2() -> object:
        hand_body()
        hand_v2_sign()
        return hand_parse()

    def hand_start_v3() -> object:
        hand_v3_sign(hand_body())
        return hand_parse()

    def v2_start() -> object:
        return loop.run_until_complete(v2.start_workflow(GRAPH, BUCKET, KEY))

    def v3_start() -> object:
        return loop.run_until_complete(v3.start_workflow(GRAPH, BUCKET, KEY))

    return {
        "v2.sign": (lambda: v2_dialect.headers(v2_spec, now(utc), CREDS), hand_v2_sign),
        "v2.body": (lambda: executions.start_spec(GRAPH, BUCKET, KEY, None), hand_body),
        "v2.body+inputs": (
            lambda: executions.start_spec(GRAPH, BUCKET, KEY, INPUTS),
            hand_body_inputs,
        ),
        "v2.parse": (lambda: parse(StartWorkflowResult, raw), hand_parse),
        "v2.start": (v2_start, hand_start_v2),
        "v3.sign": (lambda: v3_dialect.headers(v3_spec, now(utc), CREDS), hand_v3_sign),
        "v3.body": (v3_body(v3, None), hand_body),
        "v3.body+inputs": (v3_body(v3, INPUTS), hand_body_inputs),
        "v3.parse": (lambda: parse(StartWorkflowResult, raw), hand_parse),
        "v3.start": (v3_start, hand_start_v3),
    }


def per_call(func: Callable[[], object], number: int, repeat: int) -> list[float]:
    timer = timeit.Timer(func)
    return [t / number * 1e6 for t in timer.repeat(repeat=repeat, number=number)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20000, help="calls per repeat")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", default="", help="comma-separated part names")
    parser.add_argument(
        "--calls", type=int, default=None, help="run the --only parts N times, untimed"
    )
    parser.add_argument("--hand", action="store_true", help="with --calls: the hand-written")
    args = parser.parse_args()
    table = parts()
    names = [n for n in args.only.split(",") if n] or list(table)
    if args.calls is not None:
        for name in names:
            func = table[name][1 if args.hand else 0]
            for _ in range(args.calls):
                func()
        return
    print(f"{load()} at start; Python {sys.version.split()[0]}")
    print(f"{'part':<16}{'ours us':>10}{'min-max':>16}{'hand us':>10}{'min-max':>16}{'ratio':>8}")
    for name in names:
        ours_f, hand_f = table[name]
        ours_f(), hand_f()  # warm the caches
        ours = per_call(ours_f, args.number, args.repeat)
        hand = per_call(hand_f, args.number, args.repeat)
        om, hm = statistics.median(ours), statistics.median(hand)
        print(
            f"{name:<16}{om:>10.2f}{f'{min(ours):.2f}-{max(ours):.2f}':>16}"
            f"{hm:>10.2f}{f'{min(hand):.2f}-{max(hand):.2f}':>16}{om / hm:>7.2f}x"
        )
    print(f"{load()} at end")


if __name__ == "__main__":
    main()
