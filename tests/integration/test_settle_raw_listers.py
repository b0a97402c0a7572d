"""Settling (v2 and v3) against raw hostile listers (plain ``aiohttp.web`` handlers, no
fake state): start times written in odd forms, a service clock hours off this
machine's, pages that fail or never end. The execution is always there, named by its
input with the item's bucket and object, started inside the item's window: the
verdict must be ``started`` or ``unknown``, never ``not_started``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any, Literal

import pytest
from aiohttp import web

from obs_workflow_async import SettleItem
from tests.support.scripted_server import api_client

Api = Literal["v2", "v3"]
UTC = timezone.utc
JSON = dict[str, Any]
Pages = Callable[[web.Request, datetime], object]
"""A listing answer: a JSON body, raw bytes, or a response (given the request and
the service's clock)."""


class RawLister:
    """One graph ``g`` whose listing ``pages`` answers; every execution's details name
    bucket ``b``, object ``k`` and start at ``started`` (as written)."""

    def __init__(self, api: Api, pages: Pages, started: object, skew: timedelta) -> None:
        self.api, self.pages, self.started, self.skew = api, pages, started, skew
        self.list_calls = 0
        self.date: Callable[[datetime], str] = lambda now: format_datetime(now, usegmt=True)
        """The ``Date`` header written for the service's clock ``now``."""
        self.input: object = None
        """The details' input (``None``: the item's bucket and object)."""
        self.misrouted: str | None = None
        """Answer every details call with this other execution's details (naming
        another object), as a proxy that mixes answers up would."""

    def now(self) -> datetime:
        return datetime.now(UTC) + self.skew

    async def handle(self, request: web.Request) -> web.StreamResponse:
        headers = {"Date": self.date(self.now())}
        path = request.path.rstrip("/")
        detail = "/workflowexecution/" if self.api == "v3" else "/workflowexecutions/"
        if detail in path:
            name = path.rsplit("/", 1)[-1]
            key = "k"
            if self.misrouted is not None:
                name, key = self.misrouted, "other"
            named = {"bucket": "b", "object": key} if self.input is None else self.input
            body: object = (
                {
                    "execution_info": {
                        "execution_name": name,
                        "execution_type": "APICALL",
                        "started_at": self.started,
                        "input": json.dumps(named),
                    }
                }
                if self.api == "v2"
                else {
                    "execution_id": name,
                    "begin_time": self.started,
                    "input": named,
                }
            )
            return web.json_response(body, headers=headers)
        self.list_calls += 1
        answer = self.pages(request, self.now())
        if isinstance(answer, web.StreamResponse):
            return answer
        if isinstance(answer, bytes):
            return web.Response(body=answer, content_type="application/json", headers=headers)
        return web.json_response(answer, headers=headers)


async def _serve(lister: RawLister) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", lister.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def settle(
    api: Api,
    pages: Pages,
    started: object,
    *,
    skew: timedelta = timedelta(0),
    misrouted: str | None = None,
    **kwargs: Any,
) -> tuple[str, str, RawLister]:
    """The verdict (and its reason) on one item whose window is the last minute but 40
    seconds, against ``pages``."""
    lister = RawLister(api, pages, started, skew)
    lister.misrouted = misrouted
    verdict, reason = await _settle_with(lister, **kwargs)
    return verdict, reason, lister


async def _settle_with(lister: RawLister, **kwargs: Any) -> tuple[str, str]:
    """:func:`settle` against ``lister``."""
    api = lister.api
    now = datetime.now(UTC)
    item = SettleItem("g", "b", "k", now - timedelta(seconds=60), now - timedelta(seconds=40))
    async for url in _serve(lister):
        client = api_client(api, url, max_retries=0)
        async with client:
            report = await asyncio.wait_for(
                client.settle([item], wait=False, settle_delay=0, **kwargs), 10
            )
        result = report.results[0]
        return result.verdict, result.reason
    raise AssertionError("unreachable")


@pytest.fixture(params=["v2", "v3"])
def api(request: pytest.FixtureRequest) -> Api:
    name: Api = request.param
    return name


def _one(started: object) -> Pages:
    """A listing of one API execution of ``g`` started at ``started`` (as written)."""

    def pages(request: web.Request, now: datetime) -> JSON:
        execution = {
            "execution_name": "e1",
            "execution_type": "APICALL",
            "graph_urn": "urn:fss:r:p:graph:g",
            "started_at": started,
        }
        return {"count": 1, "executions": [execution], "is_truncated": False}

    return pages


def _written(moment: datetime, form: str) -> object:
    utc = moment.astimezone(UTC)
    if form == "minute":
        return utc.strftime("%Y-%m-%dT%H:%MZ")
    if form == "minute_plus8":
        return moment.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M+08:00")
    if form == "hour":
        return utc.strftime("%Y-%m-%d %H+00:00")
    if form == "date":
        return utc.strftime("%Y-%m-%dZ")
    if form == "rfc_minute":
        return utc.strftime("%a, %d %b %Y %H:%M GMT")
    if form == "java_cst":  # Date.toString() on a machine in China
        china = moment.astimezone(timezone(timedelta(hours=8)))
        return china.strftime("%a %b %d %H:%M:%S CST %Y")
    raise AssertionError(form)


@pytest.mark.parametrize(
    "form", ["minute", "minute_plus8", "hour", "date", "rfc_minute", "java_cst"]
)
async def test_a_coarse_or_ambiguous_start_time_never_gives_not_started(
    api: Api, form: str
) -> None:
    moment = datetime.now(UTC) - timedelta(seconds=50)  # inside the window
    written = _written(moment, form)
    verdict, reason, _ = await settle(api, _one(written), written)
    assert verdict in ("started", "unknown"), (written, reason)


def _filtered(started: str) -> Pages:
    """:func:`_one`, honouring v3's ``start_time``/``end_time`` filter (in the
    service's clock, as the service reads it)."""
    moment = datetime.fromisoformat(started.replace("Z", "+00:00"))
    every = _one(started)

    def pages(request: web.Request, now: datetime) -> object:
        query = request.query
        if "start_time" in query:
            low = datetime.fromisoformat(query["start_time"].replace("Z", "+00:00"))
            high = datetime.fromisoformat(query["end_time"].replace("Z", "+00:00"))
            if not low <= moment <= high:
                return {"count": 0, "executions": [], "is_truncated": False}
        return every(request, now)

    return pages


@pytest.mark.parametrize("hours", [-3.0, -0.5, 0.5, 3.0])
async def test_a_service_clock_hours_off_never_gives_not_started(api: Api, hours: float) -> None:
    """The service's clock (its ``Date`` and its start times) ``hours`` off this
    machine's: v2 lists everything and shifts the windows by the measured offset; v3's
    listing is asked for time windows, which must then cover the shifted windows (or
    the sweep must say it could not)."""
    skew = timedelta(hours=hours)
    moment = datetime.now(UTC) - timedelta(seconds=50) + skew  # the service's clock
    written = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    verdict, reason, _ = await settle(api, _filtered(written), written, skew=skew)
    assert verdict in ("started", "unknown"), reason
    if api == "v2":
        assert verdict == "started"


async def test_details_of_another_execution_never_give_not_started(api: Api) -> None:
    """The details asked for ``e1`` answer for ``e0`` (another object): a mixed-up
    answer says nothing of ``e1``, whose input may name the item's object."""
    moment = datetime.now(UTC) - timedelta(seconds=50)
    written = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    verdict, reason, _ = await settle(api, _one(written), written, misrouted="e0")
    assert verdict == "unknown", reason


async def test_a_date_header_in_a_shared_zone_name_never_gives_not_started(api: Api) -> None:
    """``Date`` must be GMT; a server in China writing its local time as ``CST``
    (+08:00, which ``email.utils`` reads as US Central, -06:00) must not move the
    windows 14 hours away from the start times (written in UTC)."""
    moment = datetime.now(UTC) - timedelta(seconds=50)
    written = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    lister = RawLister(api, _filtered(written), written, timedelta(0))
    china = timezone(timedelta(hours=8))
    lister.date = lambda now: now.astimezone(china).strftime("%a, %d %b %Y %H:%M:%S CST")
    verdict, reason = await _settle_with(lister)
    assert verdict in ("started", "unknown"), reason


@pytest.mark.parametrize("shape", ["text", "text_in_object"])
async def test_an_input_of_json_text_nested_beyond_the_stack_gives_a_verdict(
    api: Api, shape: str
) -> None:
    """The details' input is JSON text (settling decodes it) nested deeper than
    Python's recursion limit: the input does not tell (``unknown``), not a
    ``RecursionError`` out of ``settle``."""
    moment = datetime.now(UTC) - timedelta(seconds=50)
    written = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    lister = RawLister(api, _one(written), written, timedelta(0))
    deep = "[" * 100_000 + "]" * 100_000
    lister.input = deep if shape == "text" else {"input": deep}
    verdict, reason = await _settle_with(lister)
    assert verdict == "unknown", reason
