"""Operator edges of ``start-many`` and ``settle``: a torn last line, a full disk, a
results directory that cannot be written, SIGTERM and SIGHUP. Each ends in one line
on stderr (no traceback), leaves the results file valid, and the resume it names
completes: the fake's own count per object shows no object started twice.

In-process (``cli.main``) except for the signals; the full disk is the ``write``
seam of ``cli.main`` failing with ``ENOSPC`` (after writing half a line, as a full
disk may)."""

from __future__ import annotations

import errno
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from obs_workflow_async import cli
from obs_workflow_async.cli.settle_file import item_records, read_last_records
from obs_workflow_async.testing import FakeWorkflowServer, Fault

COUNT = 30


class FullDisk:
    """``os.write`` until ``writes`` lines went through, then half a line and ENOSPC."""

    def __init__(self, writes: int) -> None:
        self.left = writes
        self.failed = 0

    def __call__(self, fd: int, data: bytes) -> int:
        if self.left > 0:
            self.left -= 1
            return os.write(fd, data)
        self.failed += 1
        if self.failed == 1:
            os.write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def server(
    obs_fake_server: FakeWorkflowServer, monkeypatch: pytest.MonkeyPatch
) -> FakeWorkflowServer:
    obs_fake_server.record_requests = False
    for name, value in _env(obs_fake_server).items():
        monkeypatch.setenv(name, value)
    return obs_fake_server


def _env(server: FakeWorkflowServer) -> dict[str, str]:
    return {
        "OBS_ACCESS_KEY_ID": server.access_key_id,
        "OBS_SECRET_ACCESS_KEY": server.secret_access_key,
        "OBS_SERVER": server.url,
    }


def _main(
    capsys: pytest.CaptureFixture[str], *argv: str, write: FullDisk | None = None
) -> tuple[int, str, str]:
    status = cli.main(list(argv), write=write)
    out, err = capsys.readouterr()
    return status, out, err


def _manifest(path: Path) -> list[str]:
    objects = [f"v/{i:03d}.mp4" for i in range(COUNT)]
    path.write_text("".join(f"media,{o}\n" for o in objects))
    return objects


def _start_many(manifest: Path, results: Path, *args: str) -> list[str]:
    return [
        "start-many", "g", "--manifest", str(manifest), "--results", str(results),
        "--no-progress", "--max-retries", "0", *args,
    ]  # fmt: skip


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("obs-workflow: "), err
    assert "Traceback" not in err
    return lines[0]


def _hinted(line: str, marker: str) -> list[str]:
    """The command a message names (``... MARKER obs-workflow ARGS``), without its
    program name."""
    words = shlex.split(line.split(marker, 1)[1])
    assert words[0] == "obs-workflow", line
    return words[1:]


def _assert_exactly_once(server: FakeWorkflowServer, objects: list[str]) -> None:
    final = Counter(e.object_key for e in server.executions)
    assert [final[o] for o in objects] == [1] * len(objects), final


def test_settle_after_a_torn_last_line_finds_the_workflow_in_the_file(
    server: FakeWorkflowServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    manifest, results = tmp_path / "m.csv", tmp_path / "r.jsonl"
    objects = _manifest(manifest)
    server.add_fault(Fault("drop"), operation="start", times=4)
    status, _, err = _main(capsys, *_start_many(manifest, results))
    assert status == 1, err
    last = read_last_records(results)
    started = next(i for i, r in last.items() if r["status"] == "started")
    with results.open("a") as handle:  # a run killed while writing item `started` again
        torn = {"index": started, "bucket": "media", "object": objects[started], "status": "x"}
        handle.write(json.dumps(torn)[:-8])  # ..."object": "v/00N.mp4", "st
    status, out, err = _main(capsys, "settle", str(results), "--settle-delay", "0")
    assert status == 0, err  # no GRAPH needed: the file records one workflow
    counts = json.loads(out)
    assert counts["started"] == 5 and counts["unknown"] == 0, counts
    assert read_last_records(results)[started]["verdict"] == "started"
    _main(capsys, "start-many", "g", "--manifest", str(manifest), "--resume", str(results),
          "--no-progress")  # fmt: skip
    _assert_exactly_once(server, objects)


def _named_sending(results: Path) -> set[str]:
    """The objects the complete lines of ``results`` name as ``sending`` (a line per
    item in format 1, a batch line in format 2)."""
    named: set[str] = set()
    for line in results.read_text().split("\n")[:-1]:
        for _, record in item_records(json.loads(line)) or ():
            if record.get("status") == "sending":
                named.add(str(record["object"]))
    return named


@pytest.mark.parametrize("writes", [0, 2, 5, 9])
def test_a_full_disk_during_start_many_ends_in_one_line_and_the_resume_completes(
    server: FakeWorkflowServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    writes: int,
) -> None:
    manifest, results = tmp_path / "m.csv", tmp_path / "r.jsonl"
    objects = _manifest(manifest)
    server.add_fault(Fault("delay", delay=0.02), operation="start", times=None)
    full = FullDisk(writes)
    status, out, err = _main(
        capsys, *_start_many(manifest, results, "--concurrency", "4"), write=full
    )
    assert status == 2 and out == "", (out, err)
    line = _one_line(err)
    assert "no space left" in line and str(results) in line, line
    # nothing goes without its "sending" line on file
    assert {e.object_key for e in server.executions} <= _named_sending(results)
    resume = _hinted(line, "go on with: ")
    assert resume[:2] == ["start-many", "g"] and "--resume" in resume, resume
    status, out, err = _main(capsys, *resume, "--no-progress", "--settle-delay", "0")
    assert status == 0, err
    _assert_exactly_once(server, objects)


def test_a_full_disk_during_settle_leaves_the_file_to_settle_again(
    server: FakeWorkflowServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    manifest, results = tmp_path / "m.csv", tmp_path / "r.jsonl"
    objects = _manifest(manifest)
    server.add_fault(Fault("drop"), operation="start", times=3)
    server.add_fault(Fault("status", status=500), operation="start", times=3)
    _main(capsys, *_start_many(manifest, results, "--concurrency", "1"))
    status, out, err = _main(
        capsys, "settle", str(results), "--settle-delay", "0", write=FullDisk(2)
    )
    assert status == 2 and out == "", err
    assert "no space left" in _one_line(err)
    status, out, err = _main(capsys, "settle", str(results), "--settle-delay", "0")
    counts = json.loads(out)  # the two settle lines written stand; the torn third is redone
    assert counts["settled"] == 4, counts
    for _ in range(20):  # a listing within Date's one second of an item's end: again
        if status == 0:
            break
        time.sleep(0.3)
        status, out, err = _main(capsys, "settle", str(results), "--settle-delay", "0")
    assert status == 0, err
    verdicts = Counter(r.get("verdict") for r in read_last_records(results).values())
    assert (verdicts["started"], verdicts["not_started"]) == (3, 3), verdicts
    status, _, err = _main(
        capsys, "start-many", "g", "--manifest", str(manifest), "--resume", str(results),
        "--no-progress", "--retry-ambiguous",
    )  # fmt: skip
    assert status == 0, err
    _assert_exactly_once(server, objects)


def test_a_results_directory_that_cannot_be_written_ends_in_one_line(
    server: FakeWorkflowServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    manifest = tmp_path / "m.csv"
    _manifest(manifest)
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    status, out, err = _main(capsys, *_start_many(manifest, not_a_directory / "r.jsonl"))
    assert status == 2 and out == "", err
    assert "cannot open" in _one_line(err)
    assert server.calls["start"] == 0


# -- signals: a subprocess each ---------------------------------------------------------


def _spawn(server: FakeWorkflowServer, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "obs_workflow_async", *args],
        env={**os.environ, **_env(server)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.01)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_start_many_like_sigint(
    server: FakeWorkflowServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    sig: signal.Signals,
) -> None:
    manifest, results = tmp_path / "m.csv", tmp_path / "r.jsonl"
    objects = [f"v/{i:03d}.mp4" for i in range(400)]
    manifest.write_text("".join(f"media,{o}\n" for o in objects))
    server.add_fault(Fault("delay", delay=0.2), operation="start", times=None)
    run = _spawn(server, *_start_many(manifest, results, "--concurrency", "4"))
    _wait_for(lambda: server.calls["start"] >= 8, "starts")
    run.send_signal(sig)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    summary = json.loads(out.strip().splitlines()[-1])
    # like SIGINT: the items in flight finish, none is left ambiguous
    assert summary["interrupted"] and summary["ambiguous"] == 0, summary
    line = next(line for line in err.splitlines() if "go on with: " in line)
    assert sig.name in line
    server.clear_faults()
    status, _, err = _main(capsys, *_hinted(line, "go on with: "), "--no-progress")
    assert status == 0, err
    _assert_exactly_once(server, objects)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_settle_like_sigint(
    server: FakeWorkflowServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    sig: signal.Signals,
) -> None:
    manifest, results = tmp_path / "m.csv", tmp_path / "r.jsonl"
    objects = _manifest(manifest)
    server.add_fault(Fault("drop"), operation="start", times=3)
    _main(capsys, *_start_many(manifest, results, "--concurrency", "1"))
    before = results.read_bytes()
    server.add_fault(Fault("delay", delay=10), operation="list_executions", times=1)
    run = _spawn(server, "settle", str(results), "--settle-delay", "0")
    _wait_for(lambda: server.calls["list_executions"] >= 1, "the listing")
    run.send_signal(sig)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 130 and out == "", (out, err)
    line = _one_line(err)
    assert sig.name in line and results.read_bytes() == before  # nothing half-written
    status, out, err = _main(capsys, *_hinted(line, "settle again with: "), "--settle-delay", "0")
    assert status == 0 and json.loads(out)["started"] == 3, err
    _main(capsys, "start-many", "g", "--manifest", str(manifest), "--resume", str(results),
          "--no-progress")  # fmt: skip
    _assert_exactly_once(server, objects)


def test_sigterm_while_start_many_settles_first_changes_nothing(
    server: FakeWorkflowServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    manifest, results = tmp_path / "m.csv", tmp_path / "r.jsonl"
    objects = _manifest(manifest)
    server.add_fault(Fault("drop"), operation="start", times=3)
    _main(capsys, *_start_many(manifest, results, "--concurrency", "1"))
    before = results.read_bytes()
    server.add_fault(Fault("delay", delay=10), operation="list_executions", times=1)
    run = _spawn(
        server, "start-many", "g", "--manifest", str(manifest), "--resume", str(results),
        "--no-progress", "--settle", "--settle-delay", "0",
    )  # fmt: skip
    _wait_for(lambda: server.calls["list_executions"] >= 1, "the listing")
    run.send_signal(signal.SIGTERM)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 130 and out == "", (out, err)
    line = _one_line(err)
    assert results.read_bytes() == before and server.calls["start"] == COUNT
    status, _, err = _main(capsys, *_hinted(line, "go on with: "), "--settle-delay", "0")
    assert status == 0, err
    _assert_exactly_once(server, objects)
