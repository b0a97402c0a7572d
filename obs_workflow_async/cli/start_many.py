"""``start-many``: start a workflow for every line of a manifest, resumably.

A run first plans (:func:`plan_batch`: check the manifest, lock the results file and
the one it resumes from, before anything is sent), then reads the resume file
(:func:`load_resume`), then feeds the manifest to ``client.start_many`` one item at a
time, deciding each item against the resume state (:func:`decide_item`) and writing
a ``sending`` line for each batch of items before any of them goes, and one outcome
line per item after (:class:`_Feed`).
``--dry-run`` (:func:`dry_run`) makes the same checks and decisions and sends
nothing. The files are described in :mod:`.manifest`, :mod:`.results_log` and
:mod:`.results`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shlex
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, TypedDict

from .. import BatchRun, BatchStats, StartOutcome, StartRequest
from ..errors import InvalidRequestError
from ..models import validate_request
from .commands import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    AnyClient,
    UsageError,
    connection_words,
    runtime_of,
    settle_locked,
    write_of,
)
from .manifest import ManifestError, ManifestItem, count_items, read_manifest
from .output import emit_summary
from .progress import ProgressPrinter
from .results import ResumeState, carry_over, name_repaired_items, read_results, repair_torn
from .results_log import (
    ResultsFileError,
    ResultsLock,
    ResultsLog,
    Write,
    outcome_record,
    started_line,
)
from .settle_file import format_line, resume_action, timestamp
from .signals import InterruptOnSignal, StopSignals

__all__ = [
    "BatchPlan",
    "ItemDecision",
    "RetryFlags",
    "decide_item",
    "dry_run",
    "load_resume",
    "plan_batch",
    "spool_stdin",
    "start_many_command",
]

ItemDecision = Literal["skip_started", "skip_ambiguous", "invalid", "send"]
"""What a run does with one manifest item."""


class RetryFlags(TypedDict):
    """``--retry-ambiguous`` and ``--retry-unknown-may-duplicate``."""

    retry_ambiguous: bool
    retry_unknown: bool


def _retry_flags(args: argparse.Namespace) -> RetryFlags:
    return {"retry_ambiguous": args.retry_ambiguous, "retry_unknown": args.retry_unknown}


def decide_item(item: ManifestItem, resume: ResumeState, retry: RetryFlags) -> ItemDecision:
    """Skip what the resume file proves started, hold back what may have started
    (unless ``retry`` says otherwise), refuse an invalid line, send the rest.
    :class:`ManifestError` if the item is another object than the resume file says."""
    resume.check(item)
    if resume.is_started(item.index):
        return "skip_started"
    unsettled = resume.ambiguous.get(item.index)
    if unsettled is not None and resume_action(unsettled, **retry) != "send":
        return "skip_ambiguous"
    if item.problem is not None:
        return "invalid"
    return "send"


# -- the plan: files checked and locked before anything is sent -----------------------------


@dataclass
class BatchPlan:
    """The files of one run, locked (:meth:`release` when the command ends)."""

    manifest: Path
    results_path: Path
    ambiguous_path: Path
    total: int
    locks: list[ResultsLock]
    resume_path: Path | None = None
    same: bool = False
    resume: ResumeState = field(default_factory=ResumeState)
    settled: dict[str, object] | None = None
    carried: bool = False
    """The resume file has been copied into the new results file (``--results``)."""

    @property
    def resume_lock(self) -> ResultsLock | None:
        if self.resume_path is None:
            return None
        return self.locks[0] if self.same else self.locks[1]

    def release(self) -> None:
        for lock in self.locks:
            lock.release()


@dataclass(frozen=True)
class _Paths:
    manifest: Path
    resume_path: Path | None
    results_path: Path
    same: bool  # the run resumes from and writes to the same file


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.samefile(other)
    except OSError:
        return one.resolve() == other.resolve()


def _paths(args: argparse.Namespace, missing_resume_hint: str = "") -> _Paths:
    """The manifest, the resume file and the results file; usage errors for missing ones."""
    manifest = Path(args.manifest)
    if not manifest.is_file():
        raise UsageError(f"no such manifest: {manifest}")
    resume_path = Path(args.resume) if args.resume else None
    if resume_path is not None and not resume_path.is_file():
        raise UsageError(f"no such results file to resume from: {resume_path}{missing_resume_hint}")
    results_path = Path(args.results or args.resume or f"{manifest}.results.jsonl")
    same = resume_path is not None and _same_file(resume_path, results_path)
    return _Paths(manifest, resume_path, results_path, same)


def _refuse_existing(results_path: Path, overwrite: bool) -> None:
    if not overwrite:
        raise UsageError(
            f"results file {results_path} exists: pass --resume {results_path} to go on "
            "from it (items it records as started are skipped), or --overwrite to discard "
            "it (items it records may then be started twice)"
        )


def _is_written(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 0


def plan_batch(args: argparse.Namespace) -> BatchPlan:
    """The file work before anything is sent: check the manifest, lock the results file
    (and the one resumed from). :func:`load_resume` then reads it (after ``--settle``
    has settled it, under the same lock)."""
    paths = _paths(
        args, " (nothing was sent; check the path, or leave out --resume for a fresh run)"
    )
    if paths.same and args.overwrite:
        raise UsageError("--overwrite would erase the results file --resume reads")
    if args.settle and paths.resume_path is None:
        raise UsageError("--settle settles the file --resume reads: pass --resume RESULTS")
    try:
        total = count_items(paths.manifest)  # a manifest that cannot be read stops us here
    except ManifestError as error:
        raise UsageError(str(error)) from None
    locks = _lock_files(paths, args.overwrite)
    results_path = paths.results_path
    ambiguous_path = results_path.with_name(results_path.name + ".ambiguous")
    return BatchPlan(
        paths.manifest, results_path, ambiguous_path, total, locks, paths.resume_path, paths.same
    )


def _lock_files(paths: _Paths, overwrite: bool) -> list[ResultsLock]:
    """Lock the results file (emptied with ``overwrite``), then the resume file when it is
    another one; on failure nothing stays locked."""
    results_path, same = paths.results_path, paths.same
    locks: list[ResultsLock] = []
    try:
        if not same and _is_written(results_path):
            _refuse_existing(results_path, overwrite)
        lock = ResultsLock.acquire(results_path)
        locks.append(lock)
        if paths.resume_path is not None and not same:
            locks.append(ResultsLock.acquire(paths.resume_path))
        if not same and lock.size > 0:  # written since the check above
            _refuse_existing(results_path, overwrite)
            lock.truncate(0)  # --overwrite
    except ManifestError as error:  # ResultsLockedError included
        for held in locks:
            held.release()
        raise UsageError(str(error)) from None
    except BaseException:
        for held in locks:
            held.release()
        raise
    return locks


def _check_graph(path: Path | None, resume: ResumeState, graph: str) -> None:
    """Refuse a resume of another workflow's results."""
    for recorded in sorted(resume.graphs):
        if recorded != graph:
            raise UsageError(
                f"{path} records items started through workflow "
                f"{recorded!r}, not {graph!r}: resume it with the same GRAPH"
            )


def load_resume(plan: BatchPlan, graph: str, write: Write | None = None) -> None:
    """Read and repair the resume file (its lock is held), carry it over into a new
    results file; refuse a resume of another workflow's results. ``write``: how
    results lines are written (``os.write``)."""
    if plan.resume_path is None:
        return
    try:
        resume = read_results(plan.resume_path)
        name_repaired_items(plan.manifest, resume)
    except ManifestError as error:
        raise UsageError(str(error)) from None
    _check_graph(plan.resume_path, resume, graph)
    if plan.same:
        lock = plan.resume_lock
        assert lock is not None
        repair_torn(lock, resume, write)
    else:
        try:
            carry_over(plan.resume_path, plan.results_path, resume, write)
        except ResultsFileError:
            plan.locks[0].truncate(0)  # a part of the copy would hide what the rest holds
            raise
        plan.carried = True
    plan.resume = resume


# -- the run: items fed to the client, each one logged before and after ---------------------


@dataclass
class _Feed:
    """The items a run sends, from the manifest, with the lines written for each.

    Items to send go in batches of up to ``batch`` (read ahead from the manifest): one
    ``sending`` line naming the whole batch is written (one ``os.write``, after the
    outcome lines held) before the first of them is handed to the client, so every
    item that may be sent is on file before it can be; then one outcome line per
    item. Outcome lines are held and written together once per turn of the event
    loop (:meth:`record`). Items a stopped run never handed over get a ``not_sent``
    line (:meth:`finish`). The items it holds back go to the ambiguous list."""

    graph: str
    resume: ResumeState
    retry: RetryFlags
    log: ResultsLog
    ambiguous_log: ResultsLog
    now: Callable[[], datetime]
    """This machine's clock (the ``Runtime``'s ``wall_clock``)."""
    counts: dict[ItemDecision, int] = field(
        default_factory=lambda: {"skip_started": 0, "skip_ambiguous": 0, "invalid": 0}
    )
    pending: dict[int, ManifestItem] = field(default_factory=dict)
    """Only the items in flight: bounded."""
    label: str = ""
    """The manifest as messages name it."""
    verbose: bool = False
    """``-v``: one line per item on stderr (``MANIFEST:LINE: outcome``)."""
    batch: int = 64
    """Items per ``sending`` line (at most: a batch is what the manifest has left)."""
    unsent: list[ManifestItem] = field(default_factory=list)
    """The items of the current batch not yet handed to the client."""
    _flush_scheduled: bool = False

    def _say(self, item: ManifestItem, what: str, *, always: bool = False) -> None:
        if self.verbose or always:
            print(f"obs-workflow: {_where(self.label, item)}: {what}", file=sys.stderr)

    def begin(self) -> None:
        """The run's format line (the file's format version, the workflow)."""
        self.log.write(format_line(self.graph, timestamp(self.now())))

    def requests(self, manifest: Path) -> Iterator[dict[str, object]]:
        batch: list[ManifestItem] = []
        for item in read_manifest(manifest):
            if self._admit(item):
                batch.append(item)
                if len(batch) >= self.batch:
                    yield from self._send(batch)
                    batch = []
        if batch:
            yield from self._send(batch)

    def _send(self, batch: list[ManifestItem]) -> Iterator[dict[str, object]]:
        """Write the batch's ``sending`` line, then hand its items over one by one."""
        self.log.add(
            {
                "status": "sending",
                "sent_at": timestamp(self.now()),
                "items": [[item.index, item.bucket, item.object_key] for item in batch],
            }
        )
        self.log.flush()  # on file before any item of the batch can go
        self.unsent = batch[::-1]
        while self.unsent:
            item = self.unsent.pop()
            self.pending[item.index] = item
            yield {
                "graph_name": self.graph,
                "bucket": item.bucket,
                "object_key": item.object_key,
                "inputs": item.inputs,
                "key": str(item.index),
            }

    def _admit(self, item: ManifestItem) -> bool:
        """Decide ``item`` (writing what the run does with an item it does not send);
        whether it is to be sent."""
        decision = decide_item(item, self.resume, self.retry)
        if decision == "send":
            return True
        self.counts[decision] += 1
        listed: dict[str, object] = {
            "index": item.index,
            "bucket": item.bucket,
            "object": item.object_key,
        }
        if decision == "skip_ambiguous":
            self.ambiguous_log.write({**listed, **self.resume.ambiguous[item.index]})
            self._say(item, "skipped: may have started (see settle)")
        elif decision == "invalid":
            self.log.add(
                {**listed, "status": "invalid", "line": item.line, "message": item.problem}
            )
            self._say(item, f"invalid: {item.problem}", always=True)
        else:
            self._say(item, "skipped: already started")
        return False

    def record(self, outcome: StartOutcome) -> None:
        """Hold the outcome line of an item sent: written with the others that come
        in the same turn of the event loop (a run killed before then leaves the item
        ``sending``: ambiguous, never lost)."""
        if self.log.broken is not None:
            raise self.log.broken
        item = self.pending.pop(int(_outcome_key(outcome)))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)
        if outcome.result is not None:
            self.log.add_line(started_line(outcome, item, self.now()))
            if self.verbose:
                self._say(item, f"started {outcome.result.execution_name}")
            return
        record = outcome_record(outcome, item, self.now())
        self.log.add(record)
        if outcome.ambiguous:
            self.ambiguous_log.write(record)
        status = str(record.get("status"))
        message = record.get("message") or record.get("code") or type(outcome.error).__name__
        self._say(item, f"{status}: {message}", always=status == "invalid")

    def _flush(self) -> None:
        self._flush_scheduled = False
        with contextlib.suppress(ResultsFileError):  # the next record or batch raises it
            self.log.flush()

    def finish(self) -> None:
        """The run ended: a ``not_sent`` line for the items of the batch never handed
        over (a stopped run), then everything held is written."""
        if self.unsent:
            self.log.add(
                {
                    "status": "not_sent",
                    "items": [[i.index, i.bucket, i.object_key] for i in self.unsent[::-1]],
                }
            )
            self.unsent = []
        self.log.flush()


def _outcome_key(outcome: StartOutcome) -> str:
    if outcome.request is not None and outcome.request.key is not None:
        return outcome.request.key
    raw = outcome.raw_item
    if isinstance(raw, dict):
        return str(raw["key"])
    raise RuntimeError("an outcome without its manifest index")  # pragma: no cover


class _Interrupt:
    """The first SIGINT/SIGTERM/SIGHUP stops ``run`` taking new items; remembered for
    the summary."""

    def __init__(self) -> None:
        self.interrupted = False
        self.signal: str | None = None
        self._run: BatchRun | None = None
        self._signals: StopSignals | None = None

    def watch(self, run: BatchRun) -> None:
        self._run = run
        self._signals = StopSignals(asyncio.get_running_loop(), self._stop)

    def _stop(self) -> None:
        self.interrupted = True
        if self._signals is not None:
            self.signal = self._signals.fired
        if self._run is not None:
            self._run.stop()

    def remove(self) -> None:
        if self._signals is not None:
            self._signals.remove()


def resume_hint(args: argparse.Namespace, plan: BatchPlan, ambiguous: bool) -> str:
    """The command that goes on from where this run stopped (settling first when some
    items may have started)."""
    words = [
        "obs-workflow",
        *connection_words(args),
        "start-many",
        args.graph,
        "--manifest",
        "-" if getattr(args, "stdin_manifest", False) else str(plan.manifest),
    ]
    if plan.resume_path is not None and not plan.same and not plan.carried:
        words += ["--resume", str(plan.resume_path), "--results", str(plan.results_path)]
    else:
        words += ["--resume", str(plan.results_path)]
    if ambiguous:
        words += ["--settle", "--retry-ambiguous"]
    return shlex.join(words)


async def _drive(
    client: AnyClient,
    args: argparse.Namespace,
    feed: _Feed,
    manifest: Path,
    printer: ProgressPrinter | None,
    interrupt: _Interrupt,
) -> BatchStats:
    """Send the manifest's items through ``client.start_many``, writing each outcome."""
    try:
        async with client.start_many(
            feed.requests(manifest),
            concurrency=args.concurrency,
            rate_limit=args.rate,
            burst=args.burst,
            on_progress=printer.update if printer else None,
        ) as run:
            interrupt.watch(run)
            async for outcome in run:
                feed.record(outcome)
            feed.finish()
            return run.stats
    except ResultsFileError:
        raise
    except ManifestError as error:
        raise UsageError(str(error)) from None
    finally:
        interrupt.remove()
        if feed.unsent and feed.log.broken is None:  # a second signal: never handed over
            with contextlib.suppress(ResultsFileError):
                feed.finish()
        feed.log.close()
        feed.ambiguous_log.close()


def _batch_size(args: argparse.Namespace) -> int:
    """Items per ``sending`` line: the concurrency (at most 256), and no more than a
    second's worth under ``--rate`` (a batch's ``sent_at`` starts each item's window)."""
    size = min(max(int(args.concurrency), 1), 256)
    if args.rate is not None:
        size = min(size, max(int(args.rate), 1))
    return size


def _todo(plan: BatchPlan, retry: RetryFlags) -> int:
    """The items the run expects to send (for the progress display)."""
    resume = plan.resume
    held_back = sum(resume_action(r, **retry) != "send" for r in resume.ambiguous.values())
    return max(plan.total - resume.started_count - held_back, 0)


def _summary(
    plan: BatchPlan, stats: BatchStats, counts: dict[ItemDecision, int], interrupted: bool
) -> dict[str, object]:
    counted = {
        "started": stats.succeeded,
        # stats.failed counts the ambiguous and the invalid items too: each is counted once
        "failed": stats.failed - stats.ambiguous - stats.invalid,
        "ambiguous": stats.ambiguous,
        "invalid": stats.invalid + counts["invalid"],
        "skipped_already_started": counts["skip_started"],
        "skipped_ambiguous": counts["skip_ambiguous"],
    }
    summary: dict[str, object] = {
        "items": plan.total,
        **counted,
        "not_reached": max(plan.total - sum(counted.values()), 0),  # after an interrupt
        "results": str(plan.results_path),
        "ambiguous_list": str(plan.ambiguous_path),
        "interrupted": interrupted,
    }
    if plan.settled is not None:
        summary["settled"] = plan.settled
    return summary


async def start_many_command(client: AnyClient, args: argparse.Namespace) -> int:
    """``start-many`` after :func:`plan_batch` (``args.plan``): settle the resume file if
    asked, read it, send, print the summary as JSON on stdout."""
    plan: BatchPlan = args.plan
    if args.settle:
        assert plan.resume_path is not None and plan.resume_lock is not None
        signals = InterruptOnSignal()
        try:
            plan.settled = await signals.run(
                settle_locked(
                    client, plan.resume_path, plan.resume_lock, args, args.graph, plan.manifest
                )
            )
        except asyncio.CancelledError:
            if not signals.fired:
                raise
            print(
                f"obs-workflow: interrupted ({signals.fired}) while settling, before anything "
                f"was written or sent; go on with: {resume_hint(args, plan, True)}",
                file=sys.stderr,
            )
            return EXIT_INTERRUPTED
    write = write_of(args)
    try:
        load_resume(plan, args.graph, write)
        retry = _retry_flags(args)
        log = ResultsLog.open(plan.results_path, write=write)
        try:
            ambiguous_log = ResultsLog.open(plan.ambiguous_path, mode="w", write=write)
        except BaseException:
            log.close()
            raise
        feed = _Feed(
            args.graph, plan.resume, retry, log, ambiguous_log, runtime_of(args).wall_clock
        )
        feed.label, feed.verbose = _label(args), args.verbose > 0
        feed.batch = _batch_size(args)
        feed.begin()
        printer = None
        if args.progress and not getattr(args, "quiet", False):
            todo = _todo(plan, retry)  # progress over the whole manifest: done before + now
            printer = ProgressPrinter(sys.stderr, plan.total, done_before=plan.total - todo)
        interrupt = _Interrupt()
        stats = await _drive(client, args, feed, plan.manifest, printer, interrupt)
    except ResultsFileError as error:
        raise UsageError(
            f"{error}; nothing more was sent, items in flight stay ambiguous in the file; "
            f"once it can be written, go on with: {resume_hint(args, plan, True)}"
        ) from None
    if printer is not None:
        printer.finish(stats)
    summary = _summary(plan, stats, feed.counts, interrupt.interrupted)
    emit_summary(args, summary)  # stdout: progress and messages go to stderr
    if interrupt.interrupted:
        print(
            f"obs-workflow: interrupted ({interrupt.signal or 'signal'}); go on with: "
            f"{resume_hint(args, plan, stats.ambiguous > 0)}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    unsettled = stats.failed + feed.counts["invalid"] + feed.counts["skip_ambiguous"]
    return EXIT_OK if unsettled == 0 else EXIT_FAILED


# -- stdin manifests and dry runs ------------------------------------------------------------


def spool_stdin(args: argparse.Namespace) -> Path:
    """``--manifest -``: copy stdin to a private file once, so that it can be counted,
    read and checked like any manifest (the copy is removed when the command ends)."""
    if not (args.results or args.resume or args.dry_run):
        raise UsageError("--manifest - (stdin) needs --results FILE or --resume FILE")
    folder = Path(tempfile.mkdtemp(prefix="obs-workflow-"))
    spooled = folder / "stdin"
    with spooled.open("wb") as out:
        shutil.copyfileobj(sys.stdin.buffer, out)
    return spooled


def start_problem(graph: str, item: ManifestItem) -> str | None:
    """What a real run would refuse in ``item`` before sending (the batch engine's own
    check, :class:`StartRequest`), in command-line terms; ``None`` when it is sendable."""
    try:
        validate_request(
            StartRequest,
            graph_name=graph,
            bucket=item.bucket,
            object_key=item.object_key,
            inputs=item.inputs,
            key=str(item.index),
        )
    except InvalidRequestError as error:
        return "; ".join(f"{d.field}: {d.rule}" for d in error.errors) or str(error)
    except Exception as error:
        return f"cannot be read as a start request ({type(error).__name__})"
    return None


def _where(label: str, item: ManifestItem) -> str:
    """``MANIFEST:LINE`` (the file's line, from 1, header included)."""
    return f"{label}:{item.line}" if item.line else f"{label}: item {item.index}"


def _label(args: argparse.Namespace) -> str:
    """The manifest as messages name it (``-`` for stdin, not the spooled copy)."""
    return str(getattr(args, "manifest_label", None) or args.manifest)


def dry_run(args: argparse.Namespace) -> int:
    """``start-many --dry-run``: the checks of a real run and its plan, without locks,
    writes or requests. Exit 0 when every line is usable, 1 when some are invalid."""
    if args.settle:
        raise UsageError("--dry-run cannot --settle (settling asks the service)")
    paths = _paths(args)
    if not paths.same and _is_written(paths.results_path):
        _refuse_existing(paths.results_path, args.overwrite)
    retry = _retry_flags(args)
    label = _label(args)
    plan = {"items": 0, "send": 0, "skip_started": 0, "skip_ambiguous": 0, "invalid": 0}
    try:
        resume = read_results(paths.resume_path) if paths.resume_path is not None else ResumeState()
        _check_graph(paths.resume_path, resume, args.graph)
        for item in read_manifest(paths.manifest):
            plan["items"] += 1
            decision = decide_item(item, resume, retry)
            problem = item.problem
            if decision == "send":
                problem = start_problem(args.graph, item)
                decision = "send" if problem is None else "invalid"
            plan[decision] += 1
            if decision == "invalid":
                print(f"obs-workflow: {_where(label, item)}: {problem}", file=sys.stderr)
            elif args.verbose > 0:
                print(f"obs-workflow: {_where(label, item)}: {decision}", file=sys.stderr)
    except ManifestError as error:
        raise UsageError(str(error)) from None
    emit_summary(args, {**plan, "results": str(paths.results_path), "dry_run": True})
    return EXIT_OK if plan["invalid"] == 0 else EXIT_FAILED
