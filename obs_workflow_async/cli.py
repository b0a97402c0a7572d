"""``obs-workflow``: the command line.

``demo`` runs against the embedded fake server. The other commands talk to a real
endpoint (``--server`` or ``$OBS_SERVER``) with credentials from
``OBS_ACCESS_KEY_ID``/``OBS_SECRET_ACCESS_KEY`` (and ``OBS_SECURITY_TOKEN``):

- ``start GRAPH --bucket B --object KEY [--input name=value ...] [--wait]``
- ``get workflow NAME`` / ``get template NAME`` / ``get execution GRAPH EXECUTION``
- ``list workflows|templates [PREFIX]`` / ``list executions GRAPH [--state S]``
  (JSON lines, one item per line; ``--limit`` caps the number of items,
  ``--page-size`` sets the items per request, default the maximum)
- ``wait GRAPH EXECUTION [--timeout S]`` / ``restore GRAPH EXECUTION``
- ``settle RESULTS [GRAPH] [--since ISO] [--settle-delay S] [--margin S]
  [--concurrency N] [--max-pages N]``: settle the ambiguous items of a results file
  from the service (appends ``settled`` lines; counts as JSON on stdout; exit 1 if
  some stay ``unknown``)
- ``start-many GRAPH --manifest FILE [--results OUT] [--resume RESULTS [--settle]]
  [--overwrite] [--retry-ambiguous] [--retry-unknown-may-duplicate] [--concurrency N]
  [--rate R]``: a resumable batch run (see
  :mod:`.batch.manifest` for the files); SIGINT/SIGTERM stop taking new items and
  let the ones in flight finish (exit 130), a second signal stops at once. A run
  holds a lock on its results file (and on the one it resumes from): a second run
  on the same file is refused. ``--resume R1 --results R2`` first copies the last
  line of every item of R1 into R2. Without ``--resume`` an existing results file
  is refused unless ``--overwrite``.

Connection options (``--server``, ``--credentials env|chain|ecs|oidc``,
``--signature``, ``--region``, ``--request-timeout``, ``--max-retries``, ``-v``) go
before or after the subcommand; ``--version`` prints the version. ``start-many
--manifest -`` reads the manifest from stdin (spooled once); ``--dry-run`` checks
the manifest and the resume plan and sends nothing. See ``docs/cli.md``.

Results print as JSON on stdout (``start-many``'s summary included; progress goes to
stderr). Errors from the service print status, code, message and request id as JSON
on stderr; usage errors print ``obs-workflow: MESSAGE``. Exit status:

- 0: everything done (every batch item started);
- 1: an API call or some batch items failed (or are ambiguous, or invalid);
- 2: a usage error (bad arguments, an invalid name or missing credentials, a
  missing manifest or ``--resume`` file, an existing results file, a results file
  in use, a manifest that cannot be read), reported on stderr before anything is
  sent;
- 3: an awaited execution did not succeed, or ``--timeout``/``--wait-timeout``
  expired before it finished (stderr names the graph, execution, last state and
  timeout; the execution goes on running);
- 130: interrupted (SIGINT/SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, JsonValue

from ._version import __version__
from .batch.manifest import (
    ManifestError,
    ManifestItem,
    ResultsLock,
    ResultsLog,
    ResumeState,
    count_items,
    outcome_record,
    read_manifest,
    read_results,
)
from .batch.models import StartOutcome
from .batch.progress import ProgressPrinter
from .batch.settle import DEFAULT_MARGIN, DEFAULT_SETTLE_DELAY, SettleItem
from .batch.settle_file import (
    PendingItem,
    SettleFileError,
    pending_items,
    resume_action,
    settle_record,
    timestamp,
)
from .client import AsyncWorkflowClient
from .credentials import (
    CredentialsCache,
    CredentialsProvider,
    EcsMetadataProvider,
    OidcProvider,
    default_chain,
)
from .credentials.remote import ECS_ENDPOINT
from .demo import format_summary, run_demo
from .errors import (
    APIStatusError,
    CredentialsError,
    InvalidRequestError,
    ObsWorkflowError,
    TransportError,
    WaitTimeoutError,
)
from .models import ExecutionDetail, ExecutionState

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_EXECUTION_FAILED = 3
EXIT_INTERRUPTED = 130
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class UsageError(Exception):
    """The command line cannot be carried out as given: ``obs-workflow: MESSAGE`` on
    stderr and exit status 2, before anything is sent."""


def _parse_inputs(pairs: Sequence[str]) -> dict[str, JsonValue] | None:
    """``name=value`` pairs; a value that parses as JSON is taken as JSON, else as text."""
    if not pairs:
        return None
    inputs: dict[str, JsonValue] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--input expects name=value, got {pair!r}")
        try:
            inputs[name] = json.loads(value)
        except ValueError:
            inputs[name] = value
    return inputs


def _json_text(data: object) -> str:
    """JSON for the terminal: readable non-ASCII text, but never an encoding error (a
    lone surrogate, e.g. from a service message, is written as an escape)."""
    text = json.dumps(data, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(data)
    return text


def _error_json(error: ObsWorkflowError) -> dict[str, object]:
    if isinstance(error, WaitTimeoutError):
        return {
            "error": type(error).__name__,
            "message": error.message,
            "graph": error.graph_name,
            "execution": error.execution_name,
            "last_state": error.last_state,
            "timeout": error.timeout,
        }
    if isinstance(error, APIStatusError):
        return {
            "error": type(error).__name__,
            "status": error.status,
            "code": error.code,
            "message": error.message,
            "request_id": error.request_id,
        }
    if isinstance(error, TransportError):
        return {
            "error": type(error).__name__,
            "message": str(error),
            "request_sent": error.request_sent,
        }
    return {"error": type(error).__name__, "message": str(error)}


def _dump(model: BaseModel, indent: int | None = 2) -> str:
    return model.model_dump_json(exclude={"headers"}, indent=indent)


Command = Callable[[AsyncWorkflowClient, argparse.Namespace], Awaitable[int]]


async def _start(client: AsyncWorkflowClient, args: argparse.Namespace) -> int:
    inputs = _parse_inputs(args.input)
    if not args.wait:
        print(_dump(await client.start_workflow(args.graph, args.bucket, args.object, inputs)))
        return EXIT_OK
    final = await client.start_and_wait(
        args.graph, args.bucket, args.object, inputs, timeout=args.wait_timeout
    )
    return _print_outcome(final)


def _print_outcome(final: ExecutionDetail) -> int:
    print(_dump(final))
    return EXIT_OK if final.succeeded else EXIT_EXECUTION_FAILED


async def _get(client: AsyncWorkflowClient, args: argparse.Namespace) -> int:
    result: BaseModel
    if args.kind == "workflow":
        result = await client.get_workflow(args.name)
    elif args.kind == "template":
        result = await client.get_workflow_template(args.name)
    else:
        if not args.execution:
            raise UsageError("usage: get execution GRAPH EXECUTION")
        result = await client.get_execution(args.name, args.execution)
    print(_dump(result))
    return EXIT_OK


async def _list(client: AsyncWorkflowClient, args: argparse.Namespace) -> int:
    items: AsyncIterator[BaseModel]
    if args.kind == "workflows":
        items = client.iter_workflows(args.name, max_items=args.limit, page_size=args.page_size)
    elif args.kind == "templates":
        items = client.iter_workflow_templates(
            args.name, max_items=args.limit, page_size=args.page_size
        )
    else:
        if not args.name:
            raise UsageError("usage: list executions GRAPH")
        items = client.iter_executions(
            args.name, state=_state_option(args), execution_type=args.type, max_items=args.limit,
            page_size=args.page_size,
        )  # fmt: skip
    async for item in items:
        print(item.model_dump_json(), flush=True)
    return EXIT_OK


def _state_option(args: argparse.Namespace) -> ExecutionState | None:
    """``--state`` (a documented state, any case) or ``--raw-state`` (sent as given)."""
    if args.raw_state is not None:
        return ExecutionState(args.raw_state)
    if args.state is None:
        return None
    known = {state.value: state for state in (ExecutionState.RUNNING, ExecutionState.SUCCESS,
                                                ExecutionState.FAILED)}  # fmt: skip
    state = known.get(args.state.strip().upper())
    if state is None:
        raise UsageError(
            f"--state {args.state}: not a known state (expected {', '.join(sorted(known))}, "
            "any case); for a state the service added later, pass --raw-state STATE"
        )
    return state


async def _wait(client: AsyncWorkflowClient, args: argparse.Namespace) -> int:
    final = await client.wait_for_execution(args.graph, args.execution, timeout=args.timeout)
    return _print_outcome(final)


async def _restore(client: AsyncWorkflowClient, args: argparse.Namespace) -> int:
    print(_dump(await client.restore_failed_execution(args.graph, args.execution)))
    return EXIT_OK


@dataclass
class _BatchCounts:
    skipped_started: int = 0
    skipped_ambiguous: int = 0
    invalid_lines: int = 0


@dataclass
class _BatchPlan:
    manifest: Path
    results_path: Path
    ambiguous_path: Path
    total: int
    locks: list[ResultsLock]
    resume_path: Path | None = None
    same: bool = False
    resume: ResumeState = field(default_factory=ResumeState)
    settled: dict[str, object] | None = None

    @property
    def resume_lock(self) -> ResultsLock | None:
        if self.resume_path is None:
            return None
        return self.locks[0] if self.same else self.locks[1]

    def release(self) -> None:
        for lock in self.locks:
            lock.release()


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.samefile(other)
    except OSError:
        return one.resolve() == other.resolve()


def _plan_batch(args: argparse.Namespace) -> _BatchPlan:
    """The file work before anything is sent: check the manifest, lock the results file
    (and the one resumed from). :func:`_load_resume` then reads it (after ``--settle``
    has settled it, under the same lock)."""
    manifest = Path(args.manifest)
    if not manifest.is_file():
        raise UsageError(f"no such manifest: {manifest}")
    resume_path = Path(args.resume) if args.resume else None
    if resume_path is not None and not resume_path.is_file():
        raise UsageError(
            f"no such results file to resume from: {resume_path} (nothing was sent; "
            "check the path, or leave out --resume for a fresh run)"
        )
    results_path = Path(args.results or args.resume or f"{manifest}.results.jsonl")
    same = resume_path is not None and _same_file(resume_path, results_path)
    if same and args.overwrite:
        raise UsageError("--overwrite would erase the results file --resume reads")
    if args.settle and resume_path is None:
        raise UsageError("--settle settles the file --resume reads: pass --resume RESULTS")
    try:
        total = count_items(manifest)  # a manifest that cannot be read stops us here
    except ManifestError as error:
        raise UsageError(str(error)) from None
    locks: list[ResultsLock] = []
    try:
        if not same and results_path.exists() and results_path.stat().st_size > 0:
            _refuse_existing(results_path, args.overwrite)
        lock = ResultsLock.acquire(results_path)
        locks.append(lock)
        if resume_path is not None and not same:
            locks.append(ResultsLock.acquire(resume_path))
        if not same and lock.size > 0:  # written since the check above
            _refuse_existing(results_path, args.overwrite)
            lock.truncate(0)  # --overwrite
    except ManifestError as error:  # ResultsLockedError included
        for held in locks:
            held.release()
        raise UsageError(str(error)) from None
    except BaseException:
        for held in locks:
            held.release()
        raise
    ambiguous_path = results_path.with_name(results_path.name + ".ambiguous")
    return _BatchPlan(manifest, results_path, ambiguous_path, total, locks, resume_path, same)


def _load_resume(plan: _BatchPlan, graph: str) -> None:
    """Read and repair the resume file (its lock is held), carry it over into a new
    results file; refuse a resume of another workflow's results."""
    if plan.resume_path is None:
        return
    try:
        resume = read_results(plan.resume_path)
        _name_repaired_items(plan.manifest, resume)
    except ManifestError as error:
        raise UsageError(str(error)) from None
    for index, record in resume.records.items():
        recorded = record.get("graph")
        if recorded is not None and recorded != graph:
            raise UsageError(
                f"{plan.resume_path} records item {index} as started through workflow "
                f"{recorded!r}, not {graph!r}: resume it with the same GRAPH"
            )
    if plan.same:
        lock = plan.resume_lock
        assert lock is not None
        _repair_torn(lock, resume)
    else:
        _carry_over(plan.results_path, resume)
    plan.resume = resume


def _refuse_existing(results_path: Path, overwrite: bool) -> None:
    if not overwrite:
        raise UsageError(
            f"results file {results_path} exists: pass --resume {results_path} to go on "
            "from it (items it records as started are skipped), or --overwrite to discard "
            "it (items it records may then be started twice)"
        )


def _name_repaired_items(manifest: Path, resume: ResumeState) -> None:
    """A torn line may have lost its bucket and object: take them from the manifest."""
    unnamed = {int(str(r["index"])): r for r in resume.repaired if "object" not in r}
    if not unnamed:
        return
    for item in read_manifest(manifest):
        record = unnamed.get(item.index)
        if record is not None:
            record.update(bucket=item.bucket, object=item.object_key)
            resume.identity[item.index] = (item.bucket, item.object_key)


def _repair_torn(lock: ResultsLock, resume: ResumeState) -> None:
    """A torn last line is cut off; what it still said is written again, the torn item
    as ``sending`` (ambiguous)."""
    if not resume.torn:
        return
    lock.truncate(resume.complete_size)
    log = ResultsLog.open(lock.path)
    try:
        for record in resume.repaired:
            log.write(record)
    finally:
        log.close()


def _carry_over(results_path: Path, resume: ResumeState) -> None:
    """The last line of every item of the resumed file goes into the new results file
    first, so that resuming from the new file skips what resuming from the old one did."""
    log = ResultsLog.open(results_path)
    try:
        for record in resume.records.values():
            log.write(record)
    finally:
        log.close()


async def _start_many(client: AsyncWorkflowClient, args: argparse.Namespace) -> int:
    plan: _BatchPlan = args.plan
    if args.settle:
        assert plan.resume_path is not None and plan.resume_lock is not None
        plan.settled = await _settle_locked(
            client, plan.resume_path, plan.resume_lock, args, args.graph, plan.manifest
        )
    _load_resume(plan, args.graph)
    manifest, results_path, ambiguous_path = plan.manifest, plan.results_path, plan.ambiguous_path
    resume, total = plan.resume, plan.total
    counts = _BatchCounts()
    pending: dict[int, ManifestItem] = {}  # only the items in flight: bounded
    log = ResultsLog.open(results_path)
    ambiguous_log = ResultsLog.open(ambiguous_path, mode="w")  # rewritten on every run

    retry = {"retry_ambiguous": args.retry_ambiguous, "retry_unknown": args.retry_unknown}

    def source() -> Iterator[dict[str, object]]:
        for item in read_manifest(manifest):
            resume.check(item)
            if item.index in resume.started:
                counts.skipped_started += 1
                continue
            unsettled = resume.ambiguous.get(item.index)
            if unsettled is not None and resume_action(unsettled, **retry) != "send":
                counts.skipped_ambiguous += 1
                listed = {"index": item.index, "bucket": item.bucket, "object": item.object_key}
                ambiguous_log.write({**listed, **unsettled})
                continue
            if item.problem is not None:
                counts.invalid_lines += 1
                log.write({"index": item.index, "bucket": item.bucket, "object": item.object_key,
                           "status": "invalid", "message": item.problem})  # fmt: skip
                continue
            pending[item.index] = item
            log.write({"index": item.index, "bucket": item.bucket, "object": item.object_key,
                       "graph": args.graph, "status": "sending",
                       "sent_at": timestamp()})  # fmt: skip
            yield {"graph_name": args.graph, "bucket": item.bucket, "object_key": item.object_key,
                   "inputs": item.inputs, "key": str(item.index)}  # fmt: skip

    held_back = sum(resume_action(r, **retry) != "send" for r in resume.ambiguous.values())
    todo = max(total - len(resume.started) - held_back, 0)
    printer = ProgressPrinter(sys.stderr, todo) if args.progress else None
    loop = asyncio.get_running_loop()
    interrupted = False
    signals: _Signals | None = None
    try:
        async with client.start_many(
            source(), concurrency=args.concurrency, rate_limit=args.rate, burst=args.burst,
            on_progress=printer.update if printer else None,
        ) as run:  # fmt: skip

            def stop() -> None:
                nonlocal interrupted
                interrupted = True
                run.stop()

            signals = _Signals(loop, stop)
            async for outcome in run:
                index = int(_outcome_key(outcome))
                item = pending.pop(index)
                record = outcome_record(outcome, item)
                record["graph"] = args.graph
                log.write(record)
                if outcome.ambiguous:
                    ambiguous_log.write(record)
            stats = run.stats
    except ManifestError as error:
        raise UsageError(str(error)) from None
    finally:
        if signals is not None:
            signals.remove()
        log.close()
        ambiguous_log.close()
    if printer is not None:
        printer.finish(stats)
    summary = {
        "started": stats.succeeded,
        "failed": stats.failed - stats.ambiguous,
        "ambiguous": stats.ambiguous,
        "invalid": stats.invalid + counts.invalid_lines,
        "skipped_already_started": counts.skipped_started,
        "skipped_ambiguous": counts.skipped_ambiguous,
        "results": str(results_path),
        "ambiguous_list": str(ambiguous_path),
        "interrupted": interrupted,
    }
    if plan.settled is not None:
        summary["settled"] = plan.settled
    print(json.dumps(summary), flush=True)  # stdout: progress and messages go to stderr
    if interrupted:
        return EXIT_INTERRUPTED
    unsettled = stats.failed + counts.invalid_lines + counts.skipped_ambiguous
    return EXIT_OK if unsettled == 0 else EXIT_FAILED


def _parse_since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--since expects an ISO 8601 time (e.g. 2024-05-01T12:00:00Z), got {text!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _settle_plan(
    path: Path, graph: str | None, since: datetime | None
) -> tuple[list[PendingItem], list[SettleItem], list[int]]:
    """The pending items, their settle items (graph from the line, else ``graph``),
    and the indexes that cannot be settled (no bucket/object recorded)."""
    try:
        pending = pending_items(path)
    except SettleFileError as error:
        raise UsageError(str(error)) from None
    settleable: list[PendingItem] = []
    items: list[SettleItem] = []
    nameless: list[int] = []
    for item in pending:
        if not item.bucket or not item.object_key:
            nameless.append(item.index)  # a torn line: stays unsettled, never "not started"
            continue
        recorded = item.record.get("graph")
        if isinstance(recorded, str) and graph is not None and recorded != graph:
            raise UsageError(
                f"{path} records item {item.index} as started through workflow "
                f"{recorded!r}, not {graph!r}"
            )
        item_graph = recorded if isinstance(recorded, str) else graph
        if item_graph is None:
            raise UsageError(
                f"{path} does not record the workflow of item {item.index} (a file from an "
                "older version): pass GRAPH"
            )
        try:
            items.append(item.settle_item(item_graph, since))
        except SettleFileError as error:
            raise UsageError(str(error)) from None
        settleable.append(item)
    return settleable, items, nameless


async def _settle_locked(
    client: AsyncWorkflowClient,
    path: Path,
    lock: ResultsLock,
    args: argparse.Namespace,
    graph: str | None,
    manifest: Path | None = None,
) -> dict[str, object]:
    """Settle the pending items of the results file at ``path`` (whose lock is held)
    and append a settle line for each; returns the counts."""
    try:
        state = read_results(path)
        if manifest is not None:
            _name_repaired_items(manifest, state)
    except ManifestError as error:
        raise UsageError(str(error)) from None
    _repair_torn(lock, state)
    pending, items, nameless = _settle_plan(path, graph, _parse_since(args.since))
    report = await client.settle(
        items, settle_delay=args.settle_delay, margin=args.margin,
        concurrency=args.settle_concurrency, max_pages=args.max_pages,
    )  # fmt: skip
    log = ResultsLog.open(path)
    try:
        for item, settle_item, result in zip(pending, items, report.results, strict=True):
            log.write({**settle_record(item, result), "graph": settle_item.graph_name})
    finally:
        log.close()
    counts: dict[str, object] = dict(report.counts())
    counts["unknown"] = int(str(counts["unknown"])) + len(nameless)
    counts.update(
        settled=len(pending),
        unsettleable=nameless,
        list_requests=report.list_requests,
        detail_requests=report.detail_requests,
        results=str(path),
    )
    return counts


async def _settle(client: AsyncWorkflowClient, args: argparse.Namespace) -> int:
    lock: ResultsLock = args.lock
    counts = await _settle_locked(client, lock.path, lock, args, args.graph)
    print(json.dumps(counts))
    return EXIT_OK if counts["unknown"] == 0 else EXIT_FAILED


def _lock_for_settle(args: argparse.Namespace) -> ResultsLock:
    path = Path(args.results)
    if not path.is_file():
        raise UsageError(f"no such results file: {path}")
    _parse_since(args.since)  # a usage error before the lock and the network
    try:
        return ResultsLock.acquire(path)
    except ManifestError as error:
        raise UsageError(str(error)) from None


class _Signals:
    """SIGINT/SIGTERM call ``callback`` once; a second signal then acts as usual
    (SIGINT: KeyboardInterrupt, SIGTERM: the process ends).

    ``loop.add_signal_handler`` where the loop has it (Unix); elsewhere (Windows, a
    loop without it, a thread that is not the main one) ``signal.signal`` with a
    handler that hands over to the loop thread-safely.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
        self._loop = loop
        self._callback = callback
        self._on_loop: list[signal.Signals] = []
        self._previous: dict[signal.Signals, object] = {}
        for sig in _SIGNALS:
            try:
                loop.add_signal_handler(sig, self._fire)
                self._on_loop.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):
                # not the main thread: no handler at all
                with contextlib.suppress(ValueError, OSError):
                    self._previous[sig] = signal.signal(sig, self._fire_from_signal)

    def _fire_from_signal(self, signum: int, frame: object) -> None:
        self._loop.call_soon_threadsafe(self._fire)

    def _fire(self) -> None:
        self.remove()  # a second signal interrupts at once
        self._callback()

    def remove(self) -> None:
        for sig in self._on_loop:
            self._loop.remove_signal_handler(sig)
        self._on_loop.clear()
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)  # type: ignore[arg-type]
        self._previous.clear()


def _outcome_key(outcome: StartOutcome) -> str:
    if outcome.request is not None and outcome.request.key is not None:
        return outcome.request.key
    raw = outcome.raw_item
    if isinstance(raw, dict):
        return str(raw["key"])
    raise RuntimeError("an outcome without its manifest index")  # pragma: no cover


_CLI_NAMES = {
    "graph_name": "GRAPH",
    "bucket": "--bucket",
    "object_key": "--object",
    "inputs": "--input",
    "execution_name": "EXECUTION",
    "name": "NAME",
    "state": "--state",
    "page_size": "--page-size",
    "max_items": "--limit",
    "timeout": "--timeout",
    "max_retries": "--max-retries",
    "server": "--server",
    "region": "--region",
    "signature": "--signature",
    "concurrency": "--concurrency",
    "rate_limit": "--rate",
    "burst": "--burst",
    "settle_delay": "--settle-delay",
    "margin": "--margin",
    "max_pages": "--max-pages",
}
_NO_ENV_KEYS = (
    "no credentials: set OBS_ACCESS_KEY_ID and OBS_SECRET_ACCESS_KEY (and OBS_SECURITY_TOKEN "
    "for temporary keys) or pass --credentials chain"
)


def _invalid_text(error: InvalidRequestError) -> str:
    """An argument error in command-line terms (``GRAPH``, ``--object``), not Python's."""
    parts = []
    for detail in error.errors:
        head = detail.field.split("[")[0].split(".")[0]
        name = _CLI_NAMES.get(head, detail.field)
        parts.append(f"{name}: {detail.rule}")
    return "invalid " + "; ".join(parts) if parts else str(error)


def _credentials(args: argparse.Namespace) -> CredentialsProvider | None:
    """The provider for ``--credentials`` (``None``: the environment keys, checked when
    the client is made)."""
    kind = args.credentials
    if kind == "env":
        return None
    endpoint = args.ecs_endpoint or os.environ.get("OBS_ECS_METADATA_ENDPOINT") or ECS_ENDPOINT
    if kind == "ecs":
        return EcsMetadataProvider(endpoint=endpoint)
    if kind == "oidc":
        if not OidcProvider.configured():
            raise UsageError(
                "--credentials oidc needs HUAWEI_CLOUD_IDP_ID (and OIDC_TOKEN_FILE unless the "
                "token is at the default path)"
            )
        return OidcProvider()
    return default_chain(ecs_endpoint=endpoint)


async def _run(command: Command, args: argparse.Namespace) -> int:
    server = args.server or os.environ.get("OBS_SERVER")
    if not server:
        print("obs-workflow: pass --server URL or set OBS_SERVER", file=sys.stderr)
        return EXIT_USAGE
    cache: CredentialsCache | None = None
    try:
        provider = _credentials(args)
        if provider is not None:
            cache = CredentialsCache(provider)
            await cache.get()  # fails here, before anything is sent
        async with AsyncWorkflowClient(
            server=server,
            signature=args.signature,
            region=args.region,
            timeout=args.request_timeout,
            max_retries=args.max_retries,
            credentials=cache,
        ) as client:
            return await command(client, args)
    except WaitTimeoutError as error:  # the execution goes on, but it did not succeed
        print(_json_text(_error_json(error)), file=sys.stderr)
        return EXIT_EXECUTION_FAILED
    except InvalidRequestError as error:  # bad input: nothing was sent
        print(f"obs-workflow: {_invalid_text(error)}", file=sys.stderr)
        return EXIT_USAGE
    except CredentialsError as error:  # nothing was sent
        if args.credentials == "env":
            print(f"obs-workflow: {_NO_ENV_KEYS}", file=sys.stderr)
        else:
            print(f"obs-workflow: no credentials from --credentials {args.credentials}: "
                  f"{error}", file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    except ObsWorkflowError as error:
        print(_json_text(_error_json(error)), file=sys.stderr)
        return EXIT_FAILED
    finally:
        if cache is not None:
            await cache.aclose()


def _connection_options(parser: argparse.ArgumentParser, *, main: bool = False) -> None:
    """The options every command that talks to the service takes, accepted before the
    subcommand (``main``: with the defaults) and after it (defaults suppressed, so a
    value given before the subcommand is kept)."""

    def default(value: object) -> object:
        return value if main else argparse.SUPPRESS

    group = parser.add_argument_group("connection") if main else parser
    group.add_argument(
        "--server", default=default(None), help="endpoint URL or host (default: $OBS_SERVER)"
    )
    group.add_argument("--signature", choices=["obs", "v2", "v4"], default=default("obs"))
    group.add_argument("--region", default=default(None), help="region for --signature v4")
    group.add_argument(
        "--request-timeout", type=float, default=default(60.0), help="seconds per attempt (60)"
    )
    group.add_argument("--max-retries", type=int, default=default(3))
    group.add_argument(
        "--credentials", choices=["env", "chain", "ecs", "oidc"], default=default("env"),
        help="where keys come from: env (OBS_ACCESS_KEY_ID/OBS_SECRET_ACCESS_KEY, the "
        "default), ecs (instance metadata), oidc (HUAWEI_CLOUD_IDP_ID), chain (env, then "
        "ecs, then oidc)",
    )  # fmt: skip
    group.add_argument(
        "--ecs-endpoint", metavar="URL", default=default(None),
        help="instance metadata endpoint for ecs/chain (default: $OBS_ECS_METADATA_ENDPOINT "
        f"or {ECS_ENDPOINT})",
    )  # fmt: skip
    group.add_argument(
        "-v", "--verbose", action="count", default=default(0),
        help="log to stderr: -v INFO, -vv DEBUG",
    )  # fmt: skip


def _settle_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since", metavar="ISO",
        help="window start for items whose sending line has no sent_at (older files)",
    )  # fmt: skip
    parser.add_argument(
        "--settle-delay", type=float, default=DEFAULT_SETTLE_DELAY, metavar="S",
        help=f"seconds the service's listing may lag behind a start ({DEFAULT_SETTLE_DELAY:g})",
    )  # fmt: skip
    parser.add_argument(
        "--margin", type=float, default=DEFAULT_MARGIN, metavar="S",
        help=f"seconds added to both ends of every window ({DEFAULT_MARGIN:g})",
    )  # fmt: skip
    parser.add_argument(
        "--settle-concurrency" if parser.prog.endswith("start-many") else "--concurrency",
        dest="settle_concurrency", type=int, default=16, metavar="N",
        help="settle requests in flight (16)",
    )  # fmt: skip
    parser.add_argument(
        "--max-pages", type=int, metavar="N", help="cap on the listing pages per workflow"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="obs-workflow", description="Huawei Cloud OBS workflows from the shell."
    )
    parser.add_argument("--version", action="version", version=f"obs-workflow {__version__}")
    _connection_options(parser, main=True)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the demo against the embedded fake server")
    demo.add_argument("--count", type=int, default=300, help="workflows to start (300)")
    demo.add_argument("--concurrency", type=int, default=64, help="calls in flight (64)")

    start = sub.add_parser("start", help="start one workflow execution")
    start.add_argument("graph", help="workflow (graph) name")
    start.add_argument("--bucket", required=True)
    start.add_argument("--object", required=True, help="object key")
    start.add_argument(
        "--input", action="append", default=[], metavar="NAME=VALUE",
        help="workflow input; JSON values are parsed (repeatable)",
    )  # fmt: skip
    start.add_argument("--wait", action="store_true", help="wait for the outcome")
    start.add_argument("--wait-timeout", type=float, default=600.0, help="seconds (600)")
    _connection_options(start)
    start.set_defaults(run=_start)

    get = sub.add_parser("get", help="show a workflow, template or execution")
    get.add_argument("kind", choices=["workflow", "template", "execution"])
    get.add_argument("name", help="workflow or template name (the graph for an execution)")
    get.add_argument("execution", nargs="?", help="execution name (for 'get execution')")
    _connection_options(get)
    get.set_defaults(run=_get)

    listing = sub.add_parser("list", help="list workflows, templates or executions (JSON lines)")
    listing.add_argument("kind", choices=["workflows", "templates", "executions"])
    listing.add_argument("name", nargs="?", help="name prefix, or the graph for executions")
    states = listing.add_mutually_exclusive_group()
    states.add_argument(
        "--state", help="executions in this state only: RUNNING, SUCCESS or FAILED (any case)"
    )
    states.add_argument(
        "--raw-state", metavar="STATE", help="a state this version does not know, sent as given"
    )
    listing.add_argument("--type", choices=["APICALL", "TRIGGERCAL"], help="execution type")
    listing.add_argument("--limit", type=int, help="at most this many items")
    listing.add_argument(
        "--page-size", type=int, help="items per request (default: the maximum, 1000)"
    )
    _connection_options(listing)
    listing.set_defaults(run=_list)

    wait = sub.add_parser("wait", help="wait for an execution to finish")
    wait.add_argument("graph")
    wait.add_argument("execution")
    wait.add_argument("--timeout", type=float, default=600.0, help="seconds (600)")
    _connection_options(wait)
    wait.set_defaults(run=_wait)

    many = sub.add_parser("start-many", help="start GRAPH for every line of a manifest (resumable)")
    many.add_argument("graph", help="workflow (graph) name")
    many.add_argument(
        "--manifest", required=True,
        help="CSV (bucket,object[,inputs-json]) or JSON lines ({bucket, object, inputs, key}); "
        "- reads it from stdin (then pass --results or --resume)",
    )  # fmt: skip
    many.add_argument(
        "--dry-run", action="store_true",
        help="check the manifest and the resume plan, print what would be sent; send nothing",
    )  # fmt: skip
    many.add_argument(
        "--results", help="results file, JSON lines (default: MANIFEST.results.jsonl)"
    )
    many.add_argument(
        "--resume",
        metavar="RESULTS",
        help="go on from this results file (it must exist): skip what it says started",
    )
    many.add_argument(
        "--overwrite", action="store_true",
        help="replace an existing results file (without --resume a run refuses to)",
    )  # fmt: skip
    many.add_argument(
        "--retry-ambiguous", action="store_true",
        help="resend the items settled not_started (see 'settle'; safe)",
    )  # fmt: skip
    many.add_argument(
        "--retry-unknown-may-duplicate", dest="retry_unknown", action="store_true",
        help="also resend ambiguous items not proven not started: MAY START THEM TWICE",
    )  # fmt: skip
    many.add_argument(
        "--settle", action="store_true",
        help="settle the --resume file from the service first (see 'settle')",
    )  # fmt: skip
    _settle_options(many)
    many.add_argument("--concurrency", type=int, default=64)
    many.add_argument("--rate", type=float, help="starts per second at most")
    many.add_argument("--burst", type=float, help="starts allowed at once above the rate")
    many.add_argument("--no-progress", dest="progress", action="store_false")
    _connection_options(many)
    many.set_defaults(run=_start_many)

    settle = sub.add_parser(
        "settle", help="settle the ambiguous items of a start-many results file from the service"
    )
    settle.add_argument("results", metavar="RESULTS", help="a start-many results file")
    settle.add_argument(
        "graph", metavar="GRAPH", nargs="?",
        help="workflow name (default: the one the results file records)",
    )  # fmt: skip
    _settle_options(settle)
    _connection_options(settle)
    settle.set_defaults(run=_settle)

    restore = sub.add_parser("restore", help="resume a failed execution")
    restore.add_argument("graph")
    restore.add_argument("execution")
    _connection_options(restore)
    restore.set_defaults(run=_restore)
    return parser


def _verbose(level: int) -> Callable[[], None]:
    """``-v``: INFO, ``-vv``: DEBUG logging of ``obs_workflow_async`` to stderr; without
    it, warnings only, as ``obs-workflow: warning: ...``. Returns the undo (``main``
    may run more than once in a process)."""
    logger = logging.getLogger("obs_workflow_async")
    level_before = logger.level
    handler = logging.StreamHandler(sys.stderr)
    if level <= 0:
        handler.setFormatter(logging.Formatter("obs-workflow: warning: %(message)s"))
        handler.setLevel(logging.WARNING)
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.setLevel(logging.DEBUG if level > 1 else logging.INFO)
    logger.addHandler(handler)

    def undo() -> None:
        logger.removeHandler(handler)
        logger.setLevel(level_before)

    return undo


def _spool_stdin(args: argparse.Namespace) -> Path:
    """``--manifest -``: copy stdin to a private file once, so that it can be counted,
    read and checked like any manifest (the copy is removed when the command ends)."""
    if not (args.results or args.resume):
        raise UsageError("--manifest - (stdin) needs --results FILE or --resume FILE")
    folder = Path(tempfile.mkdtemp(prefix="obs-workflow-"))
    spooled = folder / "stdin"
    with spooled.open("wb") as out:
        shutil.copyfileobj(sys.stdin.buffer, out)
    return spooled


def _dry_run(args: argparse.Namespace) -> int:
    """``start-many --dry-run``: the checks of a real run and its plan, without locks,
    writes or requests. Exit 0 when every line is usable, 1 when some are invalid."""
    if args.settle:
        raise UsageError("--dry-run cannot --settle (settling asks the service)")
    manifest = Path(args.manifest)
    if not manifest.is_file():
        raise UsageError(f"no such manifest: {manifest}")
    resume_path = Path(args.resume) if args.resume else None
    if resume_path is not None and not resume_path.is_file():
        raise UsageError(f"no such results file to resume from: {resume_path}")
    results_path = Path(args.results or args.resume or f"{manifest}.results.jsonl")
    same = resume_path is not None and _same_file(resume_path, results_path)
    if not same and results_path.exists() and results_path.stat().st_size > 0:
        _refuse_existing(results_path, args.overwrite)
    retry = {"retry_ambiguous": args.retry_ambiguous, "retry_unknown": args.retry_unknown}
    plan = {"items": 0, "send": 0, "skip_started": 0, "skip_ambiguous": 0, "invalid": 0}
    try:
        resume = read_results(resume_path) if resume_path is not None else ResumeState()
        for index, record in resume.records.items():
            recorded = record.get("graph")
            if recorded is not None and recorded != args.graph:
                raise UsageError(
                    f"{resume_path} records item {index} as started through workflow "
                    f"{recorded!r}, not {args.graph!r}: resume it with the same GRAPH"
                )
        for item in read_manifest(manifest):
            plan["items"] += 1
            resume.check(item)
            if item.index in resume.started:
                plan["skip_started"] += 1
            elif item.index in resume.ambiguous and (
                resume_action(resume.ambiguous[item.index], **retry) != "send"
            ):
                plan["skip_ambiguous"] += 1
            elif item.problem is not None:
                plan["invalid"] += 1
                print(f"obs-workflow: item {item.index}: {item.problem}", file=sys.stderr)
            else:
                plan["send"] += 1
    except ManifestError as error:
        raise UsageError(str(error)) from None
    print(json.dumps({**plan, "results": str(results_path), "dry_run": True}))
    return EXIT_OK if plan["invalid"] == 0 else EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (see the module docstring)."""
    args = build_parser().parse_args(argv)  # argparse exits 2 on a usage error
    plan: _BatchPlan | None = None
    lock: ResultsLock | None = None
    spooled: Path | None = None
    undo_logging = _verbose(args.verbose)
    try:
        if args.command == "start-many" and args.manifest == "-":
            spooled = _spool_stdin(args)
            args.manifest = str(spooled)
        if args.command == "start-many" and args.dry_run:
            return _dry_run(args)
        if args.command == "start-many":
            plan = args.plan = _plan_batch(args)
        if args.command == "settle":
            lock = args.lock = _lock_for_settle(args)
        if args.command == "demo":
            summary = asyncio.run(run_demo(args.count, args.concurrency))
            print(format_summary(summary))
            return EXIT_OK if summary.failed == 0 else EXIT_FAILED
        return asyncio.run(_run(args.run, args))
    except UsageError as error:
        print(f"obs-workflow: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("obs-workflow: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if plan is not None:
            plan.release()
        if lock is not None:
            lock.release()
        if spooled is not None:
            shutil.rmtree(spooled.parent, ignore_errors=True)
        undo_logging()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
