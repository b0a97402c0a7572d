"""Results files: which items need settling, their windows, settle lines, resume rules."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from obs_workflow_async._batch.settle import SettleItem, SettleResult
from obs_workflow_async.cli.settle_file import (
    SettleFileError,
    pending_items,
    read_last_records,
    resume_action,
    settle_record,
    timestamp,
)

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)


def _write(path: Path, *records: dict[str, object], torn: str = "") -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + torn, encoding="utf-8")
    return path


def _line(index: int, status: str, **extra: object) -> dict[str, object]:
    return {"index": index, "bucket": "media", "object": f"k{index}", "status": status, **extra}


def test_pending_items_are_the_ambiguous_sending_and_unknown_ones(tmp_path: Path) -> None:
    sent = timestamp(T0)
    path = _write(
        tmp_path / "r.jsonl",
        _line(0, "sending", sent_at=sent),
        _line(0, "started", execution_name="e0"),
        _line(1, "sending", sent_at=sent),
        _line(1, "ambiguous", at=timestamp(T0 + timedelta(seconds=3))),
        _line(2, "sending", sent_at=sent),
        _line(3, "sending", sent_at=sent),
        _line(3, "failed", http_status=400),
        _line(4, "sending", sent_at=sent),
        _line(4, "ambiguous", at=timestamp(T0 + timedelta(seconds=4))),
        _line(4, "settled", verdict="unknown"),
        _line(5, "sending", sent_at=sent),
        _line(5, "ambiguous"),
        _line(5, "settled", verdict="started", execution_names=["e5"]),
        torn='{"index": 6, "bucket": "media", "obj',
    )
    pending = {p.index: p for p in pending_items(path)}
    assert sorted(pending) == [1, 2, 4]
    assert pending[1].since == T0 and pending[1].until == T0 + timedelta(seconds=3)
    assert pending[2].until is None  # the run died with it in flight: up to now
    assert pending[4].until == T0 + timedelta(seconds=4)  # kept across the unknown verdict
    item = pending[1].settle_item("g", None)
    assert (item.graph_name, item.bucket, item.object_key, item.key) == ("g", "media", "k1", 1)


def test_a_file_without_send_times_needs_since(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.jsonl", _line(0, "sending"))
    (pending,) = pending_items(path)
    with pytest.raises(SettleFileError, match="--since"):
        pending.settle_item("g", None)
    assert pending.settle_item("g", T0).since == T0


def test_a_broken_line_in_the_middle_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"index": 0, "status": "sending"}\nnot json\n', encoding="utf-8")
    with pytest.raises(SettleFileError, match=":2:"):
        read_last_records(path)


def test_settle_record_is_a_resume_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.jsonl", _line(0, "sending", key="mine", sent_at=timestamp(T0)))
    (pending,) = pending_items(path)
    result = SettleResult(SettleItem("g", "media", "k0", T0), "started", ("a", "b"), "dup")
    record = settle_record(pending, result)
    assert record["status"] == "settled" and record["verdict"] == "started"
    assert record["execution_names"] == ["a", "b"] and record["duplicate"] is True
    assert record["key"] == "mine" and record["index"] == 0
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
    assert pending_items(path) == []
    assert read_last_records(path)[0]["verdict"] == "started"


@pytest.mark.parametrize(
    ("record", "plain", "retry", "loud"),
    [
        ({"status": "started"}, "skip_started", "skip_started", "skip_started"),
        (
            {"status": "settled", "verdict": "started"},
            "skip_started",
            "skip_started",
            "skip_started",
        ),
        ({"status": "settled", "verdict": "not_started"}, "skip_unsettled", "send", "send"),
        ({"status": "settled", "verdict": "unknown"}, "skip_unsettled", "skip_unsettled", "send"),
        ({"status": "ambiguous"}, "skip_unsettled", "skip_unsettled", "send"),
        ({"status": "sending"}, "skip_unsettled", "skip_unsettled", "send"),
        ({"status": "failed"}, "send", "send", "send"),
        ({"status": "invalid"}, "send", "send", "send"),
    ],
)
def test_resume_actions(record: dict[str, object], plain: str, retry: str, loud: str) -> None:
    assert resume_action(record, retry_ambiguous=False, retry_unknown=False) == plain
    assert resume_action(record, retry_ambiguous=True, retry_unknown=False) == retry
    assert resume_action(record, retry_ambiguous=True, retry_unknown=True) == loud
