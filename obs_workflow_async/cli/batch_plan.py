"""``start-many``'s plan: the files checked and locked before anything is sent
(:func:`plan_batch`), the resume file read and repaired (:func:`load_resume`), and
each manifest item decided against it (:func:`decide_item`); ``--dry-run``
(:func:`dry_run`) makes the same checks and decisions and sends nothing.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypedDict

from .. import StartRequest
from ..errors import InvalidRequestError
from ..models import validate_request
from .commands import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
)
from .manifest import ManifestError, ManifestItem, count_items, read_manifest
from .output import emit_summary
from .results import ResumeState, carry_over, name_repaired_items, read_results, repair_torn
from .results_log import (
    ResultsFileError,
    ResultsLock,
    Write,
)
from .settle_file import resume_action

__all__ = [
    "BatchPlan",
    "ItemDecision",
    "RetryFlags",
    "decide_item",
    "dry_run",
    "load_resume",
    "manifest_label",
    "plan_batch",
    "retry_flags",
    "start_problem",
    "where",
]


ItemDecision = Literal["skip_started", "skip_ambiguous", "invalid", "send"]
"""What a run does with one manifest item."""


class RetryFlags(TypedDict):
    """``--retry-ambiguous`` and ``--retry-unknown-may-duplicate``."""

    retry_ambiguous: bool
    retry_unknown: bool


def retry_flags(args: argparse.Namespace) -> RetryFlags:
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


def where(label: str, item: ManifestItem) -> str:
    """``MANIFEST:LINE`` (the file's line, from 1, header included)."""
    return f"{label}:{item.line}" if item.line else f"{label}: item {item.index}"


def manifest_label(args: argparse.Namespace) -> str:
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
    retry = retry_flags(args)
    label = manifest_label(args)
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
                print(f"obs-workflow: {where(label, item)}: {problem}", file=sys.stderr)
            elif args.verbose > 0:
                print(f"obs-workflow: {where(label, item)}: {decision}", file=sys.stderr)
    except ManifestError as error:
        raise UsageError(str(error)) from None
    emit_summary(args, {**plan, "results": str(paths.results_path), "dry_run": True})
    return EXIT_OK if plan["invalid"] == 0 else EXIT_FAILED
