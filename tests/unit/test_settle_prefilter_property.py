"""Property: a sweep's fast listing reading (``json.loads`` + a window pre-filter, no
typed summary per execution) keeps exactly the executions the full reading (the page
model's validation, then the same checks on each summary) keeps: it never drops one the
full parse would match, nor keeps one it would not, for both APIs' page models."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from obs_workflow_async._batch.settle import ListingSweep, WindowSet
from obs_workflow_async._batch.settle_filter import ListedExecutions, quick_span, read_listing
from obs_workflow_async._core.sweep import _InWindows
from obs_workflow_async.dwr.models import DwrExecutionPage, DwrExecutionSummary
from obs_workflow_async.models import ExecutionPage, ExecutionSummary
from obs_workflow_async.models._base import timestamp_span

GRAPH = "g"
BASE = datetime(2026, 12, 3, 10, 0, 0, tzinfo=timezone.utc)
MODELS = {"v2": (ExecutionPage, ExecutionSummary), "v3": (DwrExecutionPage, DwrExecutionSummary)}


def _iso(moment: datetime, fraction: int, zone: str) -> str:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if fraction:
        text += "." + str(fraction)
    return text + zone


seconds = st.integers(min_value=-200, max_value=200)
times = st.one_of(
    st.builds(
        lambda s, f, z: _iso(BASE + timedelta(seconds=s), f, z),
        seconds,
        st.sampled_from([0, 5, 123, 123456, 123456789]),
        st.sampled_from(["Z", "", "+08:00", "-0130", " UTC", "z"]),
    ),
    st.builds(lambda s: int((BASE + timedelta(seconds=s)).timestamp()), seconds),
    st.builds(lambda s: int((BASE + timedelta(seconds=s)).timestamp() * 1000), seconds),
    st.builds(lambda s: str(int((BASE + timedelta(seconds=s)).timestamp() * 1000)), seconds),
    st.builds(lambda s: (BASE + timedelta(seconds=s)).strftime("%Y/%m/%d %H:%M:%S"), seconds),
    st.builds(
        lambda s: (BASE + timedelta(seconds=s)).strftime("%a, %d %b %Y %H:%M:%S GMT"), seconds
    ),
    st.sampled_from(["", "garbage", "2026-13-45T99:99:99Z", "2026-12-03T10:00:00.Z", None]),
    st.sampled_from([1.5, True, [], {}, "NaN-ish", "  2026-12-03T10:00:00Z  "]),
    st.text(max_size=12),
)
types = st.one_of(
    st.sampled_from(["APICALL", "apicall", "API_CALL", "TRIGGERCAL", "trigger", "", "OTHER"]),
    st.none(),
    st.integers(0, 3),
)
urns = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "",
            f"urn:fss:r:p:graph:{GRAPH}",
            "urn:fss:r:p:graph:other",
            "urn:fss:r:p:graph:G",
            f"urn:fss:r:p:workflow:default:{GRAPH}:latest",
            "urn:fss:x",
            "some-id",
        ]
    ),
    st.integers(0, 3),
)
optional = {
    "started_at": times,
    "execution_type": types,
    "graph_urn": urns,
    "execution_state": st.one_of(st.sampled_from(["SUCCESS", "", "running"]), st.none()),
    "execution_urn": st.one_of(st.just("urn:x"), st.none(), st.integers(0, 1)),
    "begin_time": times,
    "execution_info": st.one_of(
        st.builds(lambda t: {"started_at": t}, times),
        st.builds(lambda t: json.dumps({"started_at": t}), times),
    ),
    "extra": st.one_of(st.integers(), st.text(max_size=4), st.none()),
}
plain = st.fixed_dictionaries(
    {
        "execution_name": st.sampled_from(["e1", "e2", "e3", "e4"]),
        "started_at": times,
        "execution_type": st.sampled_from(["APICALL", "apicall", "TRIGGERCAL", "Other", ""]),
    },
    optional={k: v for k, v in optional.items() if k not in {"started_at", "execution_type"}},
)
hostile = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "execution_name": st.one_of(
                st.sampled_from(["e1", "e2"]), st.none(), st.integers(0, 3)
            ),
            **optional,
        },
    ),
    st.none(),
    st.integers(),
    st.just("x"),
)
items = st.integers(0, 7).flatmap(lambda n: hostile if n == 0 else plain)  # mostly plain
windows = st.lists(
    st.tuples(st.integers(-150, 150), st.integers(0, 20)).map(
        lambda w: (BASE + timedelta(seconds=w[0]), BASE + timedelta(seconds=w[0] + w[1]))
    ),
    min_size=1,
    max_size=4,
)


def _kept(found: list[Any]) -> list[tuple[object, ...]]:
    """What a sweep keeps of each execution; ``""`` and ``None`` alike for the type and
    graph (:func:`kind_of` and :func:`graph_relation` read both as "none given")."""
    return [
        (f.name, f.started_at, f.span, f.execution_type or None, f.graph_urn or None) for f in found
    ]


@pytest.mark.parametrize("api", ["v2", "v3"])
@settings(max_examples=400, deadline=None)
@given(
    page_items=st.lists(items, max_size=6),
    spans=windows,
    typed=st.booleans(),
    truncated=st.sampled_from([None, True, False, "yes"]),
)
def test_fast_reading_keeps_what_the_full_reading_keeps(
    api: str,
    page_items: list[object],
    spans: list[tuple[datetime, datetime]],
    typed: bool,
    truncated: object,
) -> None:
    page_model, summary_model = MODELS[api]
    body = json.dumps({"executions": page_items, "is_truncated": truncated}).encode()
    try:
        full = page_model.model_validate_json(body)
    except ValidationError:
        assert read_listing(body, page_model, summary_model, {}) is None
        return
    read = read_listing(body, page_model, summary_model, {})
    if read is None:
        event("left to the full reading")
        return  # nothing to compare
    page, listed = read
    assert isinstance(listed, ListedExecutions)
    assert page.is_truncated == full.is_truncated
    summaries = full.executions  # type: ignore[attr-defined]
    assert len(listed) == len(summaries)
    assert listed.names == [s.execution_name for s in summaries]
    for position, summary in enumerate(summaries):
        assert listed.started_at(position) == summary.started_at
        assert listed[position] == summary

    set_windows = WindowSet(spans)
    fast_sweep = ListingSweep(GRAPH, BASE)
    full_sweep = ListingSweep(GRAPH, BASE)
    fast = _InWindows(set_windows, GRAPH, typed)
    slow = _InWindows(set_windows, GRAPH, typed)
    fast.take(fast_sweep, read_listing(body, page_model, summary_model, {})[1])  # type: ignore[index]
    slow.take(full_sweep, list(summaries))
    assert _kept(fast.found) == _kept(slow.found)
    event(f"fast reading, {min(len(fast.found), 2)}+ kept of {min(len(summaries), 2)}+")
    assert (fast_sweep.listed, fast_sweep.time_ordered) == (
        full_sweep.listed,
        full_sweep.time_ordered,
    )


@settings(max_examples=500, deadline=None)
@given(value=times)
def test_quick_span_is_timestamp_span(value: object) -> None:
    assert quick_span(value) == timestamp_span(value)


@settings(max_examples=500, deadline=None)
@given(spans=windows, low=st.integers(-200, 200), width=st.integers(0, 30))
def test_window_set_overlaps_as_any_window_does(
    spans: list[tuple[datetime, datetime]], low: int, width: int
) -> None:
    span = (BASE + timedelta(seconds=low), BASE + timedelta(seconds=low + width))
    naive = any(a <= span[1] and span[0] <= b for a, b in spans)
    assert WindowSet(spans).overlaps(span) is naive
    assert (span[0] in WindowSet(spans)) is any(a <= span[0] <= b for a, b in spans)
