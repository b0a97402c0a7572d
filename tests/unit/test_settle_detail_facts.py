"""Property: the quick reading of an execution's details (``json.loads`` and the fields a
settle verdict needs) gives exactly the facts the typed detail model gives, for both
APIs' models, whatever the body: it reads a body only when the model takes it as it
is, and leaves every other one to the model (which reads it, or refuses it with its
usual error). So a settle verdict is never one the model's reading would not give."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from obs_workflow_async._batch.settle_detail import (
    _NODE_FIELDS,
    _STATE_RUN_FIELDS,
    _V2_RULES,
    _V3_RULES,
    DetailFacts,
    detail_reader,
    facts_of,
    quick_facts,
    shape_of,
)
from obs_workflow_async._batch.settle_json import MAX_DEPTH
from obs_workflow_async._core.answers import parse_model
from obs_workflow_async._pipeline import RawResponse
from obs_workflow_async.dwr.results import DwrExecutionDetail, DwrNodeExecution
from obs_workflow_async.errors import ResponseParseError
from obs_workflow_async.models import ExecutionDetail
from obs_workflow_async.models._executions import StateRun

MODELS: dict[str, type[ExecutionDetail]] = {"v2": ExecutionDetail, "v3": DwrExecutionDetail}
BASE = datetime(2026, 12, 3, 10, 0, 0, tzinfo=timezone.utc)


# -- bodies -------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
    st.sampled_from(["", "é", "\u0000", "\ud7ff", "\U0001f600", "null", "{}", "[1]"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
seconds = st.integers(min_value=-200, max_value=200)
times = st.one_of(
    st.builds(
        lambda s, z: (BASE + timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%S") + z,
        seconds,
        st.sampled_from(["Z", "", ".123Z", ".5", "+08:00", " UTC"]),
    ),
    st.builds(lambda s: int((BASE + timedelta(seconds=s)).timestamp() * 1000), seconds),
    st.builds(lambda s: str(int((BASE + timedelta(seconds=s)).timestamp())), seconds),
    st.sampled_from(["", "garbage", "2026-13-45T99:99:99Z", None, 1.5, True, [], {}]),
)
targets = st.fixed_dictionaries(
    {"bucket": st.sampled_from(["media", "other", ""]), "object": st.text(max_size=6)},
    optional={"inputs": json_values, "Bucket": st.just("media")},
)
inputs = st.one_of(targets, targets.map(json.dumps), json_values, st.just("not json {"))
ok_texts = st.one_of(st.text(max_size=8), st.none())
texts = st.one_of(ok_texts, ok_texts, ok_texts, scalars, json_values)
"""Mostly what a text field should hold, sometimes anything."""
state_runs = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "state_name": st.one_of(ok_texts, ok_texts, texts),
            "status": st.one_of(ok_texts, ok_texts, texts),
            "type": st.one_of(ok_texts, ok_texts, texts),
            "started_at": times,
            "input": json_values,
            "extra": json_values,
        },
    ),
    json_values,
)
state_map_dicts = st.dictionaries(st.text(max_size=3), state_runs, max_size=3)
state_maps = st.one_of(st.none(), state_map_dicts, state_map_dicts, json_values)
node_lists = st.lists(
    st.one_of(
        st.none(),
        st.fixed_dictionaries(
            {},
            optional={
                "status": texts,
                "begin_time": times,
                "input": json_values,
                "error_message": texts,
            },
        ),
        json_values,
    ),
    max_size=3,
)
nodes = st.one_of(st.none(), node_lists, node_lists, json_values)
types = st.one_of(
    st.sampled_from(["APICALL", "apicall", "TRIGGERCAL", "", "SCHEDULED"]), st.none(), scalars
)
urns = st.one_of(
    st.sampled_from(["urn:fss:r:p:graph:g", "urn:fss:r:p:workflow:default:g:latest", ""]),
    texts,
)
v2_fields = {
    "execution_name": st.one_of(*[st.text(min_size=1, max_size=6)] * 4, texts),
    "execution_state": st.one_of(st.sampled_from(["RUNNING", "SUCCESS", ""]), texts),
    "execution_type": types,
    "execution_urn": texts,
    "graph_urn": urns,
    "started_at": times,
    "stopped_at": times,
    "start_state": texts,
    "input": inputs,
    "state_map": state_maps,
    "request_id": texts,
    "headers": json_values,
    "retries_taken": json_values,
    "created_by": types,
    "begin_time": times,
    "execution_info": st.one_of(st.none(), json_values, st.just('{"started_at": "x"}')),
    "an_extra_field": json_values,
    "ünïcode": json_values,
}
v3_fields = {
    **v2_fields,
    "execution_id": st.one_of(st.text(min_size=1, max_size=6), texts),
    "workflow_id": texts,
    "workflow_urn": urns,
    "status": st.one_of(st.sampled_from(["running", "success", "fail"]), texts),
    "end_time": times,
    "output": json_values,
    "last_update_time": times,
    "execution_headers": json_values,
    "node_execution_details": nodes,
}


def _plain(fields: dict[str, Any], rare: set[str]) -> st.SearchStrategy[dict[str, Any]]:
    """A dict of ``fields`` (each optional), the ``rare`` ones seldom present."""
    common = {k: v for k, v in fields.items() if k not in rare}
    seldom = {k: v for k, v in fields.items() if k in rare}
    return st.builds(
        lambda a, b, keep: {**a, **(b if keep else {})},
        st.fixed_dictionaries({}, optional=common),
        st.fixed_dictionaries({}, optional=seldom),
        st.booleans(),
    )


RARE = {"execution_info", "request_id", "headers", "retries_taken", "begin_time", "ünïcode"}


def _named(fields: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Mostly with an ``execution_name`` (the v2 model requires one)."""
    name = st.one_of(st.just({}), *[st.fixed_dictionaries({"execution_name": st.text()})] * 3)
    return st.builds(lambda n, f: {**n, **f}, name, fields)


TAME = {
    **{name: ok_texts for name in ("execution_state", "execution_urn", "start_state")},
    "execution_name": st.text(max_size=6),
    "execution_type": st.one_of(ok_texts, st.sampled_from(["APICALL", "TRIGGERCAL"])),
    "graph_urn": st.one_of(ok_texts, urns.filter(lambda u: u is None or type(u) is str)),
    "state_map": st.one_of(st.none(), st.dictionaries(st.text(max_size=3), st.none())),
}
"""Values every detail model takes as they are (the others of ``v2_fields`` vary)."""


def _v2_bodies() -> st.SearchStrategy[Any]:
    info = _named(_plain(v2_fields, RARE))
    tame = _named(_plain({**v2_fields, **TAME}, RARE))
    return st.one_of(
        tame.map(lambda i: {"execution_info": i}),
        tame.map(lambda i: {"execution_info": i}),
        info.map(lambda i: {"execution_info": i}),
        info.map(lambda i: {"execution_info": json.dumps(i)}),
        st.builds(lambda i, top: {"execution_info": i, **top}, info, _plain(v2_fields, RARE)),
        info,
        json_values,
    )


def _v3_bodies() -> st.SearchStrategy[Any]:
    flat = _plain(v3_fields, RARE)
    tame = _plain({**v3_fields, **TAME}, RARE)
    return st.one_of(tame, flat, flat.map(lambda i: {"execution_info": i}), _v2_bodies())


def _texts(bodies: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """The body as JSON text, sometimes spoilt: trailing text, NaN, a lone surrogate
    escape, a byte-order mark, bytes that are not UTF-8, nesting past the limit."""

    def spoil(body: Any, ascii_only: bool, how: str) -> bytes:
        text = json.dumps(body, ensure_ascii=ascii_only)
        if how == "trailing":
            text += " x"
        elif how == "spaces":
            text = " \n" + text + " \t\r\n"
        elif how == "nan" and text.endswith("}") and text != "{}":
            text = text[:-1] + ', "nan": NaN}'
        elif how == "surrogate" and text.endswith("}") and text != "{}":
            text = text[:-1] + ', "s": "\\udc80"}'
        elif how == "bom":
            text = "\ufeff" + text
        elif how == "deep" and text.endswith("}") and text != "{}":
            depth = MAX_DEPTH + 60
            text = text[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}"
        elif how == "shallow" and text.endswith("}") and text != "{}":
            depth = MAX_DEPTH - 10
            text = text[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}"
        data = text.encode("utf-8", "surrogatepass")
        if how == "latin1":
            data += b"\xff"
        return data

    hows = st.sampled_from(
        ["plain"] * 12
        + ["trailing", "spaces", "nan", "surrogate", "bom", "deep", "shallow", "latin1"]
    )
    return st.builds(spoil, bodies, st.booleans(), hows)


# -- the two readings ---------------------------------------------------------------------


def _raw(body: bytes, request_id: str | None) -> RawResponse:
    headers = {"Content-Type": "application/json", "Date": "Thu, 03 Dec 2026 10:00:00 GMT"}
    return RawResponse(200, "OK", headers, body, request_id)


def _model_facts(model: type[ExecutionDetail], raw: RawResponse) -> DetailFacts | None:
    try:
        return facts_of(parse_model(model, raw))
    except ResponseParseError:
        return None


def _same(a: object, b: object) -> bool:
    """Equal values of the same types all the way down (``True`` is not ``1``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)  # type: ignore[attr-defined]
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))  # type: ignore[arg-type]
    if isinstance(a, datetime):
        return a == b and a.utcoffset() == b.utcoffset()  # type: ignore[attr-defined]
    return a == b


def _check(api: str, body: bytes, request_id: str | None) -> None:
    model = MODELS[api]
    raw = _raw(body, request_id)
    context: dict[str, object] = {"headers": raw.headers, "retries_taken": 0}
    if request_id is not None:
        context["request_id"] = request_id
    quick = quick_facts(body, shape_of(model), context)
    full = _model_facts(model, raw)
    event(f"{api}: {'quick' if quick is not None else 'model'} ({'ok' if full else 'refused'})")
    if quick is not None:
        assert full is not None, "read quickly a body the model refuses"
        assert _same(tuple(quick), tuple(full)), (quick, full)
    reader = detail_reader(model)
    if full is None:
        with pytest.raises(ResponseParseError):
            reader(raw)
    else:
        assert _same(tuple(reader(raw)), tuple(full))


@settings(max_examples=300, deadline=None)
@given(_texts(_v2_bodies()), st.sampled_from([None, "rid"]))
def test_v2_quick_facts_are_the_models(body: bytes, request_id: str | None) -> None:
    _check("v2", body, request_id)


@settings(max_examples=300, deadline=None)
@given(_texts(_v3_bodies()), st.sampled_from([None, "rid"]))
def test_v3_quick_facts_are_the_models(body: bytes, request_id: str | None) -> None:
    _check("v3", body, request_id)


# -- the shapes the services send are read quickly ----------------------------------------


def _v2_detail(**changes: object) -> dict[str, Any]:
    info: dict[str, Any] = {
        "graph_urn": "urn:fgs:r:p:graph:g",
        "execution_urn": "urn:fgs:r:p:execution:g:e1",
        "started_at": "2026-12-03T10:00:00.123Z",
        "stopped_at": "",
        "execution_type": "APICALL",
        "execution_state": "RUNNING",
        "execution_name": "e1",
        "start_state": "start",
        "state_map": {"start": {"state_name": "start", "status": "SUCCESS", "type": "NOOP"}},
        "input": json.dumps({"bucket": "media", "object": "a/b.mp4", "inputs": None}),
    }
    info.update(changes)
    return {"execution_info": info}


def _v3_detail(**changes: object) -> dict[str, Any]:
    body: dict[str, Any] = {
        "workflow_id": "g",
        "workflow_urn": "urn:fss:r:p:workflow:default:g:latest",
        "execution_id": "e1",
        "status": "running",
        "headers": {},
        "created_by": "APICALL",
        "input": {"bucket": "media", "object": "a/b.mp4", "inputs": None},
        "output": None,
        "begin_time": "2026-12-03T10:00:00Z",
        "end_time": "",
        "last_update_time": "2026-12-03T10:00:00Z",
        "node_execution_details": [{"status": "running", "begin_time": 1796292000000}],
    }
    body.update(changes)
    return body


@pytest.mark.parametrize(
    ("api", "body"),
    [
        ("v2", _v2_detail()),
        ("v2", _v2_detail(extra_field={"any": [1, 2]}, input={"bucket": "media"})),
        ("v3", _v3_detail()),
        ("v3", _v2_detail()),
        ("v3", _v3_detail(created_by=None, begin_time=1796292000000)),
    ],
)
@pytest.mark.parametrize("request_id", [None, "rid"])
def test_the_common_shapes_are_read_quickly(
    api: str, body: dict[str, Any], request_id: str | None
) -> None:
    model = MODELS[api]
    raw = _raw(json.dumps(body).encode(), request_id)
    context = {"headers": raw.headers, "retries_taken": 0, "request_id": request_id}
    quick = quick_facts(raw.body, shape_of(model), {k: v for k, v in context.items() if v})
    assert quick is not None
    assert _same(tuple(quick), tuple(facts_of(parse_model(model, raw))))


@pytest.mark.parametrize(
    ("api", "body", "why"),
    [
        ("v2", _v2_detail(execution_name=5), "a number where the model takes text"),
        ("v2", _v2_detail(state_map={"s": {"status": 1}}), "a state the model refuses"),
        ("v2", _v2_detail(execution_type=["APICALL"]), "a list for a type"),
        ("v2", {"execution_info": [1]}, "execution_info not an object"),
        ("v2", {"execution_info": _v2_detail()["execution_info"], "x": 1}, "a field beside it"),
        ("v3", _v3_detail(node_execution_details=[1]), "a node the model refuses"),
        ("v3", _v3_detail(status=7), "a state number the model refuses"),
    ],
)
def test_a_body_the_quick_reading_is_not_sure_of_goes_to_the_model(
    api: str, body: dict[str, Any], why: str
) -> None:
    model = MODELS[api]
    raw = _raw(json.dumps(body).encode(), "rid")
    context = {"headers": raw.headers, "retries_taken": 0, "request_id": "rid"}
    quick = quick_facts(raw.body, shape_of(model), context)
    if why == "a field beside it":  # the model merges it: read quickly, as the model does
        assert quick is not None
        assert _same(tuple(quick), tuple(facts_of(parse_model(model, raw))))
        return
    assert quick is None, why
    reader = detail_reader(model)
    try:
        expected: object = facts_of(parse_model(model, raw))
    except ResponseParseError:
        with pytest.raises(ResponseParseError):
            reader(raw)
        return
    assert _same(tuple(reader(raw)), tuple(expected))  # type: ignore[arg-type]


def test_deep_nesting_goes_to_the_model_and_costs_no_recursion() -> None:
    depth = 100_000  # past the recursion limit of json.loads and of pydantic's reading
    body = '{"execution_info": {"execution_name": "e", "input": ' + "[" * depth
    body += "]" * depth + "}}"
    raw = _raw(body.encode(), "rid")
    shape = shape_of(ExecutionDetail)
    assert quick_facts(raw.body, shape, {"headers": {}, "retries_taken": 0}) is None
    with pytest.raises(ResponseParseError):
        detail_reader(ExecutionDetail)(raw)


def test_every_field_of_the_models_has_a_rule() -> None:
    """A field added to a detail model must get a rule here (until then, a body
    holding it goes to the model: ``_never``)."""
    assert set(ExecutionDetail.model_fields) == set(_V2_RULES)
    assert set(DwrExecutionDetail.model_fields) == set(_V3_RULES)
    assert set(StateRun.model_fields) == _STATE_RUN_FIELDS
    assert set(DwrNodeExecution.model_fields) == _NODE_FIELDS
