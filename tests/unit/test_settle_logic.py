"""The pure settle rules: reading inputs, windows, clock offsets, verdicts."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from obs_workflow_async._batch.settle import (
    Candidate,
    ListingSweep,
    SettleItem,
    WindowSet,
    clock_offset,
    input_target,
    service_window,
    verdict_for,
)

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "value",
    [
        {"bucket": "b", "object": "k/1"},
        json.dumps({"bucket": "b", "object": "k/1", "inputs": {"x": 1}}),
        json.dumps(json.dumps({"bucket": "b", "object": "k/1"})),
        {"input": {"bucket": "b", "object_key": "k/1"}},
        {"body": json.dumps({"bucketName": "b", "objectKey": "k/1"})},
        {"Records": None, "data": [{"bucket": {"name": "b"}, "object": {"key": "k/1"}}]},
    ],
)
def test_input_target_reads_the_evident_shapes(value: object) -> None:
    assert input_target(value) == ("b", "k/1")


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "not json",
        {"inputs": {"size": 3}},
        {"bucket": "b"},
        {"object": "k"},
        {"bucket": "", "object": "k"},
        [1, 2],
        {"input": {"bucket": "b", "object": "k1"}, "body": {"bucket": "b", "object": "k2"}},
    ],
)
def test_input_target_does_not_guess(value: object) -> None:
    assert input_target(value) is None


def test_clock_offset_uses_the_middle_of_the_round_trip() -> None:
    date = "Wed, 01 May 2024 12:00:10 GMT"
    offset = clock_offset(date, T0, T0 + timedelta(seconds=2))
    assert offset == timedelta(seconds=9)
    assert clock_offset(None, T0, T0) is None
    assert clock_offset("garbage", T0, T0) is None


def test_service_window_shifts_by_the_offset_and_widens_by_the_margin() -> None:
    item = SettleItem("g", "b", "k", T0, T0 + timedelta(seconds=1))
    low, high = service_window(item, T0 + timedelta(hours=1), timedelta(seconds=-30), 2.0)
    assert low == T0 - timedelta(seconds=32)
    assert high == T0 + timedelta(seconds=1 - 30 + 2)
    low, high = service_window(
        SettleItem("g", "b", "k", T0), T0 + timedelta(hours=1), timedelta(0), 0.0
    )
    assert high == T0 + timedelta(hours=1)


def test_window_set_merges_overlaps() -> None:
    spans = WindowSet(
        [
            (T0, T0 + timedelta(seconds=5)),
            (T0 + timedelta(seconds=3), T0 + timedelta(seconds=8)),
            (T0 + timedelta(seconds=20), T0 + timedelta(seconds=21)),
        ]
    )
    assert T0 + timedelta(seconds=7) in spans
    assert T0 + timedelta(seconds=10) not in spans
    assert T0 + timedelta(seconds=20, milliseconds=500) in spans
    assert "x" not in spans
    assert WindowSet([]).empty


def _sweep(*candidates: Candidate, complete: bool = True, began: float = 100.0) -> ListingSweep:
    sweep = ListingSweep("g", T0 + timedelta(seconds=began), complete=complete)
    sweep.candidates.extend(candidates)
    return sweep


ITEM = SettleItem("g", "b", "k", T0, T0 + timedelta(seconds=10))
WINDOW = (T0 - timedelta(seconds=1), T0 + timedelta(seconds=11))
NOW = T0 + timedelta(seconds=200)


def _verdict(sweep: ListingSweep, delay: float = 30.0) -> tuple[str, tuple[str, ...], str]:
    result = verdict_for(ITEM, WINDOW, sweep, default_until=NOW, settle_delay=delay)
    return result.verdict, result.execution_names, result.reason


def test_started_with_every_match_oldest_first_and_duplicates_flagged() -> None:
    late = Candidate("e2", T0 + timedelta(seconds=5), ("b", "k"))
    early = Candidate("e1", T0 + timedelta(seconds=1), ("b", "k"))
    other = Candidate("e3", T0 + timedelta(seconds=2), ("b", "other"))
    outside = Candidate("e4", T0 - timedelta(hours=1), ("b", "k"))
    result = verdict_for(
        ITEM, WINDOW, _sweep(late, other, early, outside), default_until=NOW, settle_delay=30
    )
    assert (result.verdict, result.execution_names, result.duplicate) == (
        "started",
        ("e1", "e2"),
        True,
    )
    single = verdict_for(ITEM, WINDOW, _sweep(early), default_until=NOW, settle_delay=30)
    assert single.verdict == "started" and not single.duplicate


def test_a_match_wins_even_over_an_incomplete_listing() -> None:
    found = Candidate("e1", T0 + timedelta(seconds=1), ("b", "k"))
    assert _verdict(_sweep(found, complete=False))[0] == "started"


def test_not_started_only_when_everything_is_proven() -> None:
    other = Candidate("e3", T0 + timedelta(seconds=2), ("b", "other"))
    assert _verdict(_sweep(other))[0] == "not_started"
    assert _verdict(_sweep())[0] == "not_started"
    # an execution in the window whose input names nothing: unknown
    blind = Candidate("e5", T0 + timedelta(seconds=2), None)
    assert _verdict(_sweep(other, blind))[0] == "unknown"
    # an execution without started_at could be in any window
    assert _verdict(_sweep(Candidate("e6", None, None)))[0] == "unknown"
    # a listing cut short proves nothing
    verdict, _, reason = _verdict(_sweep(other, complete=False))
    assert verdict == "unknown" and "end" in reason
    # a listing that began before until + settle_delay may lag: unknown
    verdict, _, reason = _verdict(_sweep(other, began=35.0))
    assert verdict == "unknown" and "settle_delay" in reason
    assert _verdict(_sweep(other, began=35.0), delay=20.0)[0] == "not_started"
