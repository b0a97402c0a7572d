"""``obs-workflow settle`` and the resume rules it feeds, driven against the fake (in
process; the run that is killed is a real process), with server-side per-object
counts: a ``kill -9`` mid-run leaves items
``sending`` (some of them started), ``settle`` proves which, and ``--resume
--retry-ambiguous`` then starts every object exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from obs_workflow_async.cli.results import ResultsLock
from obs_workflow_async.cli.settle_file import read_last_records
from obs_workflow_async.testing import FakeWorkflowServer, Fault
from tests.support.cli import CliResult, run_cli, server_env


def _env(server: FakeWorkflowServer) -> dict[str, str]:
    return {
        **os.environ,
        "OBS_ACCESS_KEY_ID": server.access_key_id,
        "OBS_SECRET_ACCESS_KEY": server.secret_access_key,
        "OBS_SERVER": server.url,
    }


def _cli(server: FakeWorkflowServer, *args: str) -> CliResult:
    return run_cli(*args, env=server_env(server))


def _start_many(manifest: Path, results: Path, *args: str) -> list[str]:
    return [
        "start-many",
        "g",
        "--manifest",
        str(manifest),
        "--results",
        str(results),
        "--no-progress",
        *args,
    ]


def _resume(manifest: Path, results: Path, *args: str) -> list[str]:
    return [
        "start-many",
        "g",
        "--manifest",
        str(manifest),
        "--resume",
        str(results),
        "--no-progress",
        *args,
    ]


def _summary(done: CliResult) -> dict[str, object]:
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert isinstance(summary, dict)
    return summary


def _manifest(path: Path, count: int) -> list[str]:
    objects = [f"v/{i:05d}.mp4" for i in range(count)]
    path.write_text("".join(f"media,{o}\n" for o in objects))
    return objects


@pytest.fixture
def without_object() -> Iterator[FakeWorkflowServer]:
    with FakeWorkflowServer(input_mode="without_object").run_in_thread() as server:
        yield server


@pytest.mark.slow
def test_kill_9_settle_and_retry_ambiguous_start_each_object_exactly_once(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    server = obs_fake_server
    server.record_requests = False
    # a share of the starts is slow: the kill finds them in flight, not yet started
    # (the fake cancels them when the client goes); the rest are fast, so that some
    # in-flight items have started but their answer was never read
    server.add_fault(Fault("delay", delay=0.2), operation="start", times=None, probability=0.3)
    manifest, results = tmp_path / "m.csv", tmp_path / "r.jsonl"
    # 300 starts then the kill: 700 still to go keep the kill mid-run (3,000 items
    # tested nothing more, at three times the CPU)
    objects = _manifest(manifest, 1000)
    command = [
        sys.executable,
        "-m",
        "obs_workflow_async",
        *_start_many(manifest, results, "--concurrency", "48"),
    ]
    first = subprocess.Popen(
        command, env=_env(server), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while len(server.executions) < 300 and time.monotonic() < deadline:
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    # the fake cancels the delayed starts of the dead client: none is left to land
    deadline = time.monotonic() + 60
    while server.in_flight and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.in_flight == 0
    last = read_last_records(results)
    sending = {r["object"] for r in last.values() if r["status"] == "sending"}
    assert sending, "the kill left nothing in flight"
    started_before = Counter(e.object_key for e in server.executions)
    # the hazard: items left "sending" that did start (an unsettled resend would
    # start them twice)
    sending_started = {o for o in sending if o in started_before}

    settled = _cli(server, "settle", str(results), "--settle-delay", "0.5")
    assert settled.returncode == 0, settled.stderr
    counts = json.loads(settled.stdout)
    assert counts["unknown"] == 0 and counts["duplicate"] == 0
    assert counts["started"] + counts["not_started"] == counts["settled"] == len(sending)
    assert counts["started"] == len(sending_started)
    assert counts["list_requests"] >= 1
    verdicts = {
        r["object"]: r["verdict"]
        for r in read_last_records(results).values()
        if r["status"] == "settled"
    }
    assert {o for o, v in verdicts.items() if v == "started"} == sending_started

    done = _cli(server, *_resume(manifest, results, "--retry-ambiguous"))
    assert done.returncode == 0, done.stderr
    summary = _summary(done)
    assert summary["skipped_ambiguous"] == 0
    per_object = Counter(e.object_key for e in server.executions)
    assert sorted(per_object) == sorted(objects)
    assert max(per_object.values()) == 1  # every object started exactly once
    statuses = {r["status"] for r in read_last_records(results).values()}
    assert statuses <= {"started", "settled"}


def test_unknown_is_resent_only_with_the_loud_flag(
    without_object: FakeWorkflowServer, tmp_path: Path
) -> None:
    server = without_object
    server.add_fault(Fault("drop"), operation="start", times=2)  # started, answer lost
    manifest, results = tmp_path / "m.csv", tmp_path / "r.jsonl"
    _manifest(manifest, 20)
    first = _cli(server, *_start_many(manifest, results, "--concurrency", "1"))
    assert first.returncode == 1 and _summary(first)["ambiguous"] == 2
    assert len(server.executions) == 20

    settled = _cli(server, "settle", str(results), "--settle-delay", "0")
    assert settled.returncode == 1, settled.stderr  # unknown: exit 1
    counts = json.loads(settled.stdout)
    assert (counts["unknown"], counts["started"], counts["not_started"]) == (2, 0, 0)

    again = _cli(server, *_resume(manifest, results, "--retry-ambiguous"))
    assert again.returncode == 1
    assert _summary(again)["skipped_ambiguous"] == 2
    assert len(server.executions) == 20  # not resent
    listed = (tmp_path / "r.jsonl.ambiguous").read_text().splitlines()
    assert [json.loads(line)["verdict"] for line in listed] == ["unknown", "unknown"]

    loud = _cli(server, *_resume(manifest, results, "--retry-unknown-may-duplicate"))
    assert loud.returncode == 0, loud.stderr
    assert _summary(loud)["started"] == 2
    assert len(server.executions) == 22  # the documented price of that flag


def test_resume_with_settle_settles_first(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    server = obs_fake_server
    server.add_fault(Fault("drop"), operation="start", times=1)  # started, answer lost
    server.add_fault(Fault("status", status=500), operation="start", times=1)  # not started
    manifest, results = tmp_path / "m.csv", tmp_path / "r.jsonl"
    objects = _manifest(manifest, 10)
    first = _cli(
        server, *_start_many(manifest, results, "--concurrency", "1", "--max-retries", "0")
    )
    assert _summary(first)["ambiguous"] == 2, first.stdout
    done = _cli(
        server,
        *_resume(manifest, results, "--retry-ambiguous", "--settle", "--settle-delay", "0"),
    )
    assert done.returncode == 0, done.stderr
    summary = _summary(done)
    settled = summary["settled"]
    assert isinstance(settled, dict)
    assert (settled["started"], settled["not_started"]) == (1, 1)
    assert summary["started"] == 1
    per_object = Counter(e.object_key for e in server.executions)
    assert sorted(per_object) == sorted(objects) and max(per_object.values()) == 1


def test_settle_usage_errors_and_lock(obs_fake_server: FakeWorkflowServer, tmp_path: Path) -> None:
    server = obs_fake_server
    results = tmp_path / "r.jsonl"
    missing = _cli(server, "settle", str(results))
    assert missing.returncode == 2 and "no such results file" in missing.stderr
    results.write_text('{"index": 0, "bucket": "b", "object": "k", "status": "sending"}\n')
    no_graph = _cli(server, "settle", str(results), "--since", "2024-01-01T00:00:00Z")
    assert no_graph.returncode == 2 and "pass GRAPH" in no_graph.stderr
    no_since = _cli(server, "settle", str(results), "g")
    assert no_since.returncode == 2 and "--since" in no_since.stderr
    bad_since = _cli(server, "settle", str(results), "g", "--since", "yesterday")
    assert bad_since.returncode == 2 and "ISO 8601" in bad_since.stderr
    lock = ResultsLock.acquire(results)  # a start-many run holding the file
    try:
        busy = _cli(server, "settle", str(results), "g", "--since", "2024-01-01T00:00:00Z")
    finally:
        lock.release()
    assert busy.returncode == 2 and "in use" in busy.stderr
    assert sum(server.calls.values()) == 0  # nothing was sent
    # settling an older file (no graph, no sent_at) with GRAPH and --since works
    assert _cli(server, "start", "g", "--bucket", "media", "--object", "other").returncode == 0
    ok = _cli(
        server,
        "settle",
        str(results),
        "g",
        "--since",
        "2024-01-01T00:00:00Z",
        "--settle-delay",
        "0",
    )
    assert ok.returncode == 0, ok.stderr
    counts = json.loads(ok.stdout)
    assert (counts["not_started"], counts["detail_requests"]) == (1, 1)


def test_resume_refuses_another_workflow(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    server = obs_fake_server
    manifest, results = tmp_path / "m.csv", tmp_path / "r.jsonl"
    _manifest(manifest, 3)
    assert _cli(server, *_start_many(manifest, results)).returncode == 0
    other = _cli(
        server,
        "start-many",
        "other",
        "--manifest",
        str(manifest),
        "--resume",
        str(results),
        "--no-progress",
    )
    assert other.returncode == 2 and "same GRAPH" in other.stderr
    assert len(server.executions) == 3


def test_list_page_size_and_mistyped_state(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    server = obs_fake_server
    manifest, results = tmp_path / "m.csv", tmp_path / "r.jsonl"
    _manifest(manifest, 5)
    assert _cli(server, *_start_many(manifest, results)).returncode == 0
    before = server.calls["list_executions"]
    listed = _cli(server, "list", "executions", "g", "--page-size", "2")
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.splitlines()) == 5
    assert server.calls["list_executions"] - before == 3  # pages of 2, 2, 1
    before = server.calls["list_executions"]
    bad = _cli(server, "list", "executions", "g", "--state", "FAILD")
    assert bad.returncode == 2 and "FAILD" in bad.stderr
    assert server.calls["list_executions"] == before  # refused before sending
    lower = _cli(server, "list", "executions", "g", "--state", "running")
    assert lower.returncode == 0, lower.stderr
