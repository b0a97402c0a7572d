"""Property: a listing page read at once (``read_uniform``: every item's fields checked
over the whole page, every start time in the common form with ``Z`` read by
``datetime.fromisoformat``, the windows checked over the page first) gives exactly what
the full reading gives: the same start times and spans as the summary model, the same
executions kept by a sweep, the same order flag; any page it is not sure of is read
item by item (or by the model, with its error).

Times are generated near the common form and then spoiled (a month or day out of
range, a lower-case ``z``, no zone, another zone, fractions of 0 to 12 digits, a
space or newline inside, non-ASCII digits), and pages mix them with hostile items
(unsorted, repeated names, missing or mistyped fields, deep nesting)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from obs_workflow_async._batch.settle import ListingSweep, WindowSet
from obs_workflow_async._batch.settle_filter import ListedExecutions, read_listing, read_uniform
from obs_workflow_async._core.sweep import _InWindows
from obs_workflow_async.dwr.models import DwrExecutionPage, DwrExecutionSummary
from obs_workflow_async.models import ExecutionPage, ExecutionSummary
from obs_workflow_async.models._base import parse_timestamp, timestamp_span
from obs_workflow_async.models._timestamps import _FROMISOFORMAT_READS_IT

GRAPH = "g"
BASE = datetime(2026, 12, 3, 10, 0, 0, tzinfo=timezone.utc)
MODELS = {"v2": (ExecutionPage, ExecutionSummary), "v3": (DwrExecutionPage, DwrExecutionSummary)}


def _canonical(seconds: int, fraction: str) -> str:
    text = (BASE + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{fraction}Z" if fraction else f"{text}Z"


fractions = st.one_of(
    st.sampled_from(["", "123", "5", "120000", "123456789"]),
    st.text(alphabet="0123456789", max_size=12),
)
canonical = st.builds(_canonical, st.integers(-300, 300), fractions)


def _spoil(text: str, how: str, where: int) -> str:
    at = where % len(text)
    if how == "month":
        return text[:5] + "13" + text[7:]
    if how == "day":
        return text[:8] + ("30" if text[5:7] == "02" else "32") + text[10:]
    if how == "feb30":
        return text[:5] + "02-30" + text[10:]
    if how == "lower":
        return text[:-1] + "z"
    if how == "nozone":
        return text[:-1]
    if how == "zone":
        return text[:-1] + "+08:00"
    if how == "utc":
        return text[:-1] + "+00:00"
    if how == "space":
        return text[:10] + " " + text[11:]
    if how == "newline":
        return text[:at] + "\n" + text[at:]
    if how == "digit":  # an Arabic-Indic digit where an ASCII one was
        return text[:at] + ("\u0663" if text[at].isdigit() else text[at]) + text[at + 1 :]
    if how == "pad":
        return f" {text} "
    if how == "hour24":
        return text[:11] + "24" + text[13:]
    return text


spoilt = st.builds(
    _spoil,
    canonical,
    st.sampled_from(
        [
            "month",
            "day",
            "feb30",
            "lower",
            "nozone",
            "zone",
            "utc",
            "space",
            "newline",
            "digit",
            "pad",
            "hour24",
        ]
    ),
    st.integers(0, 40),
)
times = st.one_of(canonical, canonical, spoilt)
page_times = st.one_of(canonical, canonical, canonical, spoilt)


@settings(max_examples=800, deadline=None)
@given(text=times)
def test_a_time_read_at_once_is_the_full_reading(text: str) -> None:
    """Taken at once only in the common form with ``Z``, and then exactly the moment and
    the exact span the summary's reading gives it."""
    uniform = read_uniform([{"execution_name": "e", "started_at": text}])
    summary = ExecutionSummary.model_validate({"execution_name": "e", "started_at": text})
    if uniform is None:
        event("read item by item")
        return
    event("read at once")
    moment = uniform.moments[0]
    assert moment == parse_timestamp(text) == summary.started_at
    assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0)
    assert timestamp_span(text) == (moment, moment) == summary.started_at_span


@settings(max_examples=300, deadline=None)
@given(text=canonical)
def test_the_common_form_is_read_at_once(text: str) -> None:
    if len(text.partition(".")[2]) > 10:  # more than 9 fraction digits: not the common form
        return
    read = read_uniform([{"execution_name": "e", "started_at": text}])
    # Python 3.10's fromisoformat reads no "Z": there every page is read item by item
    assert (read is not None) is _FROMISOFORMAT_READS_IT


plain = st.fixed_dictionaries(
    {"execution_name": st.sampled_from(["e1", "e2", "e3", "e4"]), "started_at": page_times},
    optional={
        "execution_type": st.sampled_from(["APICALL", "apicall", "TRIGGERCAL", "", None]),
        "graph_urn": st.sampled_from(
            [None, "", f"urn:fss:r:p:graph:{GRAPH}", "urn:fss:r:p:graph:other", "id"]
        ),
        "execution_state": st.sampled_from(["success", "", None]),
        "execution_urn": st.sampled_from(["urn:x", None]),
        "stopped_at": st.one_of(times, st.just(""), st.none()),
    },
)
hostile = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "execution_name": st.one_of(st.sampled_from(["e1", "e2"]), st.none(), st.integers()),
            "started_at": st.one_of(times, st.none(), st.integers(0, 2), st.just("")),
            "execution_type": st.one_of(st.just("APICALL"), st.integers(0, 2)),
            "graph_urn": st.one_of(st.none(), st.integers(0, 2)),
            "execution_state": st.one_of(st.just("success"), st.integers(0, 2)),
            "execution_urn": st.one_of(st.just("urn:x"), st.integers(0, 2)),
            "begin_time": times,
            "deep": st.integers(1, 260).map(lambda n: json.loads("[" * n + "]" * n)),
        },
    ),
    st.none(),
    st.just("x"),
)
_TYPED = ["execution_name", "execution_type", "graph_urn", "execution_state", "execution_urn"]
mistyped = st.builds(
    lambda item, field, value: {**item, field: value},
    plain,
    st.sampled_from(_TYPED),
    st.sampled_from([3, 1.5, True, [], {}, None]),
)
"""A common item with one typed field of another type (or null)."""
items = st.integers(0, 14).flatmap(lambda n: hostile if n == 0 else mistyped if n == 1 else plain)
windows = st.lists(
    st.tuples(st.integers(-300, 300), st.integers(0, 20)).map(
        lambda w: (BASE + timedelta(seconds=w[0]), BASE + timedelta(seconds=w[0] + w[1]))
    ),
    min_size=0,
    max_size=4,
)


def _kept(found: list[Any]) -> list[tuple[object, ...]]:
    return [
        (f.name, f.started_at, f.span, f.execution_type or None, f.graph_urn or None) for f in found
    ]


@pytest.mark.parametrize("api", ["v2", "v3"])
@settings(max_examples=500, deadline=None)
@given(
    pages=st.lists(st.lists(items, max_size=8), min_size=1, max_size=3),
    spans=windows,
    typed=st.booleans(),
)
def test_pages_read_at_once_keep_what_the_full_reading_keeps(
    api: str, pages: list[list[object]], spans: list[tuple[datetime, datetime]], typed: bool
) -> None:
    page_model, summary_model = MODELS[api]
    set_windows = WindowSet(spans)
    fast_sweep, full_sweep = ListingSweep(GRAPH, BASE), ListingSweep(GRAPH, BASE)
    fast, slow = _InWindows(set_windows, GRAPH, typed), _InWindows(set_windows, GRAPH, typed)
    for page_items in pages:  # one sweep over several pages (order across pages too)
        body = json.dumps({"executions": page_items}).encode()
        try:
            full = page_model.model_validate_json(body)
        except ValidationError:
            assert read_listing(body, page_model, summary_model, {}) is None
            event("refused by the model: refused")
            return
        read = read_listing(body, page_model, summary_model, {})
        if read is None:
            event("left to the full reading")
            return
        listed = read[1]
        assert isinstance(listed, ListedExecutions)
        event("read at once" if listed.uniform is not None else "read item by item")
        summaries = full.executions  # type: ignore[attr-defined]
        assert len(listed) == len(summaries)
        assert listed.names == [s.execution_name for s in summaries]
        if listed.uniform is not None:
            assert listed.quick == [
                (s.execution_name, s.started_at_span, *_written(page_items, i)[1:])
                for i, s in enumerate(summaries)
            ]
        for position, summary in enumerate(summaries):
            assert listed.started_at(position) == summary.started_at
            assert listed[position] == summary
        fast.take(fast_sweep, listed)
        slow.take(full_sweep, list(summaries))
        assert _kept(fast.found) == _kept(slow.found)
        assert (fast_sweep.listed, fast_sweep.time_ordered) == (
            full_sweep.listed,
            full_sweep.time_ordered,
        )


def _written(page_items: list[object], position: int) -> tuple[object, object, object]:
    item = [i for i in page_items if i is not None][position]
    assert isinstance(item, dict)
    return item.get("execution_name"), item.get("execution_type"), item.get("graph_urn")


@pytest.mark.parametrize("api", ["v2", "v3"])
@pytest.mark.parametrize("depth", [140, 260])
def test_deep_nesting_in_a_common_page_goes_to_the_model(api: str, depth: int) -> None:
    page_model, summary_model = MODELS[api]
    executions = [
        {"execution_name": f"e{i}", "started_at": _canonical(i, "123")} for i in range(50)
    ]
    executions[7]["extra"] = json.loads("[" * depth + "]" * depth)
    body = json.dumps({"executions": executions}).encode()
    try:
        page_model.model_validate_json(body)
    except ValidationError:
        assert read_listing(body, page_model, summary_model, {}) is None
        return
    read = read_listing(body, page_model, summary_model, {})
    assert read is not None
    # read at once where fromisoformat reads the common form (Python 3.11 and later)
    assert (read[1].uniform is not None) is _FROMISOFORMAT_READS_IT
