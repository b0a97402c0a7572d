"""Settling through the quick readings (a listing page read at once or item by item
without a typed summary, details read with ``json``) against the full ones (every page
and every detail read by the typed models), end to end over HTTP: the same hostile
listings (times in every form, near the windows' edges; names repeated within and
across pages; types, graphs and fields mistyped or missing; null items) must give
the same verdicts, execution names and reasons."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import pytest
from aiohttp import web

from obs_workflow_async import SettleItem
from obs_workflow_async._batch import settle_detail, settle_filter
from tests.support.scripted_server import api_client

Api = Literal["v2", "v3"]
UTC = timezone.utc
JSON = dict[str, Any]


def _form(rng: random.Random, moment: datetime) -> object:
    utc = moment.astimezone(UTC)
    plus8 = moment.astimezone(timezone(timedelta(hours=8)))
    minus530 = moment.astimezone(timezone(-timedelta(hours=5, minutes=30)))
    digits = rng.choice(["", "1", "12", "123", "123456", "1234567", "123456789", "1234567890"])
    fraction = f".{digits}" if digits else ""
    return rng.choice(
        [
            utc.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z",
            utc.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z",
            utc.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z",
            utc.strftime("%Y-%m-%dT%H:%M:%S") + "+00:00",
            plus8.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
            minus530.strftime("%Y-%m-%dT%H:%M:%S-05:30"),
            utc.strftime("%Y-%m-%dT%H:%M:%S"),  # no zone
            utc.strftime("%Y-%m-%d %H:%M:%SZ"),
            utc.strftime("%Y-%m-%dt%H:%M:%Sz"),
            utc.strftime("%Y-%m-%dT%H:%MZ"),  # no seconds
            utc.strftime("%Y-%m-%dT23:59:60Z"),
            int(utc.timestamp() * 1000),
            str(int(utc.timestamp())),
            "",
            None,
            "soon",
        ]
    )


def _page_item(rng: random.Random, now: datetime, index: int) -> object:
    if rng.random() < 0.03:
        return None  # a null item (dropped)
    moment = now - timedelta(seconds=rng.uniform(-20, 140))
    item: JSON = {
        "execution_name": f"e{rng.randrange(40)}",
        "started_at": _form(rng, moment),
    }
    for field, values in (
        ("execution_type", ["APICALL", "apicall", "TRIGGERCAL", "", None, "SCHEDULED"]),
        ("graph_urn", ["urn:fss:r:p:graph:g", "urn:fss:r:p:graph:other", "G", None, ""]),
        ("execution_state", ["RUNNING", "success", "", None]),
        ("stopped_at", ["", None, "2026-12-04T13:00:00Z"]),
        ("extra", [{"nested": [1, {"a": None}]}, "ü\u00e9", 1.5]),
    ):
        if rng.random() < 0.6:
            item[field] = rng.choice(values)
    return item


class Listing:
    """Pages of hostile items (fixed by ``seed``), and details naming ``k0`` to ``k7``."""

    def __init__(self, api: Api, seed: int) -> None:
        self.api = api
        rng = random.Random(seed)
        self.now = datetime.now(UTC)
        self.pages = [
            [_page_item(rng, self.now, n) for n in range(rng.randrange(0, 30))]
            for _ in range(rng.randrange(1, 5))
        ]
        self.inputs = {f"e{n}": f"k{rng.randrange(8)}" for n in range(40)}
        self.types = {f"e{n}": rng.choice(["APICALL", None, "TRIGGERCAL"]) for n in range(40)}
        self.times = {
            f"e{n}": _form(rng, self.now - timedelta(seconds=rng.uniform(-20, 140)))
            for n in range(40)
        }

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path.rstrip("/")
        marker = "/workflowexecution/" if self.api == "v3" else "/workflowexecutions/"
        if marker in path:
            name = path.rsplit("/", 1)[-1]
            fields = {
                "execution_type": self.types.get(name),
                "input": {"bucket": "b", "object": self.inputs.get(name, "z")},
            }
            if self.api == "v2":
                info = {"execution_name": name, "started_at": self.times.get(name), **fields}
                return web.json_response({"execution_info": info})
            return web.json_response(
                {"execution_id": name, "begin_time": self.times.get(name), **fields}
            )
        query = request.query
        raw = query.get("x-workflow-next-marker") or query.get("offset") or "1"
        index = int(raw.strip("m")) - 1
        body: JSON = {"count": len(self.pages[index]), "executions": self.pages[index]}
        if index + 1 < len(self.pages):
            body["is_truncated"] = True
            if self.api == "v2":
                body["next_marker"] = f"m{index + 2}"
            else:
                body["next_offset"] = index + 2
        else:
            body["is_truncated"] = False
        return web.json_response(body)


async def _serve(listing: Listing) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", listing.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def _verdicts(listing: Listing) -> list[tuple[object, ...]]:
    now = listing.now
    items = [
        SettleItem(
            "g", "b", f"k{n}", now - timedelta(seconds=60 + 10 * n), now - timedelta(seconds=40)
        )
        for n in range(8)
    ]
    async for url in _serve(listing):
        client = api_client(listing.api, url, max_retries=0)
        async with client:
            report = await asyncio.wait_for(
                client.settle(items, wait=False, settle_delay=0, margin=2), 10
            )
        return [(r.verdict, r.execution_names, r.reason) for r in report.results]
    raise AssertionError("unreachable")


@pytest.mark.parametrize("api", ["v2", "v3"])
@pytest.mark.parametrize("seed", range(12))
async def test_quick_and_full_readings_give_the_same_verdicts(
    api: Api, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    listing = Listing(api, seed)
    quick = await _verdicts(listing)
    monkeypatch.setattr(settle_filter, "read_listing", lambda *args: None)
    monkeypatch.setattr(settle_detail, "quick_facts", lambda *args: None)
    full = await _verdicts(listing)
    assert quick == full
