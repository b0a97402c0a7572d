"""A 2xx start answer is a start; times in any form; lists tolerate null (issue 9.2)."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from obs_workflow_async import AsyncWorkflowClient, ResponseParseError, models
from obs_workflow_async._pipeline import RawResponse
from obs_workflow_async.errors import may_have_started
from obs_workflow_async.models import (
    ExecutionDetail,
    ExecutionPage,
    ExecutionState,
    StartWorkflowResult,
)
from obs_workflow_async.models._answers import parse_answer
from obs_workflow_async.models._base import OptionalAwareDatetime, parse_timestamp

T = datetime(2020, 4, 23, 13, 37, 43, tzinfo=timezone.utc)
DATE = "Thu, 23 Apr 2020 13:37:43 GMT"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-04-23T13:37:43Z", T),
        ("2020-04-23T13:37:43.847Z", T.replace(microsecond=847000)),
        ("2020-04-23T13:37:43.123456789Z", T.replace(microsecond=123456)),
        ("2020-04-23T13:37:43", T),
        ("2020-04-23 13:37:43", T),
        ("2020-04-23T21:37:43+08:00", T),
        ("2020-04-23T21:37:43+0800", T),
        ("2020-04-23T13:37:43 UTC", T),
        ("2020-04-23", T.replace(hour=0, minute=0, second=0)),
        (DATE, T),
        ("Thu, 23 Apr 2020 21:37:43 +0800", T),
        ("2020/04/23 13:37:43", T),
        ("2020/4/23 13:37:43", T),
        (1587649063000, T),
        ("1587649063000", T),
        (1587649063000.0, T),
        ("1587649063847", T.replace(microsecond=847000)),
    ],
)
def test_times_in_every_form(text: object, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected and parsed is not None and parsed.tzinfo is not None


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        " ",
        "yesterday",
        "2020-13-45T00:00:00Z",
        "9" * 30,
        True,
        [],
        {},
        float("nan"),
        10**30,
        "2020-04-23T13:37:43Z" + "x" * 100,
    ],
)
def test_unreadable_times_are_none(value: object) -> None:
    assert parse_timestamp(value) is None


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(2200, 1, 1),
        timezones=st.just(timezone.utc),
    )
)
def test_every_written_form_reads_back(moment: datetime) -> None:
    whole = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    assert parse_timestamp(whole.isoformat()) == whole
    assert parse_timestamp(whole.isoformat().replace("+00:00", "Z")) == whole
    assert parse_timestamp(whole.strftime("%Y/%m/%d %H:%M:%S")) == whole.replace(microsecond=0)
    assert parse_timestamp(format_datetime(whole, usegmt=True)) == whole.replace(microsecond=0)
    millis = round(whole.timestamp() * 1000)
    assert parse_timestamp(millis) == parse_timestamp(str(millis)) == whole


TIME_FIELDS = [
    (model, name)
    for model in (getattr(models, name) for name in models.__all__)  # lazy exports
    if isinstance(model, type) and issubclass(model, models.ResponseModel)
    for name, info in model.model_fields.items()
    if info.annotation is not None and "datetime" in str(info.annotation)
]


def test_every_time_field_uses_the_one_timestamp_type() -> None:
    assert len(TIME_FIELDS) >= 10
    for model, name in TIME_FIELDS:
        assert list(model.model_fields[name].metadata) == list(OptionalAwareDatetime.__metadata__)


REQUIRED: dict[str, Any] = {
    "execution_name": "e",
    "template_name": "t",
    "name": "n",
    "graph_name": "g",
    "id": "r",
}


@pytest.mark.parametrize(("model", "name"), TIME_FIELDS)
@pytest.mark.parametrize(
    "value", ["2020-04-23T13:37:43Z", DATE, "2020/04/23 13:37:43", 1587649063000, "1587649063000"]
)
def test_every_result_model_reads_every_time_form(model: type, name: str, value: object) -> None:
    body = {k: v for k, v in REQUIRED.items() if k in model.model_fields}  # type: ignore[attr-defined]
    parsed = model.model_validate({**body, name: value})  # type: ignore[attr-defined]
    assert getattr(parsed, name) == T


def _parse(body: bytes, headers: dict[str, str] | None = None, status: int = 200) -> Any:
    return parse_answer(
        StartWorkflowResult, RawResponse(status, None, headers or {}, body, "rid", 0)
    )


@pytest.mark.parametrize(
    "started_at",
    [
        "",
        '"started_at": null,',
        '"started_at": "",',
        '"started_at": "soon",',
        '"started_at": 12.5e300,',
        '"started_at": {},',
    ],
)
def test_a_start_without_a_usable_time_takes_the_date_header(started_at: str) -> None:
    body = ("{" + started_at + '"execution_name": "e", "execution_urn": "u"}').encode()
    result = _parse(body, {"Date": DATE})
    assert result.execution_name == "e" and result.started_at == T
    assert _parse(body).started_at is None  # no Date either: None, still a result
    assert _parse(body, {"Date": "garbage"}).started_at is None


def test_the_body_time_wins_over_the_date_header() -> None:
    body = b'{"execution_name": "e", "started_at": "2021-01-01T00:00:00Z"}'
    assert _parse(body, {"Date": DATE}).started_at == datetime(2021, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("body", "name", "urn"),
    [
        (b'{"execution_name": "e"}', "e", None),
        (b'{"execution_urn": "u"}', None, "u"),
        (b'{"execution_name": "", "execution_urn": "u"}', None, "u"),
        (b'{"execution_name": 12, "execution_urn": null}', "12", None),
    ],
)
def test_either_name_or_urn_makes_a_result(body: bytes, name: str | None, urn: str | None) -> None:
    result = _parse(body)
    assert (result.execution_name, result.execution_urn) == (name, urn)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html>ok</html>",
        b"{}",
        b'{"execution_name": null, "execution_urn": ""}',
        b"[]",
        b'{"execution_name": "e", "execution_urn": "u", "started_at": "2020-04-2',
        b"null",
        b'{"started_at": "2020-04-23T13:37:43Z"}',
    ],
)
@pytest.mark.parametrize("status", [200, 201, 204])
def test_a_2xx_with_no_usable_body_may_have_started(body: bytes, status: int) -> None:
    with pytest.raises(ResponseParseError) as caught:
        _parse(body, status=status)
    assert "may have started" in str(caught.value)
    assert may_have_started(caught.value) and caught.value.status == status


async def _serve(routes: dict[str, Any]) -> web.AppRunner:
    app = web.Application()
    for path, answer in routes.items():
        app.router.add_route("*", path, answer)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


def _url(runner: web.AppRunner) -> str:
    host, port = runner.addresses[0][:2]  # the bound port (site.name shows 0 on aiohttp 3.10)
    return f"http://{host}:{port}"


async def test_a_real_start_answer_without_started_at_uses_the_servers_date() -> None:
    async def start(request: web.Request) -> web.Response:
        return web.json_response(
            {"execution_name": "e1", "execution_urn": "u1"}, headers={"Date": DATE}
        )

    runner = await _serve({"/v2/workflows/g": start})
    try:
        async with AsyncWorkflowClient(
            server=_url(runner), access_key_id="a", secret_access_key="b"
        ) as client:
            result = await client.start_workflow("g", "bkt", "k")
    finally:
        await runner.cleanup()
    assert result.execution_name == "e1" and result.started_at == T


async def test_null_lists_and_empty_states_never_stop_iteration() -> None:
    pages = [
        {
            "executions": [
                {"execution_name": "a", "execution_state": ""},
                None,
                {
                    "execution_name": "b",
                    "execution_state": None,
                    "started_at": "",
                    "execution_type": "",
                },
                {"execution_name": "c"},
            ],
            "is_truncated": True,
            "next_marker": "m1",
        },
        {"executions": None, "is_truncated": None, "next_marker": None},
    ]
    calls: list[str | None] = []

    async def listing(request: web.Request) -> web.Response:
        marker = request.query.get("x-workflow-next-marker")
        calls.append(marker)
        return web.json_response(pages[0 if marker is None else 1])

    runner = await _serve({"/v2/workflowexecutions": listing})
    try:
        async with AsyncWorkflowClient(
            server=_url(runner), access_key_id="a", secret_access_key="b"
        ) as client:
            items = [e async for e in client.iter_executions("g")]
    finally:
        await runner.cleanup()
    assert [e.execution_name for e in items] == ["a", "b", "c"]
    assert calls == [None, "m1"]
    assert all(e.execution_state is ExecutionState.UNKNOWN for e in items)
    assert not any(e.is_terminal for e in items)
    assert items[1].execution_type is None and items[1].started_at is None


def test_detail_with_null_state_map_and_items_missing_optional_fields() -> None:
    detail = ExecutionDetail.model_validate_json(
        b'{"execution_info": {"execution_name": "e", "execution_state": "", "state_map": null,'
        b' "input": null}}'
    )
    assert detail.state_map == {} and detail.execution_state == ExecutionState.UNKNOWN
    detail = ExecutionDetail.model_validate_json(
        b'{"execution_info": "{\\"execution_name\\": \\"e\\", \\"state_map\\": {\\"s\\": null,'
        b' \\"t\\": {}}}"}'
    )
    assert list(detail.state_map) == ["t"] and detail.state_map["t"].status is None
    page = ExecutionPage.model_validate_json(b'{"count": null, "executions": null}')
    assert page.executions == [] and page.is_truncated is False


@pytest.mark.parametrize(
    ("model", "body", "expected"),
    [
        (
            models.WorkflowPage,
            b'{"graphs": null, "is_truncated": null}',
            {"graphs": [], "is_truncated": False},
        ),
        (models.TemplatePage, b'{"templates": null}', {"templates": []}),
        (
            models.TriggerPolicy,
            b'{"rules": [null, {"id": "r", "events": null}]}',
            {"rules": [{"id": "r", "events": []}]},
        ),
    ],
)
def test_other_lists_tolerate_null(model: type, body: bytes, expected: dict[str, object]) -> None:
    """A null list reads as empty (and a null item of a list is dropped)."""
    parsed = model.model_validate_json(body)  # type: ignore[attr-defined]
    dumped = parsed.model_dump(include=set(expected))
    if "rules" in expected:
        dumped["rules"] = [{"id": r["id"], "events": r["events"]} for r in dumped["rules"]]
    assert dumped == expected


def test_state_unknown_is_not_terminal_and_compares_to_blank() -> None:
    assert ExecutionState("") is ExecutionState.UNKNOWN and ExecutionState.UNKNOWN == ""
    assert not ExecutionState.UNKNOWN.is_terminal
