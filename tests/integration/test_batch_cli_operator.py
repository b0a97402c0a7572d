"""obs-workflow start-many driven as an operator would (in process against the fake; a
real process where it is killed or holds the lock another run is refused): resume
chains, mistyped paths, reruns, concurrent runs, torn files, hostile text, manifest
encodings, exit codes. Each test ends with the server-side check: no object
started twice, and every object either started or listed in the results file as not
started (and every started object recorded as started or ambiguous, never as
something a resume would send again)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import web

from obs_workflow_async.cli.settle_file import read_last_records
from obs_workflow_async.testing import FakeWorkflowServer, Fault
from tests.support.cli import CliResult, run_cli
from tests.support.results_file import item_lines

NOT_STARTED = {"failed", "invalid", "ambiguous", "sending"}


def _env(server: FakeWorkflowServer | str) -> dict[str, str]:
    if isinstance(server, str):
        return {
            **os.environ,
            "OBS_ACCESS_KEY_ID": "AK",
            "OBS_SECRET_ACCESS_KEY": "SK",
            "OBS_SERVER": server,
        }
    return {
        **os.environ,
        "OBS_ACCESS_KEY_ID": server.access_key_id,
        "OBS_SECRET_ACCESS_KEY": server.secret_access_key,
        "OBS_SERVER": server.url,
    }


def _command(manifest: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "obs_workflow_async",
        "start-many",
        "g",
        "--manifest",
        str(manifest),
        "--no-progress",
        *args,
    ]


def _run(server: FakeWorkflowServer | str, manifest: Path, *args: str) -> CliResult:
    return run_cli(*_command(manifest, *args)[3:], env=_env(server))


def _summary(done: CliResult) -> dict[str, object]:
    return _summary_text(done.stdout)


def _summary_text(stderr: str) -> dict[str, object]:
    summary = json.loads(stderr.strip().splitlines()[-1])
    assert isinstance(summary, dict)
    return summary


def _manifest(path: Path, count: int) -> tuple[Path, list[str]]:
    objects = [f"v/{i:03d}.mp4" for i in range(count)]
    path.write_text("".join(f"media,{o}\n" for o in objects))
    return path, objects


def _assert_exactly_once(server: FakeWorkflowServer, objects: list[str], results: Path) -> None:
    """0 objects started twice; every object started or listed; every started object
    recorded so that no resume sends it again."""
    started = Counter(e.object_key for e in server.executions)
    assert [o for o, n in started.items() if n > 1] == []
    last = read_last_records(results) if results.exists() else {}
    status = {str(r.get("object")): str(r.get("status")) for r in last.values()}
    for obj in objects:
        assert obj in started or status.get(obj) in NOT_STARTED, obj
    for obj in started:
        assert status.get(obj) in ("started", "ambiguous", "sending"), obj


def test_resume_r1_into_r2_then_r2_skips_what_r1_did(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    server = obs_fake_server
    manifest, objects = _manifest(tmp_path / "m.csv", 20)
    r1, r2 = tmp_path / "r1.jsonl", tmp_path / "r2.jsonl"
    server.add_fault(Fault("status", status=400, code="Bad"), operation="start", times=2)
    server.add_fault(Fault("drop"), operation="start", times=2)
    first = _run(server, manifest, "--results", str(r1), "--concurrency", "1")
    assert first.returncode == 1, first.stderr
    assert (_summary(first)["started"], _summary(first)["failed"]) == (16, 2)
    assert _summary(first)["ambiguous"] == 2 and len(server.executions) == 18

    second = _run(server, manifest, "--resume", str(r1), "--results", str(r2))
    assert second.returncode == 1, second.stderr  # the 2 ambiguous ones stay unsettled
    s2 = _summary(second)
    assert (s2["started"], s2["skipped_already_started"], s2["skipped_ambiguous"]) == (2, 16, 2)
    assert len((tmp_path / "r2.jsonl.ambiguous").read_text().splitlines()) == 2

    for _ in range(2):  # the .ambiguous list is rewritten, not appended to
        third = _run(server, manifest, "--resume", str(r2))
        s3 = _summary(third)
        assert third.returncode == 1, third.stderr
        assert (s3["started"], s3["skipped_already_started"], s3["skipped_ambiguous"]) == (
            0,
            18,
            2,
        )
        assert len((tmp_path / "r2.jsonl.ambiguous").read_text().splitlines()) == 2
    assert len(server.executions) == 20  # the dropped ones did start, once
    _assert_exactly_once(server, objects, r2)


def test_a_mistyped_resume_path_sends_nothing(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    server = obs_fake_server
    manifest, objects = _manifest(tmp_path / "m.csv", 20)
    results = tmp_path / "r.jsonl"
    assert _run(server, manifest, "--results", str(results)).returncode == 0
    typo = tmp_path / "r.josnl"
    done = _run(server, manifest, "--resume", str(typo))
    assert done.returncode == 2
    assert "no such results file to resume from" in done.stderr and "Traceback" not in done.stderr
    assert not typo.exists() and server.calls["start"] == 20
    _assert_exactly_once(server, objects, results)


def test_a_rerun_over_existing_results_is_refused_without_overwrite(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    server = obs_fake_server
    manifest, objects = _manifest(tmp_path / "m.csv", 20)
    assert _run(server, manifest).returncode == 0  # default results: m.csv.results.jsonl
    default = tmp_path / "m.csv.results.jsonl"
    before = default.read_bytes()
    again = _run(server, manifest)
    assert again.returncode == 2 and "--resume" in again.stderr and "--overwrite" in again.stderr
    r2 = tmp_path / "r2.jsonl"
    r2.write_text('{"index": 0, "bucket": "media", "object": "x", "status": "failed"}\n')
    into_existing = _run(server, manifest, "--resume", str(default), "--results", str(r2))
    assert into_existing.returncode == 2 and "exists" in into_existing.stderr
    assert default.read_bytes() == before and server.calls["start"] == 20
    _assert_exactly_once(server, objects, default)


def test_overwrite_replaces_a_results_file(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    server = obs_fake_server
    manifest, objects = _manifest(tmp_path / "m.csv", 10)
    results = tmp_path / "r.jsonl"
    server.add_fault(Fault("status", status=403, code="Denied"), operation="start", times=None)
    assert _run(server, manifest, "--results", str(results)).returncode == 1
    server.clear_faults()
    assert _run(server, manifest, "--results", str(results)).returncode == 2
    done = _run(server, manifest, "--results", str(results), "--overwrite")
    assert done.returncode == 0, done.stderr
    assert {str(r["status"]) for r in item_lines(results)} == {
        "sending",
        "started",
    }
    _assert_exactly_once(server, objects, results)


def _wait_for(predicate: object, timeout: float = 30.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_second_run_on_the_same_results_file_is_refused(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    server = obs_fake_server
    manifest, objects = _manifest(tmp_path / "m.csv", 200)
    results = tmp_path / "r.jsonl"
    results.write_text("")  # an existing empty file is fine for a fresh run
    server.add_fault(Fault("delay", delay=0.5), operation="start", times=None)  # a slow run
    first = subprocess.Popen(
        _command(manifest, "--results", str(results), "--concurrency", "2"),
        env=_env(server),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(lambda: server.calls["start"] >= 2)
        r2 = str(tmp_path / "r2.jsonl")
        for args in (
            ("--resume", str(results)),
            ("--results", str(results), "--overwrite"),
            ("--resume", str(results), "--results", r2),
        ):
            second = _run(server, manifest, *args)
            assert second.returncode == 2, second.stderr
            assert "in use by another run" in second.stderr
        assert first.poll() is None  # the refusals happened while it ran
        first.send_signal(signal.SIGINT)
    finally:
        out, err = first.communicate(timeout=60)
    assert first.returncode == 130, err
    started = _summary_text(out)["started"]
    assert started == len(server.executions) < 200
    server.clear_faults()
    after = _run(server, manifest, "--resume", str(results))  # the lock died with the run
    assert after.returncode == 0, after.stderr
    assert _summary(after)["skipped_already_started"] == started
    assert not (tmp_path / "r2.jsonl").exists() or (tmp_path / "r2.jsonl").stat().st_size == 0
    assert len(server.executions) == 200
    _assert_exactly_once(server, objects, results)


def test_kill_9_then_a_torn_last_line_then_two_resumes(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    server = obs_fake_server
    server.record_requests = False
    manifest, objects = _manifest(tmp_path / "m.csv", 400)
    results = tmp_path / "r.jsonl"
    server.add_fault(Fault("delay", delay=0.01), operation="start", times=None)
    run = subprocess.Popen(
        _command(manifest, "--results", str(results), "--concurrency", "8"),
        env=_env(server),
        stderr=subprocess.DEVNULL,
    )
    _wait_for(lambda: server.calls["start"] >= 50)
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=30)
    server.clear_faults()
    # The kill left the last line whole; a crash in mid-write of a line about the last
    # item recorded leaves its first 20 bytes ('{"index":N,"bucket"'): append them.
    data = results.read_bytes()
    item_line = data[data.rstrip(b"\n").rfind(b'\n{"index"') + 1 :].split(b"\n")[0]
    torn_index = json.loads(item_line)["index"]
    results.write_bytes(data + item_line[:20])
    assert not results.read_bytes().endswith(b"\n")

    first = _run(server, manifest, "--resume", str(results))
    assert first.returncode == 1, first.stderr  # the torn item (and any in flight) listed
    listed = [
        json.loads(line) for line in (tmp_path / "r.jsonl.ambiguous").read_text().splitlines()
    ]
    assert torn_index in {record["index"] for record in listed}
    assert all(line for line in results.read_text().split("\n")[:-1])  # repaired
    second = _run(server, manifest, "--resume", str(results))
    assert second.returncode == 1, second.stderr
    assert _summary(second)["started"] == 0
    assert _summary(second)["skipped_ambiguous"] == _summary(first)["skipped_ambiguous"]
    _assert_exactly_once(server, objects, results)


def test_a_torn_line_whose_index_cannot_be_read_is_cut_off(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    server = obs_fake_server
    manifest, objects = _manifest(tmp_path / "m.csv", 10)
    results = tmp_path / "r.jsonl"
    assert _run(server, manifest, "--results", str(results)).returncode == 0
    results.write_bytes(results.read_bytes() + b'{"ind')
    for _ in range(2):
        done = _run(server, manifest, "--resume", str(results))
        assert done.returncode == 0, done.stderr
        assert _summary(done)["skipped_already_started"] == 10
    assert results.read_bytes().endswith(b"}\n")
    _assert_exactly_once(server, objects, results)


def test_a_lone_surrogate_in_a_manifest_row_is_an_invalid_item(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    server = obs_fake_server
    objects = [f"o{i}" for i in range(10)]
    objects[4] = os.fsdecode(b"bad-\xff-name")  # what a non-UTF-8 file name becomes
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(
        "".join(json.dumps({"bucket": "media", "object": o}) + "\n" for o in objects)
    )
    results = tmp_path / "r.jsonl"
    for args in (("--results", str(results)), ("--resume", str(results))):
        done = _run(server, manifest, *args)
        assert done.returncode == 1, done.stderr
        assert _summary(done)["invalid"] == 1 and "Traceback" not in done.stderr
    last = read_last_records(results)
    assert last[4]["object"] == objects[4] and last[4]["status"] == "invalid"
    assert len(server.executions) == 9
    _assert_exactly_once(server, objects, results)


def test_a_lone_surrogate_in_a_service_message_is_recorded(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    server = obs_fake_server
    manifest, objects = _manifest(tmp_path / "m.csv", 10)
    results = tmp_path / "r.jsonl"
    body = '{"code": "X", "message": "bad \\udcff"}'
    server.add_fault(Fault("status", status=400, body=body), operation="start", times=3)
    first = _run(server, manifest, "--results", str(results), "--concurrency", "1")
    assert first.returncode == 1 and "Traceback" not in first.stderr, first.stderr
    assert (_summary(first)["started"], _summary(first)["failed"]) == (7, 3)
    failed = [r for r in read_last_records(results).values() if r["status"] == "failed"]
    # the service text is kept, a lone surrogate replaced (error fields are always writable)
    assert [r["message"] for r in failed] == ["bad \ufffd"] * 3
    second = _run(server, manifest, "--resume", str(results))
    assert second.returncode == 0 and _summary(second)["started"] == 3, second.stderr
    _assert_exactly_once(server, objects, results)


def test_a_service_message_that_is_not_utf8_is_recorded(tmp_path: Path) -> None:
    """A server of the test's own answers 400 with a raw 0xff byte in the message."""
    starts: list[str] = []

    async def refuse(request: web.Request) -> web.Response:
        starts.append(request.path)
        return web.Response(
            status=400,
            body=b'{"code": "X", "message": "bad \xff"}',
            content_type="application/json",
        )

    with _serving(refuse) as url:
        manifest, _ = _manifest(tmp_path / "m.csv", 5)
        results = tmp_path / "r.jsonl"
        done = _run(url, manifest, "--results", str(results))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    summary = _summary(done)
    assert summary["failed"] == 5 and summary["started"] == 0
    records = read_last_records(results)
    assert sorted(records) == [0, 1, 2, 3, 4]
    assert {r["status"] for r in records.values()} == {"failed"}
    assert all(str(r["message"]).startswith("bad ") for r in records.values())
    assert len(starts) == 5  # each refused once: no object started, every one listed


@contextlib.contextmanager
def _serving(handler: Callable[[web.Request], Awaitable[web.Response]]) -> Iterator[str]:
    """An aiohttp app answering every request with ``handler``, on a loop in a thread
    (the command runs its own loop in this one); yields its URL."""
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", 0).start())
    thread = threading.Thread(target=loop.run_forever, name="test-server")
    thread.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.run_until_complete(runner.cleanup())
        loop.close()


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _manifests(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    rows = [("media", f"k/{i}.mp4") for i in range(6)]
    csv_text = "bucket,object\n" + "".join(f"{b},{o}\n" for b, o in rows)
    jsonl = "".join(json.dumps({"bucket": b, "object": o}) + "\n" for b, o in rows)
    yield "bom-csv", _write_bytes(tmp_path / "bom.csv", b"\xef\xbb\xbf" + csv_text.encode())
    yield "bom-jsonl", _write_bytes(tmp_path / "bom.jsonl", b"\xef\xbb\xbf" + jsonl.encode())
    yield "tsv", _write_bytes(tmp_path / "m.tsv", csv_text.replace(",", "\t").encode())
    yield "jsonl-no-suffix", _write_bytes(tmp_path / "objects.txt", b"\n" + jsonl.encode())
    yield (
        "bom-jsonl-no-suffix",
        _write_bytes(tmp_path / "objects", b"\xef\xbb\xbf" + jsonl.encode()),
    )


@pytest.mark.parametrize(
    "kind", ["bom-csv", "bom-jsonl", "tsv", "jsonl-no-suffix", "bom-jsonl-no-suffix"]
)
def test_manifest_encodings_and_formats(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path, kind: str
) -> None:
    server = obs_fake_server
    manifest = dict(_manifests(tmp_path))[kind]
    results = tmp_path / "r.jsonl"
    done = _run(server, manifest, "--results", str(results))
    assert done.returncode == 0, done.stderr
    objects = [f"k/{i}.mp4" for i in range(6)]
    assert sorted(e.object_key for e in server.executions) == objects
    assert {e.bucket for e in server.executions} == {"media"}
    _assert_exactly_once(server, objects, results)


def test_a_manifest_that_is_not_utf8_names_the_line(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    server = obs_fake_server
    manifest = _write_bytes(tmp_path / "m.csv", b"media,a.mp4\nmedia,b.mp4\nmedia,caf\xe9.mp4\n")
    results = tmp_path / "r.jsonl"
    done = _run(server, manifest, "--results", str(results))
    assert done.returncode == 2
    assert f"{manifest}:3: not UTF-8" in done.stderr and "Traceback" not in done.stderr
    assert server.calls["start"] == 0 and not results.exists()  # nothing sent, nothing written
    _assert_exactly_once(server, [], results)


def test_a_changed_manifest_stops_the_resume_with_exit_2(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    server = obs_fake_server
    manifest, objects = _manifest(tmp_path / "m.csv", 5)
    results = tmp_path / "r.jsonl"
    assert _run(server, manifest, "--results", str(results)).returncode == 0
    manifest.write_text("media,other.mp4\n" + manifest.read_text())
    done = _run(server, manifest, "--resume", str(results))
    assert done.returncode == 2 and "the manifest changed" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and server.calls["start"] == 5
    _assert_exactly_once(server, objects, results)
