#!/usr/bin/env python3
"""Settle CPU and wall time against a hand-written sweep making the same requests.

    .venv/bin/python benchmarks/bench_settle_cpu.py                        # both APIs, both cases
    .venv/bin/python benchmarks/bench_settle_cpu.py --api v3 --case history --rounds 7
    .venv/bin/python benchmarks/bench_settle_cpu.py --inside 20000         # a smaller case (a)
    .venv/bin/python benchmarks/bench_settle_cpu.py --lib ../other-checkout  # another version

1,000 ambiguous items (half of them started, each with a 1-second window) among the
executions of one workflow; two cases:

- ``inside`` (``--inside N``, default 100,000): every execution started during the
  same 100 s as the items (one big batch): the windows cover them all, so every one
  needs its details (N detail requests);
- ``history`` (``--history N``, default 100,000): the other executions are older
  (10 minutes before the items: inside the span a v3 sweep lists, outside every
  window): one sweep of the listing, details only for the 500 started items.

v3 lists at most 1,000 executions per time window (``offset`` at most 1000, pages of
200; a sweep beyond it stops incomplete): its cases hold 1,000 executions.

The fake (``FakeWorkflowServer`` / ``FakeDwrServer``, signatures checked) runs in its
own process (``--serve``), so the CPU measured here (``resource.getrusage``: user +
system of this process) is the client's alone. The clients run interleaved in this
process (library, hand-written, library, ...), ``--rounds`` times each:

- ``obs-workflow-async``: ``client.settle(items, settle_delay=0, concurrency=32)``
  (``max_connections=32``);
- ``hand-written``: aiohttp (32 connections) + ``json.loads``, the same requests (v2:
  pages of 1000 of ``APICALL`` by marker; v3: the same time windows, pages of 200,
  by offset; then one detail request per execution in a window, 32 at once), signed
  by hand; each listed time read with ``datetime.fromisoformat`` and checked against
  the merged windows (service clock from the first page's ``Date``), each detail's
  input read for its bucket and object. No cursor-cycle checks, spellings, types,
  graphs or zone-less times: what a hand-written sweep does.

Printed per API and case: CPU and wall seconds per run (median, min-max), the ratio
of each round's library run to that round's hand-written one (median, min-max), the
requests each made (server-side counts) and wrong verdicts; with the machine's load
average at the start and the end. Quote the median with its spread.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hand_signing import obs_headers, v3_headers

GRAPH = "bench"
BUCKET = "media"
MARGIN = 5.0
CONCURRENCY = 32
V3_SKEW = timedelta(minutes=15)  # AsyncDwrClient's SETTLE_SKEW
V3_WINDOW = timedelta(days=3)


def _use_library(path: str | None) -> None:
    root = Path(path).resolve() if path else Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))


# -- the fake, in its own process ---------------------------------------------------------


def serve(api: str, case: str, executions: int, items: int) -> None:
    """Seed a fake, print what the clients need as one JSON line, serve until stdin closes."""
    from obs_workflow_async.testing import FakeWorkflowServer
    from obs_workflow_async.testing.dwr_server import FakeDwrServer
    from obs_workflow_async.testing.state import now_iso

    server: FakeWorkflowServer
    if api == "v2":
        server = FakeWorkflowServer(record_requests=False)
    else:
        server = _indexed_dwr(FakeDwrServer)(record_requests=False)
    with server.run_in_thread():
        now = datetime.now(timezone.utc).replace(microsecond=0)
        rng = random.Random(7)
        started = items // 2
        spread = 100.0
        if case == "inside":
            base = now - timedelta(seconds=spread)
            chunks = 100
            others = executions - started
            for chunk in range(chunks):
                at = base + timedelta(seconds=spread * chunk / chunks)
                size = others * (chunk + 1) // chunks - others * chunk // chunks
                server.seed_executions(GRAPH, size, started_at=at)
            sinces = [base + timedelta(seconds=rng.uniform(0, spread - 1)) for _ in range(items)]
        else:
            server.seed_executions(
                GRAPH, executions - started, started_at=now - timedelta(minutes=10)
            )
            sinces = [now - timedelta(seconds=1)] * items
        listed = []
        for i in range(items):
            since = sinces[i]
            if i < started:
                execution = server.store.start(GRAPH, BUCKET, f"obj/{i}", None, "bench")
                execution.started_at = now_iso(since + timedelta(milliseconds=500))
            until = since + timedelta(seconds=1)
            listed.append([f"obj/{i}", since.isoformat(), until.isoformat(), i < started])
        server.calls.clear()
        target: dict[str, Any] = {
            "url": server.url,
            "ak": server.access_key_id,
            "sk": server.secret_access_key,
            "pid": getattr(server, "PROJECT_ID", ""),
            "items": listed,
        }
        print(json.dumps(target), flush=True)
        for line in sys.stdin:
            if line.strip() == "calls":
                print(json.dumps(dict(server.calls)), flush=True)
                server.calls.clear()


def _indexed_dwr(base: type[Any]) -> type[Any]:
    """The v3 fake with each time window's listing computed once (the fake scans every
    execution for each page: 500 pages of 100,000 would time the fake, not the client);
    the pages it answers are the same."""

    class Indexed(base):  # type: ignore[misc, valid-type]
        _listings: dict[tuple[object, ...], dict[str, Any]]

        def _executions(self, graph: str, q: Any, offset: int, limit: int) -> Any:
            cache = self.__dict__.setdefault("_listings", {})
            key = (graph, q.get("start_time"), q.get("end_time"), q.get("status"))
            whole = cache.get(key)
            if whole is None:
                whole = cache[key] = super()._executions(graph, q, 1, 10**9)
            every = whole["executions"]
            first = offset - 1
            body: dict[str, Any] = {
                "count": len(every),
                "is_truncated": first + limit < len(every),
                "executions": every[first : first + limit],
            }
            if body["is_truncated"]:
                body["next_offset"] = offset + limit
            return body

    return Indexed


class Server:
    def __init__(self, api: str, case: str, executions: int, items: int, lib: str | None) -> None:
        args = [sys.executable, __file__, "--serve", api, case, str(executions), str(items)]
        if lib:
            args += ["--lib", lib]
        self.process = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.target: dict[str, Any] = json.loads(self.process.stdout.readline())

    def calls(self) -> dict[str, int]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("calls\n")
        self.process.stdin.flush()
        counts: dict[str, int] = json.loads(self.process.stdout.readline())
        return counts

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


# -- the items ------------------------------------------------------------------------------


class Item:
    def __init__(self, key: str, since: str, until: str, started: bool) -> None:
        self.key = key
        self.since = datetime.fromisoformat(since)
        self.until = datetime.fromisoformat(until)
        self.started = started


def _items(target: dict[str, Any]) -> list[Item]:
    return [Item(*entry) for entry in target["items"]]


# -- the library ----------------------------------------------------------------------------


async def run_library(api: str, target: dict[str, Any], items: list[Item]) -> int:
    """The library's settle; returns the wrong verdicts."""
    from obs_workflow_async._batch.settle import SettleItem

    settle_items = [SettleItem(GRAPH, BUCKET, i.key, i.since, i.until, key=i) for i in items]
    if api == "v2":
        from obs_workflow_async import AsyncWorkflowClient

        client: Any = AsyncWorkflowClient(
            server=target["url"],
            access_key_id=target["ak"],
            secret_access_key=target["sk"],
            max_connections=CONCURRENCY,
        )
    else:
        from obs_workflow_async.dwr import AsyncDwrClient

        client = AsyncDwrClient(
            endpoint=target["url"],
            project_id=target["pid"],
            access_key_id=target["ak"],
            secret_access_key=target["sk"],
            max_connections=CONCURRENCY,
        )
    async with client:
        report = await client.settle(
            settle_items, settle_delay=0, margin=MARGIN, concurrency=CONCURRENCY
        )
    return sum(
        r.verdict != ("started" if r.item.key.started else "not_started") for r in report.results
    )


# -- the hand-written sweep ---------------------------------------------------------------


class Windows:
    """Merged windows on the service's clock, as epoch seconds, for bisect."""

    def __init__(self, spans: Sequence[tuple[float, float]]) -> None:
        merged: list[list[float]] = []
        for low, high in sorted(spans):
            if merged and low <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], high)
            else:
                merged.append([low, high])
        self.lows = [m[0] for m in merged]
        self.highs = [m[1] for m in merged]

    def __contains__(self, moment: float) -> bool:
        at = bisect.bisect_right(self.lows, moment) - 1
        return at >= 0 and moment <= self.highs[at]


def _offset(date: str | None, sent: float, received: float) -> float:
    if not date:
        return 0.0
    return parsedate_to_datetime(date).timestamp() - (sent + received) / 2


def _time(text: object) -> float | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _decode(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


class Sweep:
    """Lists, keeps the executions in a window, fetches their details, matches."""

    def __init__(self, items: list[Item]) -> None:
        self.items = items
        self.found: list[str] = []
        self.by_object = {(BUCKET, i.key): i for i in items}
        self.proof: dict[str, float] = {}
        self.windows: Windows | None = None
        self.item_spans: dict[str, tuple[float, float]] = {}

    def set_offset(self, offset: float) -> None:
        spans = []
        for item in self.items:
            span = (
                item.since.timestamp() + offset - MARGIN,
                item.until.timestamp() + offset + MARGIN,
            )
            self.item_spans[item.key] = span
            spans.append(span)
        self.windows = Windows(spans)

    def take(self, executions: object) -> None:
        assert self.windows is not None
        if not isinstance(executions, list):
            return
        for execution in executions:
            moment = _time(execution.get("started_at"))
            if moment is None or moment in self.windows:
                self.found.append(execution["execution_name"])

    def detail(self, data: dict[str, Any]) -> None:
        info = _decode(data.get("execution_info", data))
        if not isinstance(info, dict):
            return
        payload = _decode(info.get("input"))
        if not isinstance(payload, dict):
            return
        item = self.by_object.get((payload.get("bucket"), payload.get("object")))
        moment = _time(info.get("started_at") or info.get("begin_time"))
        if item is None or moment is None:
            return
        low, high = self.item_spans[item.key]
        if low <= moment <= high:
            self.proof[item.key] = moment

    def wrong(self) -> int:
        return sum((i.key in self.proof) != i.started for i in self.items)


async def _details(sweep: Sweep, fetch: Callable[[str], Awaitable[dict[str, Any]]]) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(name: str) -> None:
        async with gate:
            data = await fetch(name)
        sweep.detail(data)

    await asyncio.gather(*(one(name) for name in dict.fromkeys(sweep.found)))


async def hand_v2(target: dict[str, Any], items: list[Item]) -> int:
    import aiohttp

    url, ak = target["url"], target["ak"]
    key = target["sk"].encode()
    host = url.split("://", 1)[1]
    sweep = Sweep(items)
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def get(path: str, query: list[tuple[str, str]]) -> tuple[Any, str | None]:
            signed = "&".join(f"{k}={v}" for k, v in sorted(query))
            headers = obs_headers(ak, key, "GET", f"{path}?{signed}", host, content_type=False)
            text = "&".join(f"{k}={quote(v, safe='')}" for k, v in query)
            async with session.get(f"{url}{path}?{text}", headers=headers) as response:
                body = await response.read()
                if response.status != 200:
                    raise RuntimeError(f"{response.status} {body[:200]!r}")
                return json.loads(body), response.headers.get("Date")

        marker: str | None = None
        while True:
            query = [
                ("x-workflow-graph-name", GRAPH),
                ("x-workflow-limit", "1000"),
                ("x-workflow-execution-type", "APICALL"),
            ]
            if marker:
                query.append(("x-workflow-next-marker", marker))
            sent = time.time()
            page, date = await get("/v2/workflowexecutions", query)
            if sweep.windows is None:
                sweep.set_offset(_offset(date, sent, time.time()))
            sweep.take(page.get("executions"))
            marker = page.get("next_marker")
            if not marker:
                break

        async def fetch(name: str) -> dict[str, Any]:
            data, _ = await get(
                f"/v2/workflowexecutions/{name}", [("x-workflow-graph-name", GRAPH)]
            )
            return data  # type: ignore[no-any-return]

        await _details(sweep, fetch)
    return sweep.wrong()


def _v3_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


async def hand_v3(target: dict[str, Any], items: list[Item]) -> int:
    import aiohttp

    url, ak, pid = target["url"], target["ak"], target["pid"]
    key = target["sk"].encode()
    host = url.split("://", 1)[1]
    sweep = Sweep(items)
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def get(path: str, query: list[tuple[str, str]]) -> tuple[Any, str | None]:
            text = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(query))
            headers = v3_headers(ak, key, "GET", path, host, pid, query=text, user_agent=None)
            async with session.get(f"{url}{path}?{text}", headers=headers) as response:
                body = await response.read()
                if response.status != 200:
                    raise RuntimeError(f"{response.status} {body[:200]!r}")
                return json.loads(body), response.headers.get("Date")

        pad = timedelta(seconds=MARGIN)
        low = min(i.since for i in items) - pad - V3_SKEW
        high = max(i.until for i in items) + pad + V3_SKEW
        start = low
        while True:
            end = min(start + V3_WINDOW, high)
            offset: int | None = None
            while True:
                query = [
                    ("graph_name", GRAPH),
                    ("limit", "200"),
                    ("start_time", _v3_time(start)),
                    ("end_time", _v3_time(end)),
                ]
                if offset is not None:
                    query.append(("offset", str(offset)))
                sent = time.time()
                page, date = await get(f"/v3/{pid}/workflowexecutions", query)
                if sweep.windows is None:
                    sweep.set_offset(_offset(date, sent, time.time()))
                sweep.take(page.get("executions"))
                offset = page.get("next_offset")
                if offset is None or not page.get("is_truncated"):
                    break
            if end >= high:
                break
            start = end

        async def fetch(name: str) -> dict[str, Any]:
            data, _ = await get(f"/v3/{pid}/workflows/{GRAPH}/workflowexecution/{name}", [])
            return data  # type: ignore[no-any-return]

        await _details(sweep, fetch)
    return sweep.wrong()


# -- measurement ------------------------------------------------------------------------------


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_text() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


Runner = Callable[[dict[str, Any], list[Item]], Awaitable[int]]


def measure(runner: Runner, server: Server, items: list[Item]) -> dict[str, Any]:
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    wrong = asyncio.run(runner(server.target, items))  # type: ignore[arg-type]
    cpu, wall = cpu_seconds() - cpu0, time.perf_counter() - wall0
    calls = server.calls()
    return {"cpu": cpu, "wall": wall, "wrong": wrong, "calls": calls}


def _spread(values: Sequence[float], unit: str = "", digits: int = 2) -> str:
    return (
        f"{statistics.median(values):.{digits}f}{unit} "
        f"({min(values):.{digits}f}-{max(values):.{digits}f})"
    )


V3_MOST = 1000
"""The most executions a v3 sweep can list in one time window: ``offset`` is at most
1000 (the DWR reference), pages hold 200; beyond it the sweep stops incomplete."""


def run_case(
    api: str, case: str, executions: int, items: int, rounds: int, lib: str | None
) -> None:
    if api == "v3" and executions > V3_MOST:
        executions = V3_MOST
    load_before = load_text()

    async def library(target: dict[str, Any], listed: list[Item]) -> int:
        return await run_library(api, target, listed)

    clients: dict[str, Runner] = {
        "obs-workflow-async": library,
        "hand-written": hand_v2 if api == "v2" else hand_v3,
    }
    warm = Server(api, "history", 400, 20, lib)  # imports, models built on first use
    try:
        for runner in clients.values():
            measure(runner, warm, _items(warm.target))
    finally:
        warm.stop()
    server = Server(api, case, executions, items, lib)
    settle_items = _items(server.target)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in clients}
    try:
        for _ in range(rounds):
            for name, runner in clients.items():
                runs[name].append(measure(runner, server, settle_items))
    finally:
        server.stop()
    load_after = load_text()
    print(
        f"\n{api} settle, case {case}: {items:,} items among {executions:,} executions; "
        f"{rounds} rounds interleaved; fake in its own process; {os.cpu_count()} CPUs; "
        f"Python {sys.version.split()[0]}\nload average (1/5/15 min) {load_before} at start, "
        f"{load_after} at end"
    )
    base = runs["hand-written"]
    header = (
        f"{'client':<20}{'CPU s median (min-max)':>26}{'wall s median (min-max)':>26}"
        f"{'CPU ratio':>20}{'wall ratio':>20}{'requests':>22}{'wrong':>7}"
    )
    print(header)
    print("-" * len(header))
    for name, done in runs.items():
        cpu = [r["cpu"] for r in done]
        wall = [r["wall"] for r in done]
        cpu_ratio = [r["cpu"] / b["cpu"] for r, b in zip(done, base, strict=True)]
        wall_ratio = [r["wall"] / b["wall"] for r, b in zip(done, base, strict=True)]
        calls = done[-1]["calls"]
        requests = (
            f"{calls.get('list_executions', 0)} list + {calls.get('get_execution', 0)} detail"
        )
        print(
            f"{name:<20}{_spread(cpu):>26}{_spread(wall):>26}{_spread(cpu_ratio, 'x'):>20}"
            f"{_spread(wall_ratio, 'x'):>20}{requests:>22}{max(r['wrong'] for r in done):>7}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", choices=("v2", "v3"), action="append")
    parser.add_argument("--case", choices=("inside", "history"), action="append")
    parser.add_argument("--inside", type=int, default=100_000, help="executions, case inside")
    parser.add_argument("--history", type=int, default=100_000, help="executions, case history")
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--lib", help="the checkout whose obs_workflow_async to measure")
    parser.add_argument("--serve", nargs=4, metavar=("API", "CASE", "EXECUTIONS", "ITEMS"))
    args = parser.parse_args()
    _use_library(args.lib)
    if args.serve:
        api, case, executions, items = args.serve
        serve(api, case, int(executions), int(items))
        return
    for api in args.api or ["v2", "v3"]:
        for case in args.case or ["history", "inside"]:
            count = args.inside if case == "inside" else args.history
            run_case(api, case, count, args.items, args.rounds, args.lib)


if __name__ == "__main__":
    main()
