"""``start-many``: start a workflow for every line of a manifest, resumably.

A run first plans (:func:`~.batch_plan.plan_batch`: check the manifest, lock the
results file and the one it resumes from, before anything is sent), then reads the
resume file (:func:`~.batch_plan.load_resume`), then feeds the manifest to
``client.start_many`` one item at a time (:class:`~.batch_feed.BatchFeed`), deciding
each item against the resume state (:func:`~.batch_plan.decide_item`) and writing a
``sending`` line for each batch of items before any of them goes, and one outcome line
per item after. This module runs it (:func:`start_many_command`: signals, progress,
the summary and the command that goes on). ``--dry-run``
(:func:`~.batch_plan.dry_run`) makes the same checks and decisions and sends nothing.
The files are described in :mod:`.manifest`, :mod:`.results_log` and :mod:`.results`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

from .. import BatchRun, BatchStats
from .batch_feed import BatchFeed
from .batch_plan import (
    BatchPlan,
    ItemDecision,
    RetryFlags,
    load_resume,
    manifest_label,
    retry_flags,
)
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
from .manifest import ManifestError
from .output import emit_summary
from .progress import ProgressPrinter
from .results_log import (
    ResultsFileError,
    ResultsLog,
)
from .settle_file import resume_action
from .signals import InterruptOnSignal, StopSignals

__all__ = ["resume_hint", "spool_stdin", "start_many_command"]


# -- the run: items fed to the client, each one logged before and after ---------------------


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
    feed: BatchFeed,
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
        retry = retry_flags(args)
        log = ResultsLog.open(plan.results_path, write=write)
        try:
            ambiguous_log = ResultsLog.open(plan.ambiguous_path, mode="w", write=write)
        except BaseException:
            log.close()
            raise
        feed = BatchFeed(
            args.graph, plan.resume, retry, log, ambiguous_log, runtime_of(args).wall_clock
        )
        feed.label, feed.verbose = manifest_label(args), args.verbose > 0
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


# -- stdin manifests ---------------------------------------------------------------------------


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
