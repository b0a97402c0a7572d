"""The results file of ``start-many``, format 2: a format line per run, one ``sending``
line per batch of items (written before any of them can go), one outcome line per
item; files of format 1 (two lines per item) still resumed and settled; resume memory
that grows with the ambiguous items only."""

from __future__ import annotations

import json
import threading
import tracemalloc
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from obs_workflow_async import cli
from obs_workflow_async.cli.batch_feed import BatchFeed as _Feed
from obs_workflow_async.cli.manifest import ManifestError, read_manifest
from obs_workflow_async.cli.results import ResultsLog, read_results
from obs_workflow_async.cli.settle_file import FORMAT_VERSION, item_records, read_pending
from obs_workflow_async.testing import FakeWorkflowServer
from tests.support.results_file import item_lines, last_statuses

GRAPH = "g"


@pytest.fixture
def server(
    obs_fake_server: FakeWorkflowServer, monkeypatch: pytest.MonkeyPatch
) -> FakeWorkflowServer:
    obs_fake_server.record_requests = False
    monkeypatch.setenv("OBS_ACCESS_KEY_ID", obs_fake_server.access_key_id)
    monkeypatch.setenv("OBS_SECRET_ACCESS_KEY", obs_fake_server.secret_access_key)
    monkeypatch.setenv("OBS_SERVER", obs_fake_server.url)
    return obs_fake_server


def _manifest(path: Path, count: int) -> list[str]:
    objects = [f"v/{i:04d}.mp4" for i in range(count)]
    path.write_text("".join(f"media,{o}\n" for o in objects))
    return objects


def _main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, json.loads(out.strip().splitlines()[-1]) if out.strip() else {}, err


def _named_sending(results: Path) -> set[str]:
    """The objects named ``sending`` by the complete lines on file right now."""
    data = results.read_bytes()
    named: set[str] = set()
    for line in data[: data.rfind(b"\n") + 1].splitlines():
        for _, record in item_records(json.loads(line)) or ():
            if record.get("status") == "sending":
                named.add(str(record["object"]))
    return named


def test_every_start_finds_its_object_named_sending_on_file(
    server: FakeWorkflowServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Checked on the server, as each start arrives: the run wrote the item's
    ``sending`` line before the request could go. And one line per item (plus a
    ``sending`` line per batch and the run's format line)."""
    manifest, results = tmp_path / "m.csv", tmp_path / "r.jsonl"
    objects = _manifest(manifest, 300)
    unnamed: list[str] = []
    lock = threading.Lock()
    store = server.store
    start = store.start

    def checked_start(graph: str, bucket: str, object_key: str, *args: Any, **kwargs: Any) -> Any:
        with lock:
            if object_key not in _named_sending(results):
                unnamed.append(object_key)
        return start(graph, bucket, object_key, *args, **kwargs)

    store.start = checked_start  # type: ignore[method-assign]
    status, summary, err = _main(
        capsys, "start-many", GRAPH, "--manifest", str(manifest), "--results", str(results),
        "--concurrency", "16", "--no-progress",
    )  # fmt: skip
    assert status == 0, err
    assert summary["started"] == 300
    assert Counter(e.object_key for e in server.executions) == Counter(objects)
    assert unnamed == []
    lines = results.read_text().splitlines()
    first = json.loads(lines[0])
    assert (first["format"], first["version"], first["graph"]) == (
        "obs-workflow-results",
        FORMAT_VERSION,
        GRAPH,
    )
    outcome_lines = [line for line in lines if line.startswith('{"index"')]
    assert len(outcome_lines) == 300
    assert len(lines) <= 1 + 300 + 300 // 16 + 1  # format, outcomes, one per batch (16)
    assert set(last_statuses(results).values()) == {"started"}


def _old_format(path: Path, objects: list[str], at: datetime) -> None:
    """A results file as format 1 wrote it (no format line; a ``sending`` line then an
    outcome line per item, each with its workflow): items 0-5 started, 6 failed, 7
    ambiguous, 8 sent when the run died (``sending`` only), 9 never reached."""
    lines: list[dict[str, object]] = []
    sent = at.isoformat()
    answered = (at + timedelta(milliseconds=50)).isoformat()
    for index, obj in enumerate(objects[:9]):
        listed = {"index": index, "bucket": "media", "object": obj}
        sending: dict[str, object] = {"index": index, "status": "sending"}
        sending.update(listed, graph=GRAPH, sent_at=sent)
        lines.append(sending)
        if index <= 5:
            lines.append({**listed, "status": "started", "execution_name": f"e{index}",
                          "execution_urn": f"urn:e{index}", "request_id": f"r{index}",
                          "attempts": 1, "at": answered, "offset": 0.0,
                          "graph": GRAPH})  # fmt: skip
        elif index == 6:
            lines.append({**listed, "status": "failed", "http_status": 404, "code": "X",
                          "message": "no", "request_id": "r6", "attempts": 1, "at": answered,
                          "graph": GRAPH})  # fmt: skip
        elif index == 7:
            lines.append({**listed, "status": "ambiguous", "message": "dropped",
                          "request_sent": True, "attempts": 1, "at": answered,
                          "graph": GRAPH})  # fmt: skip
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))


def test_a_format_1_file_is_resumed_and_settled(
    server: FakeWorkflowServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    manifest, results = tmp_path / "m.csv", tmp_path / "r.jsonl"
    objects = _manifest(manifest, 10)
    _old_format(results, objects, datetime.now(timezone.utc) - timedelta(seconds=5))
    state = read_results(results)
    assert [i for i in range(10) if state.is_started(i)] == [0, 1, 2, 3, 4, 5]
    assert sorted(state.ambiguous) == [7, 8] and state.graphs == {GRAPH}
    assert [p.index for p in read_pending(results).items] == [7, 8]

    status, summary, err = _main(
        capsys, "start-many", GRAPH, "--manifest", str(manifest), "--resume", str(results),
        "--no-progress",
    )  # fmt: skip
    assert status == 1, err  # 7 and 8 held back as ambiguous
    assert (summary["started"], summary["skipped_already_started"]) == (2, 6)
    assert summary["skipped_ambiguous"] == 2
    assert sorted(e.object_key for e in server.executions) == [objects[6], objects[9]]

    status, counts, err = _main(capsys, "settle", str(results), "--settle-delay", "0.5")
    assert status == 0, err
    assert (counts["settled"], counts["not_started"]) == (2, 2), counts
    status, summary, err = _main(
        capsys, "start-many", GRAPH, "--manifest", str(manifest), "--resume", str(results),
        "--no-progress", "--retry-ambiguous",
    )  # fmt: skip
    assert status == 0, err
    assert summary["started"] == 2
    per_object = Counter(e.object_key for e in server.executions)
    assert sorted(per_object) == sorted(objects[6:]) and max(per_object.values()) == 1
    assert set(last_statuses(results).values()) == {"started"}


def _feed(tmp_path: Path, batch: int) -> _Feed:
    results = tmp_path / "r.jsonl"
    log = ResultsLog.open(results)
    ambiguous = ResultsLog.open(tmp_path / "r.jsonl.ambiguous", mode="w")
    feed = _Feed(
        GRAPH,
        read_results(results),
        {"retry_ambiguous": False, "retry_unknown": False},
        log,
        ambiguous,
        lambda: datetime.now(timezone.utc),
    )
    feed.batch = batch
    feed.begin()
    return feed


def test_a_stopped_run_marks_what_it_never_handed_over_not_sent(tmp_path: Path) -> None:
    manifest = tmp_path / "m.csv"
    objects = _manifest(manifest, 10)
    feed = _feed(tmp_path, batch=4)
    requests = feed.requests(manifest)
    handed = [next(requests) for _ in range(5)]  # the first batch and one of the second
    assert [r["object_key"] for r in handed] == objects[:5]
    assert [(n, i.index) for n, i in feed.pending.items()] == [(n, n) for n in range(5)]
    statuses = last_statuses(tmp_path / "r.jsonl")
    assert statuses == dict.fromkeys(range(8), "sending")  # on file before any went
    feed.finish()  # the run stopped here
    feed.log.close()
    feed.ambiguous_log.close()
    state = read_results(tmp_path / "r.jsonl")
    assert sorted(state.ambiguous) == [0, 1, 2, 3, 4]  # handed over: may have started
    assert last_statuses(tmp_path / "r.jsonl")[5] == "not_sent"
    assert not any(state.is_started(i) for i in range(10))


def test_a_torn_batch_line_stands_for_nothing(tmp_path: Path) -> None:
    """A batch line is written whole before any of its items goes: torn, none went."""
    results = tmp_path / "r.jsonl"
    at = "2026-01-01T00:00:00+00:00"
    head = f'{{"format":"obs-workflow-results","version":2,"graph":"g","at":"{at}"}}\n'
    batch = f'{{"status":"sending","sent_at":"{at}","items":[[0,"b","o0"],[1,"b","o1"]]}}\n'
    started = f'{{"index":0,"bucket":"b","object":"o0","status":"started","at":"{at}"}}\n'
    results.write_text(head + batch + started + batch[:40])
    state = read_results(results)
    assert state.torn and state.repaired == []
    assert state.is_started(0) and sorted(state.ambiguous) == [1]  # 1: the whole batch line


def test_a_newer_format_is_refused(tmp_path: Path) -> None:
    results = tmp_path / "r.jsonl"
    results.write_text('{"format":"obs-workflow-results","version":99,"graph":"g"}\n')
    with pytest.raises(ManifestError, match="format version 99"):
        read_results(results)


def test_a_malformed_batch_line_is_not_a_results_line(tmp_path: Path) -> None:
    results = tmp_path / "r.jsonl"
    results.write_text('{"status":"sending","items":[[0,"b"]]}\n')
    with pytest.raises(ManifestError, match="not a results line"):
        read_results(results)


def _complete_file(path: Path, count: int, ambiguous: int) -> None:
    with path.open("w") as out:
        out.write('{"format":"obs-workflow-results","version":2,"graph":"g","at":"x"}\n')
        for i in range(count):
            status = "ambiguous" if i < ambiguous else "started"
            out.write(
                f'{{"index":{i},"bucket":"media","object":"v/{i:07d}.mp4","status":"{status}",'
                f'"execution_name":"{i:032x}","request_id":"{i:032x}","attempts":1,'
                f'"at":"2026-01-01T00:00:00.000000+00:00"}}\n'
            )


def test_resume_memory_grows_with_the_ambiguous_items_only(tmp_path: Path) -> None:
    """Python allocations held after reading a complete file: a few bytes per
    finished item (a state byte and a name hash), full records for the ambiguous."""
    results = tmp_path / "r.jsonl"
    count = 20_000
    _complete_file(results, count, ambiguous=3)
    tracemalloc.start()
    try:
        state = read_results(results)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sorted(state.ambiguous) == [0, 1, 2]
    assert state.started_count == count - 3
    assert held < 40 * count  # the records themselves: over 500 bytes each
    manifest = tmp_path / "m.csv"
    manifest.write_text("".join(f"media,v/{i:07d}.mp4\n" for i in range(count)))
    changed = next(iter(read_manifest(manifest)))
    state.check(changed)  # the same object: passes
    changed.object_key = "v/other.mp4"
    with pytest.raises(ManifestError, match=r"media/v/0000000\.mp4 in the results file"):
        state.check(changed)


def test_the_batch_lines_of_a_run_are_settled_with_their_send_time(tmp_path: Path) -> None:
    """Settling reads a batch line as a ``sending`` line per item, with its ``sent_at``."""
    results = tmp_path / "r.jsonl"
    sent = "2026-01-01T00:00:00+00:00"
    results.write_text(
        '{"format":"obs-workflow-results","version":2,"graph":"g","at":"x"}\n'
        f'{{"status":"sending","sent_at":"{sent}","items":[[0,"b","o0"],[1,"b","o1"]]}}\n'
        '{"index":0,"bucket":"b","object":"o0","status":"started","at":"2026-01-01T00:00:01+00:00"}\n'
    )
    pending = read_pending(results)
    assert pending.graphs == frozenset({GRAPH})
    (item,) = pending.items
    assert (item.index, item.bucket, item.object_key) == (1, "b", "o1")
    assert item.since == datetime.fromisoformat(sent) and item.until is None
    assert [r["status"] for r in item_lines(results)] == ["sending", "sending", "started"]


@pytest.mark.parametrize(
    ("bucket", "obj", "key", "headers"),
    [
        ("media", "v/1.mp4", None, {}),
        ("media", 'vidéo/é "quoted"\n.mp4', "k-1", {"Date": "Wed, 01 May 2024 12:01:00 GMT"}),
        ("media", "lone\udc80surrogate", None, {"Date": "Wed, 01 May 2024 11:59:59 GMT"}),
    ],
)
def test_a_started_line_is_the_outcome_record_as_json(
    bucket: str, obj: str, key: str | None, headers: dict[str, str]
) -> None:
    """The line built without a dict for started items is exactly what the general
    path writes (so every reader reads it the same)."""
    from obs_workflow_async._batch.models import StartOutcome
    from obs_workflow_async.cli.manifest import ManifestItem
    from obs_workflow_async.cli.results import outcome_record, results_line, started_line
    from obs_workflow_async.models import StartWorkflowResult

    item = ManifestItem(index=12, bucket=bucket, object_key=obj, key=key)
    result = StartWorkflowResult.model_validate(
        {"execution_name": "e\u00e9", "execution_urn": "urn:x", "headers": headers}
    )
    outcome = StartOutcome(12, None, result=result, attempts=2)
    at = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)
    assert started_line(outcome, item, at) == results_line(outcome_record(outcome, item, at))
    assert json.loads(started_line(outcome, item, at))["object"] == obj


_ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)
"""Any Python string: control characters, quotes, non-ASCII, lone surrogates."""


@settings(max_examples=200, deadline=None)
@given(
    bucket=_ANY_TEXT,
    obj=_ANY_TEXT,
    key=st.none() | _ANY_TEXT,
    name=st.none() | _ANY_TEXT,
    urn=st.none() | _ANY_TEXT,
    request_id=st.none() | _ANY_TEXT,
    date=st.none()
    | st.sampled_from(
        ["Wed, 01 May 2024 12:01:00 GMT", "Wed, 01 May 2024 11:59:59 GMT", "not a date", ""]
    ),
    micros=st.integers(0, 999_999),
)
def test_a_started_line_equals_the_general_path_for_any_text(
    bucket: str,
    obj: str,
    key: str | None,
    name: str | None,
    urn: str | None,
    request_id: str | None,
    date: str | None,
    micros: int,
) -> None:
    """The fast line (the json module's escaping called directly, the time quoted as
    it is) is byte for byte what ``json.dumps`` makes of the record, whatever the text."""
    from obs_workflow_async._batch.models import StartOutcome
    from obs_workflow_async.cli.manifest import ManifestItem
    from obs_workflow_async.cli.results import outcome_record, results_line, started_line
    from obs_workflow_async.models import StartWorkflowResult

    assume(name is not None or urn is not None)  # an answer names its execution
    item = ManifestItem(index=3, bucket=bucket, object_key=obj, key=key)
    result = StartWorkflowResult.model_construct(
        execution_name=name,
        execution_urn=urn,
        request_id=request_id,
        headers={} if date is None else {"date": date},
    )
    outcome = StartOutcome(3, None, result=result, attempts=1)
    at = datetime(2024, 5, 1, 12, 0, 0, micros, tzinfo=timezone.utc)
    line = started_line(outcome, item, at)
    assert line == results_line(outcome_record(outcome, item, at))
    assert json.loads(line)["object"] == obj
