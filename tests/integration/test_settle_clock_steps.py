"""A local clock that is wrong during a ``start-many`` run and right when ``settle``
runs (a VM resumed, NTP stepped the clock after a crash), or that steps in the
middle of the run: settle must never call a started item ``not_started``, and
``--resume --retry-ambiguous`` must never start an object twice.

The wall clock is injected through ``cli.main(runtime=Runtime(wall_clock=...))``: the
run writes its results lines (and signs its requests) with the shifted clock, the
fake stamps ``Date`` and ``started_at`` with the true one. Every test ends with the
fake's own count of executions per object."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from obs_workflow_async import Runtime, cli
from obs_workflow_async.cli.settle_file import read_last_records
from obs_workflow_async.testing import FakeWorkflowServer, Fault

COUNT = 40


class SteppedClock:
    """This machine's clock, off by ``shift`` seconds (changed by the test)."""

    def __init__(self, shift: float = 0.0) -> None:
        self.shift = shift

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc) + timedelta(seconds=self.shift)


@pytest.fixture
def server(
    obs_fake_server: FakeWorkflowServer, monkeypatch: pytest.MonkeyPatch
) -> FakeWorkflowServer:
    obs_fake_server.max_skew_seconds = 3600  # requests signed with the wrong clock pass
    obs_fake_server.record_requests = False
    monkeypatch.setenv("OBS_ACCESS_KEY_ID", obs_fake_server.access_key_id)
    monkeypatch.setenv("OBS_SECRET_ACCESS_KEY", obs_fake_server.secret_access_key)
    monkeypatch.setenv("OBS_SERVER", obs_fake_server.url)
    return obs_fake_server


def _main(
    capsys: pytest.CaptureFixture[str], clock: SteppedClock, *argv: str
) -> tuple[int, str, str]:
    status = cli.main(list(argv), runtime=Runtime(wall_clock=clock))
    out, err = capsys.readouterr()
    return status, out, err


def _manifest(path: Path) -> list[str]:
    objects = [f"v/{i:03d}.mp4" for i in range(COUNT)]
    path.write_text("".join(f"media,{o}\n" for o in objects))
    return objects


def _ambiguous_faults(server: FakeWorkflowServer) -> None:
    # lost answers of starts that happened, and 500s of starts that did not: both
    # ambiguous; only the 500s carry a Date
    server.add_fault(Fault("drop"), operation="start", times=None, probability=0.25)
    server.add_fault(Fault("status", status=500), operation="start", times=None, probability=0.2)


def _run_settle_retry(
    server: FakeWorkflowServer,
    capsys: pytest.CaptureFixture[str],
    clock: SteppedClock,
    tmp_path: Path,
    during_run: float,
    at_settle: float,
) -> dict[str, object]:
    manifest, results = tmp_path / "m.csv", tmp_path / "r.jsonl"
    objects = _manifest(manifest)
    _ambiguous_faults(server)
    clock.shift = during_run
    status, out, err = _main(
        capsys, clock, "start-many", "g", "--manifest", str(manifest), "--results",
        str(results), "--no-progress", "--concurrency", "4", "--max-retries", "0",
    )  # fmt: skip
    summary = json.loads(out.strip().splitlines()[-1])
    assert status == 1 and summary["ambiguous"] > 0, (summary, err)
    server.clear_faults()
    started_in_run = Counter(e.object_key for e in server.executions)
    # the run's lines carry the offset of every answer that had a Date
    offsets = [float(str(r["offset"])) for r in _lines(results) if "offset" in r]
    assert offsets and all(abs(o + during_run) < 10 for o in offsets), offsets

    clock.shift = at_settle
    counts, err = _settle(capsys, clock, results, started_in_run, until_proven=during_run < 0)
    last = read_last_records(results)
    verdicts = {str(r["object"]): str(r.get("verdict")) for r in last.values()}

    _main(
        capsys, clock, "start-many", "g", "--manifest", str(manifest), "--resume",
        str(results), "--no-progress", "--retry-ambiguous",
    )  # fmt: skip
    final = Counter(e.object_key for e in server.executions)
    assert max(final.values()) == 1, "an object started twice"
    unsettled = {o for o, v in verdicts.items() if v == "unknown"}
    assert {o for o in objects if final[o] == 0} == unsettled
    return {"counts": counts, "step_warned": "clock moved" in err}


def _settle(
    capsys: pytest.CaptureFixture[str],
    clock: SteppedClock,
    results: Path,
    started_in_run: Counter[str],
    *,
    until_proven: bool,
) -> tuple[dict[str, object], str]:
    """``settle RESULTS`` (again, while ``until_proven`` and some stay ``unknown``:
    ``Date`` has a one-second resolution, a listing that begins within it of an
    item's end cannot prove it); after each pass, no started object is
    ``not_started`` and every one settled is found ``started``, however far the step.
    Returns the first pass's counts and stderr."""
    first: tuple[dict[str, object], str] | None = None
    for _ in range(20):
        status, out, err = _main(capsys, clock, "settle", str(results), "--settle-delay", "0")
        assert status in (0, 1), err
        counts = json.loads(out)
        first = first or (counts, err)
        for record in read_last_records(results).values():
            obj, verdict = str(record["object"]), record.get("verdict")
            if verdict == "not_started":
                assert started_in_run[obj] == 0, f"{obj}: started, settled not_started"
            elif started_in_run[obj] and record["status"] == "settled":
                assert verdict == "started", record
        if not until_proven or counts["unknown"] == 0:
            return first
        time.sleep(0.3)
    raise AssertionError(f"still unknown after 20 passes: {counts}")


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("shift", [-10.0, -60.0, -900.0, 120.0])
def test_a_clock_wrong_during_the_run_never_gives_a_wrong_not_started(
    server: FakeWorkflowServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    shift: float,
) -> None:
    # shift < 0: the run's clock was behind; its windows, placed on the service's clock
    # by the recorded offsets, close before the listing began: all proven (_settle
    # settles again until then). shift > 0: the not-started ones stay unknown until
    # the service's clock passes their windows
    seen = _run_settle_retry(server, capsys, SteppedClock(), tmp_path, shift, 0.0)
    assert seen["step_warned"]  # the step was seen (offsets recorded vs measured now)


def test_a_clock_stepped_in_the_middle_of_the_run(
    server: FakeWorkflowServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    clock = SteppedClock()

    class MidRunStep(SteppedClock):
        def __call__(self) -> datetime:  # -300 s until 15 starts reached the fake
            self.shift = -300.0 if len(server.executions) < 15 else 0.0
            return super().__call__()

    stepped = MidRunStep()
    manifest, results = tmp_path / "m.csv", tmp_path / "r.jsonl"
    _manifest(manifest)
    _ambiguous_faults(server)
    status, _, err = _main(
        capsys, stepped, "start-many", "g", "--manifest", str(manifest), "--results",
        str(results), "--no-progress", "--concurrency", "4", "--max-retries", "0",
    )  # fmt: skip
    assert status == 1, err
    server.clear_faults()
    started_in_run = Counter(e.object_key for e in server.executions)
    _settle(capsys, clock, results, started_in_run, until_proven=False)
    _main(
        capsys, clock, "start-many", "g", "--manifest", str(manifest), "--resume",
        str(results), "--no-progress", "--retry-ambiguous",
    )  # fmt: skip
    assert max(Counter(e.object_key for e in server.executions).values()) == 1


def test_resume_into_a_new_file_keeps_what_settle_needs(
    server: FakeWorkflowServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """``--resume R1 --results R2``, then ``settle R2``: no ``--since`` needed, and
    the natural wrong one (when the R2 run began) is refused, not obeyed."""
    clock = SteppedClock()
    manifest, r1, r2 = tmp_path / "m.csv", tmp_path / "r1.jsonl", tmp_path / "r2.jsonl"
    objects = _manifest(manifest)
    _ambiguous_faults(server)
    _main(
        capsys, clock, "start-many", "g", "--manifest", str(manifest), "--results", str(r1),
        "--no-progress", "--concurrency", "4", "--max-retries", "0",
    )  # fmt: skip
    server.clear_faults()
    started_in_run = Counter(e.object_key for e in server.executions)
    r2_began = datetime.now(timezone.utc).isoformat()
    status, _, err = _main(
        capsys, clock, "start-many", "g", "--manifest", str(manifest), "--resume", str(r1),
        "--results", str(r2), "--no-progress",
    )  # fmt: skip
    assert status == 1, err  # the ambiguous ones are held back
    before = r2.read_text()
    status, _, err = _main(
        capsys, clock, "settle", str(r2), "--since", r2_began, "--settle-delay", "0"
    )
    assert status == 2 and "contradicts" in err and err.count("\n") == 1, err
    assert r2.read_text() == before  # refused before anything was sent or written
    counts, _ = _settle(capsys, clock, r2, started_in_run, until_proven=True)
    assert int(str(counts["settled"])) > 0, counts
    _main(
        capsys, clock, "start-many", "g", "--manifest", str(manifest), "--resume", str(r2),
        "--no-progress", "--retry-ambiguous",
    )  # fmt: skip
    final = Counter(e.object_key for e in server.executions)
    assert [final[o] for o in objects] == [1] * COUNT
