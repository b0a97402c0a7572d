"""A local clock stepped between a run and its settle: the pure rules (windows over
every offset that may apply, the step measured, the listing-lag check on the
service's clock), the results file's windows (``--since`` that contradicts it, torn
lines), and the offset an outcome's answer gives."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from obs_workflow_async import StartOutcome
from obs_workflow_async._batch.settle import (
    Candidate,
    ListingSweep,
    SettleItem,
    clock_step,
    service_window,
    verdict_for,
)
from obs_workflow_async.cli.manifest import ManifestItem
from obs_workflow_async.cli.results import outcome_record, read_results
from obs_workflow_async.cli.settle_file import SettleFileError, pending_items, timestamp
from obs_workflow_async.errors import ServerError
from obs_workflow_async.models import StartWorkflowResult

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
S = timedelta(seconds=1)


def _item(offsets: tuple[timedelta, ...] = (), until: datetime | None = T0 + 2 * S) -> SettleItem:
    return SettleItem("g", "b", "k", T0, until, offsets=offsets)


def test_the_window_covers_the_recorded_offsets_and_the_one_measured_now() -> None:
    # the run's clock was 60 s behind (offset +60 then); right now (offset 0)
    item = _item((60 * S,))
    assert service_window(item, T0, timedelta(0), 5) == (T0 - 5 * S, T0 + 67 * S)
    assert clock_step(item, timedelta(0)) == -60 * S
    assert clock_step(item, 60 * S) == timedelta(0)
    assert clock_step(_item(), 60 * S) == timedelta(0)  # nothing recorded: no step seen
    # an item left open runs to now, on the clock of now
    low, high = service_window(_item((-120 * S,), until=None), T0 + 10 * S, timedelta(0), 5)
    assert (low, high) == (T0 - 125 * S, T0 + 15 * S)


def _sweep(began: datetime, offset: timedelta, *candidates: Candidate) -> ListingSweep:
    sweep = ListingSweep("g", began, complete=True, offset=offset, offset_measured=True)
    sweep.candidates.extend(candidates)
    return sweep


def test_a_start_on_the_service_clock_is_found_after_a_step() -> None:
    item = _item((60 * S,))  # the run's clock was 60 s behind the service's
    started = Candidate("e1", T0 + 61 * S, ("b", "k"))  # the service's clock
    sweep = _sweep(T0 + 200 * S, timedelta(0), started)
    window = service_window(item, T0 + 200 * S, sweep.offset, 5)
    result = verdict_for(item, window, sweep, default_until=T0 + 200 * S, settle_delay=30)
    assert result.verdict == "started"
    # without the recorded offset the same start falls outside: the old wrong answer
    bare = _item()
    window = service_window(bare, T0 + 200 * S, sweep.offset, 5)
    assert verdict_for(bare, window, sweep, default_until=T0, settle_delay=30).verdict == (
        "not_started"
    )


def test_after_a_step_the_listing_lag_is_checked_on_the_service_clock() -> None:
    # the run's clock was 120 s ahead (offset -120); now right. The item ended at
    # T0+2 by the run's clock, T0-118 on the service's: a listing that began at T0
    # (service) began 118 s after it
    item = _item((-120 * S,))
    sweep = _sweep(T0, timedelta(0))
    window = service_window(item, T0, sweep.offset, 5)
    verdict = verdict_for(item, window, sweep, default_until=T0, settle_delay=30)
    # the window covers both clocks, so the check takes the highest offset (now's, 0):
    # T0+2 + 30 is after the listing began: not proven
    assert verdict.verdict == "unknown" and "settle_delay" in verdict.reason
    later = _sweep(T0 + 40 * S, timedelta(0))
    assert verdict_for(item, window, later, default_until=T0, settle_delay=30).verdict == (
        "not_started"
    )
    # the run's clock 60 s behind: its until (T0+2) is T0+62 on the service's clock; a
    # listing beginning at T0+70 local (and service) is only 8 s after it
    behind = _item((60 * S,))
    early = _sweep(T0 + 70 * S, timedelta(0))
    window = service_window(behind, T0, early.offset, 5)
    assert verdict_for(behind, window, early, default_until=T0, settle_delay=30).verdict == (
        "unknown"
    )


def _lines(path: Path, *records: dict[str, object], torn: str = "") -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + torn)
    return path


def test_since_that_contradicts_the_file_is_refused(tmp_path: Path) -> None:
    path = _lines(
        tmp_path / "r.jsonl",
        {"index": 0, "status": "sending", "bucket": "b", "object": "k", "sent_at": timestamp(T0)},
        {"index": 0, "status": "ambiguous", "bucket": "b", "object": "k",
         "at": timestamp(T0 + 3 * S), "offset": 1.5},
        {"index": 1, "status": "started", "bucket": "b", "object": "j", "offset": -0.5},
    )  # fmt: skip
    (pending,) = pending_items(path)
    assert pending.offsets == (-0.5 * S, 1.5 * S)  # its own, and the file's lowest/highest
    with pytest.raises(SettleFileError, match="after its recorded send time"):
        pending.settle_item("g", T0 + S)
    assert pending.settle_item("g", T0 - S).since == T0  # an earlier --since: the file's
    item = pending.settle_item("g", None)
    assert (item.since, item.until, item.offsets) == (T0, T0 + 3 * S, pending.offsets)


def test_a_torn_item_without_a_send_time_starts_at_the_runs_first_one(tmp_path: Path) -> None:
    path = _lines(
        tmp_path / "r.jsonl",
        {"index": 0, "status": "sending", "bucket": "b", "object": "k", "sent_at": timestamp(T0)},
        {"index": 0, "status": "started", "bucket": "b", "object": "k"},
        {"index": 1, "status": "sending", "bucket": "b", "object": "j", "repaired": "torn"},
    )
    (pending,) = pending_items(path)
    assert pending.since is None and pending.settle_item("g", None).since == T0


def test_a_torn_sending_line_stands_for_nothing(tmp_path: Path) -> None:
    first = {"index": 0, "status": "started", "bucket": "b", "object": "k"}
    sending = _lines(tmp_path / "a.jsonl", first, torn='{"index": 1, "status": "sending", "bu')
    state = read_results(sending)
    assert state.torn and state.repaired == [] and 1 not in state.ambiguous
    unknown = _lines(tmp_path / "b.jsonl", first, torn='{"index": 1, "bucket": "b", "obj')
    assert 1 in read_results(unknown).ambiguous  # it may have been an outcome line


def test_an_outcome_line_records_the_offset_of_its_answer() -> None:
    item = ManifestItem(index=3, bucket="b", object_key="k")
    headers = {"Date": "Wed, 01 May 2024 12:01:00 GMT"}
    result = StartWorkflowResult.model_validate({"execution_name": "e", "headers": headers})
    ok = StartOutcome(3, None, result=result)
    assert outcome_record(ok, item, T0)["offset"] == 60.0
    error = ServerError(
        status=500, code="x", message="m", request_id=None, headers=headers, body=""
    )
    failed = outcome_record(StartOutcome(3, None, error=error), item, T0 + 61 * S)
    assert failed["status"] == "ambiguous" and failed["offset"] == -1.0
    lost = outcome_record(
        StartOutcome(
            3,
            None,
            error=ServerError(
                status=500, code="x", message="m", request_id=None, headers={}, body=""
            ),
        ),
        item,
        T0,
    )
    assert "offset" not in lost


def test_a_step_during_the_run_checks_the_listing_lag_on_the_service_clock() -> None:
    # the run's clock was 300 s behind, then right: offsets +300 and 0 recorded; now 0.
    # An item of the early part ended at T0+2 local, T0+302 on the service's clock
    item = _item((timedelta(0), 300 * S))
    assert clock_step(item, timedelta(0)) == timedelta(0)  # no step since the run
    early = _sweep(T0 + 310 * S, timedelta(0))  # 8 s after its end: the listing may lag
    window = service_window(item, T0, early.offset, 5)
    assert verdict_for(item, window, early, default_until=T0, settle_delay=30).verdict == (
        "unknown"
    )
    late = _sweep(T0 + 340 * S, timedelta(0))
    assert verdict_for(item, window, late, default_until=T0, settle_delay=30).verdict == (
        "not_started"
    )


def test_only_a_run_s_own_sending_line_torn_stands_for_nothing(tmp_path: Path) -> None:
    # a repaired or carried line names its status later: torn, it stays ambiguous
    first = {"index": 0, "status": "started", "bucket": "b", "object": "k"}
    later = '{"index": 1, "bucket": "b", "object": "j", "status": "sending", "repai'
    assert 1 in read_results(_lines(tmp_path / "r.jsonl", first, torn=later)).ambiguous
