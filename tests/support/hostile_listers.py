"""Hostile execution listers for settle tests (and the issue-17 measurement).

The shipped fakes (v2 :class:`FakeWorkflowServer`, v3 :class:`FakeDwrServer`) start
and count executions as usual; only their listing and details answers are
reshaped: paging fields spelt or followed differently, other graphs or trigger
executions listed, types, times and the object's spelling in the input changed.

:func:`run_scenario` starts half the objects for real, settles all of them, resends
the ones settled ``not_started``, and counts on the fake's side: wrong
``not_started`` (an object the fake started), wrong ``started`` (one it never
started), objects started twice.

Run ``python -m tests.support.hostile_listers`` for the table of every scenario.
"""

from __future__ import annotations

import asyncio
import json
import unicodedata
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal
from urllib.parse import quote

from aiohttp import web

from obs_workflow_async import AsyncWorkflowClient
from obs_workflow_async._batch.settle import SettleItem
from obs_workflow_async.dwr import AsyncDwrClient
from obs_workflow_async.testing import FakeDwrServer, FakeWorkflowServer
from obs_workflow_async.testing.replies import json_reply
from obs_workflow_async.testing.state import Execution

Api = Literal["v2", "v3"]
JSON = dict[str, Any]
GRAPH = "g"
BUCKET = "media"
PAGE = 5
"""Executions per hostile page (settle asks for 1000; a hostile server need not obey)."""

PAGING_SHAPES = (
    "plain",
    "cursor_without_flag",
    "camel",
    "camel_cursor_only",
    "flag_false_with_cursor",
    "cycle",
    "ignore_cursor",
    "ignore_cursor_fresh",
    "endless",
)
LISTING_SHAPES = (
    "other_graphs",
    "triggercal",
    "type_apicall",
    "type_API",
    "type_ApiCall",
    "type_unknown",
    "zoneless_utc8",
    "epoch_seconds",
    "no_time",
    "graph_case",
)
DETAIL_SHAPES = (
    "detail_extra_fields",
    "detail_text_info",
    "detail_null_time",
    "detail_wrong_types",
    "detail_deep",
    "detail_null_input",
)
"""Details answers reshaped (the listing is plain): what the quick detail reading
reads, and what it must leave to the model."""
SPELLINGS = (
    "plain",
    "url_encoded",
    "event_encoded",
    "nfd",
    "leading_slash",
    "obs_url",
    "capitalised_fields",
    "upper_case_key",
    "key_elsewhere",
)


def _key(index: int) -> str:
    return f"vidéo dir/clip {index}.mp4"  # a space and an accent: encoding and NFC matter


def spelt(spelling: str, bucket: str, key: str) -> JSON:
    """An execution's input naming ``bucket``/``key`` in ``spelling``."""
    if spelling == "url_encoded":
        return {"bucket": bucket, "object": quote(key)}
    if spelling == "event_encoded":
        return {"bucket": {"name": bucket}, "object": {"key": quote(key)}}
    if spelling == "nfd":
        return {"bucket": bucket, "object": unicodedata.normalize("NFD", key)}
    if spelling == "leading_slash":
        return {"bucket": bucket, "object": "/" + key}
    if spelling == "obs_url":
        return {"object": f"obs://{bucket}/{key}"}
    if spelling == "capitalised_fields":
        return {"Bucket": bucket, "Object": key}
    if spelling == "upper_case_key":
        return {"bucket": bucket, "object": key.upper()}
    if spelling == "key_elsewhere":
        return {"bucket": bucket, "object": "thumbs/other.jpg", "inputs": {"source": key}}
    return {"bucket": bucket, "object": key}


@dataclass
class _Paging:
    """The cursors a hostile server handed out (for cycles)."""

    handed: list[str] = field(default_factory=list)


class _Hostile:
    """What both hostile fakes share: the shapes and the per-page rewrite."""

    shape: str
    spelling: str
    paging: _Paging
    store: Any
    list_calls: int

    def _setup(self, shape: str, spelling: str) -> None:
        self.shape = shape
        self.spelling = spelling
        self.paging = _Paging()
        self.list_calls = 0

    def listed(self, graph: str, api_only: bool) -> list[Execution]:
        """What this listing shows, before paging."""
        now = self.store.clock()
        every = [e for e in self.store.executions if e.visible_at <= now]
        if self.shape != "other_graphs":
            every = [e for e in every if e.graph_name == graph]
        if api_only and self.shape != "triggercal":
            every = [e for e in every if e.execution_type == "APICALL"]
        return sorted(every, key=lambda e: e.marker)

    def retime(self, summary: JSON, execution: Execution) -> JSON:
        stamp = datetime.strptime(execution.started_at[:19], "%Y-%m-%dT%H:%M:%S").replace(
            tzinfo=timezone.utc
        )
        if self.shape == "zoneless_utc8":
            local = stamp + timedelta(hours=8)
            summary["started_at"] = local.strftime("%Y-%m-%dT%H:%M:%S")
        elif self.shape == "epoch_seconds":
            summary["started_at"] = int(stamp.timestamp())
        elif self.shape == "no_time":
            summary["started_at"] = ""
        if self.shape == "graph_case" and execution.graph_name == GRAPH:
            urn = str(summary["graph_urn"])
            assert urn.endswith(":graph:" + GRAPH)
            summary["graph_urn"] = urn[: -len(GRAPH)] + GRAPH.upper()  # the graph, in caps
        if self.shape.startswith("type_") and execution.execution_type == "APICALL":
            summary["execution_type"] = {
                "type_apicall": "apicall",
                "type_API": "API",
                "type_ApiCall": "ApiCall",
                "type_unknown": "SCHEDULED",
            }[self.shape]
        return summary

    def cursor_fields(self, body: JSON, cursor_name: str) -> JSON:
        """The paging fields in the hostile spelling."""
        truncated = bool(body.pop("is_truncated", False))
        cursor = body.pop(cursor_name, None)
        if self.shape == "cursor_without_flag":
            if cursor is not None:
                body[cursor_name] = cursor
        elif self.shape == "camel":
            body["isTruncated"] = truncated
            if cursor is not None:
                body[_camel(cursor_name)] = cursor
        elif self.shape == "camel_cursor_only":
            if cursor is not None:
                body[_camel(cursor_name)] = cursor
        elif self.shape == "flag_false_with_cursor":
            body["is_truncated"] = False
            if cursor is not None:
                body[cursor_name] = cursor
        else:
            body["is_truncated"] = truncated
            if cursor is not None:
                body[cursor_name] = cursor
        return body


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class HostileV2(_Hostile, FakeWorkflowServer):
    """The v2 fake with a hostile ``list_executions`` / ``get_execution``."""

    def __init__(self, shape: str = "plain", spelling: str = "plain", **kwargs: Any) -> None:
        FakeWorkflowServer.__init__(self, **kwargs)
        self._setup(shape, spelling)

    async def _answer(
        self, request: web.Request, call: Any, request_id: str, bucket: str | None
    ) -> web.StreamResponse:
        if call.operation not in ("list_executions", "get_execution"):
            return await super()._answer(request, call, request_id, bucket)
        problem = self._auth_problem(request, bucket)
        if problem is not None:
            return self._error_reply(403, problem[0], problem[1], request_id)
        with self._lock:
            if call.operation == "list_executions":
                self.list_calls += 1
                body = self._page(request.query)
            else:
                name = request.path.rstrip("/").rsplit("/", 1)[-1]
                body = self.store.get_execution(self._graph_of(request.path), name)
                self._respell(body)
                body = reshape_detail(body, self.shape, "v2")
        return json_reply(200, body, request_id)

    def _graph_of(self, path: str) -> str:
        """The graph of the execution named last in ``path`` (any graph: a details
        answer that ignores the graph asked for)."""
        name = path.rstrip("/").rsplit("/", 1)[-1]
        return next(e.graph_name for e in self.store.executions if e.execution_name == name)

    def _page(self, query: Mapping[str, str]) -> JSON:
        graph = query.get("x-workflow-graph-name", "")
        marker = query.get("x-workflow-next-marker") or None
        typed = query.get("x-workflow-execution-type") == "APICALL"
        ordered = self.listed(graph, typed)
        if self.shape in ("ignore_cursor", "ignore_cursor_fresh"):
            marker = None
        if self.shape == "endless" and marker is not None:
            return self.cursor_fields(
                {"count": 0, "executions": [], "is_truncated": True, "next_marker": _fresh()},
                "next_marker",
            )
        first = (
            0
            if marker is None
            else next((n for n, e in enumerate(ordered) if e.marker >= marker), len(ordered))
        )
        page = ordered[first : first + PAGE]
        rest = ordered[first + PAGE :]
        body: JSON = {
            "count": len(page),
            # private: the fake's own summary of an execution, re-timed
            "executions": [self.retime(self.store._summary(e), e) for e in page],
            "is_truncated": bool(rest),
        }
        if rest:
            body["next_marker"] = rest[0].marker
        if self.shape == "endless":
            body["is_truncated"], body["next_marker"] = True, _fresh()
        nxt = body.get("next_marker")
        if self.shape == "cycle" and nxt is not None:
            if len(self.paging.handed) >= 2 and nxt not in self.paging.handed:
                body["next_marker"] = self.paging.handed[0]  # A -> B -> A
            elif nxt not in self.paging.handed:
                self.paging.handed.append(nxt)
        if self.shape == "ignore_cursor_fresh" and nxt is not None:
            body["next_marker"] = _fresh()
        return self.cursor_fields(body, "next_marker")

    def _respell(self, body: JSON) -> None:
        info = body.get("execution_info")
        if isinstance(info, dict) and self.shape == "no_time":
            info["started_at"] = ""
        if not isinstance(info, dict) or self.spelling == "plain":
            return
        name = info.get("execution_name")
        execution = next(e for e in self.store.executions if e.execution_name == name)
        info["input"] = json.dumps(spelt(self.spelling, execution.bucket, execution.object_key))


class HostileV3(_Hostile, FakeDwrServer):
    """The v3 fake with a hostile ``list_executions`` / ``get_execution``."""

    def __init__(self, shape: str = "plain", spelling: str = "plain", **kwargs: Any) -> None:
        FakeDwrServer.__init__(self, **kwargs)
        self._setup(shape, spelling)

    async def _answer(
        self, request: web.Request, call: Any, request_id: str, bucket: str | None
    ) -> web.StreamResponse:
        if call.operation not in ("list_executions", "get_execution"):
            return await super()._answer(request, call, request_id, bucket)
        problem = self._auth_problem(request, bucket)
        if problem is not None:
            return self._error_reply(403, problem[0], problem[1], request_id)
        with self._lock:
            if call.operation == "list_executions":
                self.list_calls += 1
                body = self._page(request.query)
            else:
                name = request.path.rstrip("/").rsplit("/", 1)[-1]
                graph = next(
                    e.graph_name for e in self.store.executions if e.execution_name == name
                )
                body = self._detail(graph, name)
                self._respell(body)
                body = reshape_detail(body, self.shape, "v3")
        return json_reply(200, body, request_id)

    def _page(self, query: Mapping[str, str]) -> JSON:
        from obs_workflow_async.testing.dwr_server import _started, _summary

        graph = query.get("graph_name", "")
        offset = int(query.get("offset") or 1)
        start = datetime.fromisoformat(query["start_time"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(query["end_time"].replace("Z", "+00:00"))
        if self.shape in ("ignore_cursor", "ignore_cursor_fresh"):
            offset = 1
        ordered = [e for e in self.listed(graph, False) if start <= _started(e) <= end]
        if self.shape == "endless" and offset > 1:
            # one trigger execution per page, never the same: a listing that goes on
            # for ever without repeating itself (only the page cap stops it)
            endless = {
                "graph_urn": self.store.graph_urn(GRAPH),
                "execution_urn": f"urn:endless:{offset}",
                "started_at": query["start_time"],
                "stopped_at": "",
                "execution_type": "TRIGGERCAL",
                "execution_state": "success",
                "execution_name": f"endless-{offset}",
            }
            return self.cursor_fields(
                {
                    "count": 1,
                    "executions": [endless],
                    "is_truncated": True,
                    "next_offset": offset + 1,
                },
                "next_offset",
            )
        page = ordered[offset - 1 : offset - 1 + PAGE]
        truncated = offset - 1 + PAGE < len(ordered)
        body: JSON = {
            "count": len(ordered),
            "executions": [self.retime(_summary(self.store, e), e) for e in page],
            "is_truncated": truncated,
        }
        if truncated:
            body["next_offset"] = offset + PAGE
        if self.shape == "endless":
            body["is_truncated"], body["next_offset"] = True, offset + len(page)
        if self.shape == "skip_ahead" and truncated:
            body["next_offset"] = offset + PAGE + 2  # two executions never listed a page
        if self.shape == "cycle" and truncated and offset > 1:
            body["next_offset"] = 1  # 1 -> 6 -> 1
        if self.shape == "ignore_cursor_fresh" and truncated:
            self.paging.handed.append("x")
            body["next_offset"] = 1 + PAGE * len(self.paging.handed)
        return self.cursor_fields(body, "next_offset")

    def _respell(self, body: JSON) -> None:
        if self.shape == "no_time":
            body["begin_time"] = ""
            body.pop("started_at", None)
        if self.spelling == "plain":
            return
        execution = next(
            e for e in self.store.executions if e.execution_name == body.get("execution_id")
        )
        body["input"] = spelt(self.spelling, execution.bucket, execution.object_key)


def reshape_detail(body: JSON, shape: str, api: Api) -> JSON:
    """A details answer in one of :data:`DETAIL_SHAPES` (``body`` as the fake gave it)."""
    fields: JSON = body["execution_info"] if api == "v2" else body
    if shape == "detail_extra_fields":
        fields.update({"ünïcode": "値\u00e9", "nested": {"a": [1, {"b": None}]}, "n": 1.5})
    elif shape == "detail_null_time":  # the listing's time is used
        for name in ("started_at", "begin_time"):
            if name in fields:
                fields[name] = None
    elif shape == "detail_wrong_types":  # a field the model refuses: no facts
        if api == "v2":
            fields["execution_type"] = 7
        else:
            fields["node_execution_details"] = [5]
    elif shape == "detail_deep":  # deeper than pydantic's JSON reading takes
        fields["deep"] = json.loads("[" * 300 + "]" * 300)
    elif shape == "detail_null_input":
        fields["input"] = None
    elif shape == "detail_text_info":
        if api == "v2":
            return {"execution_info": json.dumps(fields)}
        info = {
            "execution_name": fields["execution_id"],
            "started_at": fields["begin_time"],
            "execution_type": "APICALL",
            "input": fields["input"],
        }
        return {"execution_info": json.dumps(info)}
    return body


def _fresh() -> str:
    return "APICALL" + uuid.uuid4().hex


@dataclass
class Tally:
    """One scenario's verdicts and the fake's own counts."""

    verdicts: Counter[str]
    wrong_not_started: int
    wrong_started: int
    started_twice: int
    list_requests: int
    finished: bool = True
    complete: bool = False

    def row(self) -> str:
        return (
            f"started={self.verdicts['started']:2} not_started={self.verdicts['not_started']:2} "
            f"unknown={self.verdicts['unknown']:2} wrong_not_started={self.wrong_not_started:2} "
            f"wrong_started={self.wrong_started:2} twice={self.started_twice} "
            f"list_requests={self.list_requests}{'' if self.finished else ' (NEVER ENDED)'}"
        )


def _api_starts(server: _Hostile) -> Counter[str]:
    return Counter(
        e.object_key
        for e in server.store.executions
        if e.graph_name == GRAPH and e.execution_type == "APICALL"
    )


async def run_scenario(
    api: Api,
    shape: str = "plain",
    spelling: str = "plain",
    *,
    items: int = 20,
    max_pages: int | None = None,
    timeout: float | None = None,
) -> Tally:
    """Start half of ``items`` objects for real, settle all of them against the hostile
    lister, resend the ``not_started`` ones, and count on the fake's side."""
    server: _Hostile
    server = HostileV2(shape, spelling) if api == "v2" else HostileV3(shape, spelling)
    keys = [_key(n) for n in range(items)]
    started_keys = keys[::2]
    async with server:  # type: ignore[attr-defined]
        client: Any = (
            AsyncWorkflowClient(**server.client_kwargs(), max_retries=0)  # type: ignore[attr-defined]
            if api == "v2"
            else AsyncDwrClient(**server.dwr_client_kwargs(), max_retries=0)  # type: ignore[attr-defined]
        )
        async with client:
            if api == "v3":
                await client.create_workflow(GRAPH, {})
            since = datetime.now(timezone.utc) - timedelta(seconds=1)
            server.store.seed_executions(GRAPH, 12, started_at=since)  # several pages
            for key in started_keys:
                await client.start_workflow(GRAPH, BUCKET, key)
            for key in keys:  # the others' executions, that no item may count
                if key in started_keys:
                    continue
                if shape == "other_graphs":
                    server.store.start("other", BUCKET, key, None, "rid")
                if shape == "triggercal":
                    server.store.start(GRAPH, BUCKET, key, None, "rid", "TRIGGERCAL")
            until = datetime.now(timezone.utc)
            settle_items = [SettleItem(GRAPH, BUCKET, key, since, until) for key in keys]
            try:
                report = await asyncio.wait_for(
                    client.settle(settle_items, settle_delay=0, wait=False, max_pages=max_pages),
                    timeout,
                )
            except asyncio.TimeoutError:
                # cut short by the caller: the client is still usable
                await client.start_workflow(GRAPH, BUCKET, "after-the-timeout")
                return Tally(Counter(), 0, 0, 0, server.list_calls, finished=False)
            starts = _api_starts(server)
            verdicts = Counter(r.verdict for r in report.results)
            wrong_not = sum(
                1
                for r in report.results
                if r.verdict == "not_started" and starts[r.item.object_key]
            )
            wrong_started = sum(
                1
                for r in report.results
                if r.verdict == "started" and not starts[r.item.object_key]
            )
            for result in report.results:
                if result.verdict == "not_started":
                    await client.start_workflow(GRAPH, BUCKET, result.item.object_key)
            twice = sum(1 for count in _api_starts(server).values() if count > 1)
            return Tally(
                verdicts,
                wrong_not,
                wrong_started,
                twice,
                server.list_calls,
                complete=report.sweeps[GRAPH].complete,
            )


async def _main() -> None:
    scenarios: list[tuple[str, str]] = [(s, "plain") for s in PAGING_SHAPES + LISTING_SHAPES]
    scenarios += [("plain", s) for s in SPELLINGS[1:]]
    for api in ("v2", "v3"):
        for shape, spelling in scenarios:
            tally = await run_scenario(api, shape, spelling, timeout=20)  # type: ignore[arg-type]
            print(f"{api} {shape:22} {spelling:18} {tally.row()}", flush=True)


if __name__ == "__main__":
    asyncio.run(_main())
