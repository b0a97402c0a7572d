"""obs-workflow start-many: manifests, results, interruption and resume, ambiguous items."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from obs_workflow_async import cli
from obs_workflow_async.cli.manifest import ManifestError, read_manifest
from obs_workflow_async.cli.results import read_results
from obs_workflow_async.testing import FakeWorkflowServer, Fault
from tests.support.cli import run_cli, server_env
from tests.support.results_file import last_statuses


def _env(server: FakeWorkflowServer) -> dict[str, str]:
    return {
        **os.environ,
        "OBS_ACCESS_KEY_ID": server.access_key_id,
        "OBS_SECRET_ACCESS_KEY": server.secret_access_key,
        "OBS_SERVER": server.url,
    }


def _statuses(path: Path) -> dict[int, str]:
    return last_statuses(path)


def test_manifest_formats(tmp_path: Path) -> None:
    csv_file = tmp_path / "m.csv"
    csv_file.write_text(
        'bucket,object,inputs\nb-1,a.mp4,"{""r"": ""720p""}"\nb-1,b.mp4\nonly-one\n'
    )
    items = list(read_manifest(csv_file))
    assert [(i.index, i.bucket, i.object_key, i.inputs) for i in items[:2]] == [
        (0, "b-1", "a.mp4", {"r": "720p"}),
        (1, "b-1", "b.mp4", None),
    ]
    assert items[2].problem is not None
    jsonl = tmp_path / "m.jsonl"
    jsonl.write_text('{"bucket": "b-1", "object": "x", "key": 7}\n\n[1]\n{"bucket": 1}\n')
    items = list(read_manifest(jsonl))
    assert (items[0].bucket, items[0].object_key, items[0].key) == ("b-1", "x", "7")
    assert items[1].problem and items[2].problem and len(items) == 3


def test_resume_refuses_a_changed_manifest(tmp_path: Path) -> None:
    results = tmp_path / "r.jsonl"
    results.write_text('{"index": 0, "bucket": "b-1", "object": "old", "status": "started"}\n')
    state = read_results(results)
    (item,) = read_manifest(_write(tmp_path / "m.csv", ["b-1,new"]))
    with pytest.raises(ManifestError, match="manifest changed"):
        state.check(item)


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


_KILL_AFTER = 200
# The manifest's size: the run is interrupted after _KILL_AFTER starts, with at least
# (_ITEMS - _KILL_AFTER) * _DELAY / 32 seconds of starts still to go (1.25 s at
# concurrency 32), however fast the machine: the fake's delay, not the item count,
# keeps the interrupt mid-run (5,000 items at 0.01 s gave about the same margin, at five
# times the CPU).
_ITEMS = 1000
_DELAY = 0.05


def _wait_for_started(
    results: Path, process: subprocess.Popen[str], *, at_least: int, timeout: float
) -> None:
    """Return once ``results`` records ``at_least`` started items; fail if ``process``
    ends first or nothing gets there within ``timeout`` seconds."""
    give_up = time.monotonic() + timeout
    while True:
        text = results.read_text() if results.exists() else ""
        complete = text[: text.rfind("\n") + 1]  # the writer may be mid-line
        started = sum(json.loads(line).get("status") == "started" for line in complete.splitlines())
        if started >= at_least:
            return
        assert process.poll() is None, f"the run ended before {at_least} starts ({started})"
        assert time.monotonic() < give_up, f"only {started} starts after {timeout}s"
        time.sleep(0.02)


@pytest.mark.slow
def test_killed_and_resumed_run_starts_each_item_exactly_once(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    server = obs_fake_server
    server.record_requests = False
    server.add_fault(Fault("delay", delay=_DELAY), times=None)  # long enough to interrupt
    manifest = _write(
        tmp_path / "objects.csv",
        ["bucket,object"] + [f"media,v/{i:05d}.mp4" for i in range(_ITEMS)],
    )
    results = tmp_path / "results.jsonl"
    command = [
        sys.executable,
        "-m",
        "obs_workflow_async",
        "start-many",
        "transcode",
        "--manifest",
        str(manifest),
        "--concurrency",
        "32",
        "--results",
        str(results),
    ]
    first = subprocess.Popen(
        command, env=_env(server), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        # Interrupt once the run has recorded some starts: event-driven, not a speed
        # threshold (the overall timeout only bounds a hang on a very busy machine).
        _wait_for_started(results, first, at_least=_KILL_AFTER, timeout=600)
        first.send_signal(signal.SIGINT)
        out, err = first.communicate(timeout=600)
    finally:
        if first.poll() is None:  # a failed wait: never leave the process behind
            first.kill()
            first.communicate()
    assert first.returncode == 130, err
    summary = json.loads(out.strip().splitlines()[-1])
    # the kill landed mid-run: some items were started, not all
    assert summary["interrupted"] and _KILL_AFTER <= summary["started"] < _ITEMS, summary
    assert summary["ambiguous"] == 0  # in-flight items were allowed to finish
    assert len(server.executions) == summary["started"]

    second = run_cli(*command[3:-2], "--resume", str(results), env=server_env(server))
    assert second.returncode == 0, second.stderr
    summary2 = json.loads(second.stdout.strip().splitlines()[-1])
    assert summary2["skipped_already_started"] == summary["started"]
    assert summary2["started"] == _ITEMS - summary["started"]
    objects = Counter(e.object_key for e in server.executions)
    assert len(server.executions) == _ITEMS and len(objects) == _ITEMS  # exactly once each
    assert set(_statuses(results).values()) == {"started"}


def test_ambiguous_items_are_listed_not_resent(
    obs_fake_server: FakeWorkflowServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = obs_fake_server
    for name, value in _env(server).items():
        monkeypatch.setenv(name, value)
    lines = [json.dumps({"bucket": "media", "object": f"o{i}"}) for i in range(40)]
    manifest = _write(tmp_path / "m.jsonl", [*lines, '{"bucket": "BAD"}'])
    results = tmp_path / "r.jsonl"
    server.add_fault(Fault("drop"), times=3)
    code = cli.main(
        [
            "start-many",
            "g",
            "--manifest",
            str(manifest),
            "--results",
            str(results),
            "--no-progress",
            "--concurrency",
            "1",
        ]
    )
    assert code == 1
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (summary["started"], summary["ambiguous"], summary["invalid"]) == (37, 3, 1)
    listed = Path(summary["ambiguous_list"]).read_text().splitlines()
    assert len(listed) == 3 and len(server.executions) == 40  # the dropped ones did start

    code = cli.main(
        ["start-many", "g", "--manifest", str(manifest), "--resume", str(results), "--no-progress"]
    )
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["skipped_ambiguous"] == 3 and summary["started"] == 0
    assert len(server.executions) == 40  # nothing resent
    assert code == 1  # still unsettled: 3 ambiguous, 1 invalid

    # unsettled ambiguous items are not resent by --retry-ambiguous (only proven
    # not_started ones are) ...
    cli.main(
        [
            "start-many",
            "g",
            "--manifest",
            str(manifest),
            "--resume",
            str(results),
            "--retry-ambiguous",
            "--no-progress",
        ]
    )
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["started"] == 0 and summary["skipped_ambiguous"] == 3
    assert len(server.executions) == 40
    # ... only by the loudly named flag
    cli.main(
        [
            "start-many",
            "g",
            "--manifest",
            str(manifest),
            "--resume",
            str(results),
            "--retry-unknown-may-duplicate",
            "--no-progress",
        ]
    )
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["started"] == 3
    assert len(server.executions) == 43  # the documented price of that flag
