"""The commands that talk to the service (``start``, ``get``, ``list``, ``wait``,
``restore``, ``settle``), the client they share, and how errors print.

Each command is ``async (client, args) -> exit status``; :func:`run_command` makes the
client from the connection options, runs one, and turns errors into the statuses
and messages :mod:`obs_workflow_async.cli` documents.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from .. import CLOCK_STEP_TOLERANCE, AsyncWorkflowClient, Runtime, SettleItem

if TYPE_CHECKING:
    from .. import SettleReport
    from ..dwr import AsyncDwrClient
from ..credentials import (
    ECS_ENDPOINT,
    CredentialsCache,
    CredentialsProvider,
    EcsMetadataProvider,
    OidcProvider,
    default_chain,
)
from ..errors import (
    APIStatusError,
    CredentialsError,
    DiscoveryError,
    InvalidRequestError,
    ObsWorkflowError,
    TransportError,
    WaitTimeoutError,
    visible,
)
from .manifest import ManifestError
from .output import emit_summary
from .results import name_repaired_items, read_results, repair_torn
from .results_log import ResultsLock, ResultsLog, Write
from .settle_file import PendingItem, SettleFileError, read_pending, settle_record
from .signals import InterruptOnSignal

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_EXECUTION_FAILED = 3
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """The command line cannot be carried out as given: ``obs-workflow: MESSAGE`` on
    stderr and exit status 2, before anything is sent."""


def _json_text(data: object) -> str:
    """JSON for the terminal: readable non-ASCII text, but never an encoding error (a
    lone surrogate, e.g. from a service message, is written as an escape) and never a
    raw control character (DEL, C1, U+2028, bidi controls: escaped too)."""
    text = json.dumps(data, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(data)
    return visible(text, json_text=True)


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
    if isinstance(error, TransportError | DiscoveryError):
        return {
            "error": type(error).__name__,
            "message": str(error),
            "request_sent": error.request_sent,
        }
    return {"error": type(error).__name__, "message": str(error)}


AnyClient: TypeAlias = "AsyncWorkflowClient | AsyncDwrClient"
"""A client of either API (``start-many`` and ``settle`` take both)."""
Command = Callable[[AnyClient, argparse.Namespace], Awaitable[int]]
"""A command: every one takes a client of either API (``--api v2|v3``)."""


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


def runtime_of(args: argparse.Namespace) -> Runtime:
    """The clock (and sleep) the command runs on: ``main(runtime=...)``'s, else the
    machine's."""
    runtime = getattr(args, "runtime", None)
    return runtime if isinstance(runtime, Runtime) else Runtime()


def write_of(args: argparse.Namespace) -> Write | None:
    """How results lines are written: ``main(write=...)``'s, else ``os.write``."""
    write: Write | None = getattr(args, "write", None)
    return write


def _settle_plan(
    path: Path, graph: str | None, since: datetime | None
) -> tuple[list[PendingItem], list[SettleItem], list[int]]:
    """The pending items, their settle items (graph from the line, else ``graph``,
    else the one workflow the file records), and the indexes that cannot be settled
    (no bucket/object recorded)."""
    try:
        read = read_pending(path)
    except SettleFileError as error:
        raise UsageError(str(error)) from None
    pending = read.items
    if graph is not None and read.graphs - {graph}:
        other = sorted(read.graphs - {graph})[0]
        raise UsageError(f"{path} records workflow {other!r}, not {graph!r}")
    file_graph = next(iter(read.graphs)) if len(read.graphs) == 1 else None
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
        item_graph = recorded if isinstance(recorded, str) else graph or file_graph
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


async def settle_locked(
    client: AnyClient,
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
        named = name_repaired_items(manifest, state) if manifest is not None else []
        repair_torn(lock, state, write_of(args))
        if named:
            log = ResultsLog.open(path, write=write_of(args))
            try:
                for record in named:
                    log.write(record)
            finally:
                log.close()
    except ManifestError as error:  # a write that failed (ResultsFileError) included
        raise UsageError(str(error)) from None
    pending, items, nameless = _settle_plan(path, graph, _parse_since(args.since))
    report = await client.settle(
        items,
        settle_delay=args.settle_delay,
        margin=args.margin,
        concurrency=args.settle_concurrency,
        max_pages=args.max_pages,
    )
    _warn_clock_step(items, report)
    settled_at = runtime_of(args).wall_clock()
    try:
        log = ResultsLog.open(path, write=write_of(args))
        try:
            for item, settle_item, result in zip(pending, items, report.results, strict=True):
                line = settle_record(item, result, settled_at)
                log.write({**line, "graph": settle_item.graph_name})
        finally:
            log.close()
    except ManifestError as error:
        raise UsageError(
            f"{error}; the settle lines were not all written: settle again once it can be"
        ) from None
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


def _warn_clock_step(items: Sequence[SettleItem], report: SettleReport) -> None:
    """Say so when this machine's clock has been stepped since the run (the offsets the
    file records and the one measured now differ by more than ``CLOCK_STEP_TOLERANCE``)."""
    steps = [
        item.clock_step(report.sweeps[item.graph_name].offset)
        for item in items
        if item.graph_name in report.sweeps and report.sweeps[item.graph_name].offset_measured
    ]
    step = max(steps, key=abs, default=None)
    if step is not None and abs(step) > CLOCK_STEP_TOLERANCE:
        print(
            f"obs-workflow: warning: this machine's clock moved {-step.total_seconds():+.0f} s "
            "against the service's since the run (from the Date answers); the windows "
            "cover both clocks",
            file=sys.stderr,
        )


def settle_hint(args: argparse.Namespace) -> str:
    """The command that settles the same file again."""
    words = ["obs-workflow", *connection_words(args), "settle", args.results]
    if args.graph:
        words.append(args.graph)
    if args.since:
        words += ["--since", args.since]
    return shlex.join(words)


_REPEATED = (
    ("api", "--api", "v2"),
    ("server", "--server", None),
    ("signature", "--signature", "obs"),
    ("region", "--region", None),
    ("project_id", "--project-id", None),
    ("credentials", "--credentials", "env"),
    ("ecs_endpoint", "--ecs-endpoint", None),
    ("profile", "--profile", None),
)


def connection_words(args: argparse.Namespace) -> list[str]:
    """The connection options given on the command line (other than their defaults)
    that the command going on must repeat; timeouts, retries and ``-v`` are left to
    the operator."""
    words: list[str] = []
    given = getattr(args, "from_command_line", None)  # set by config.resolve
    for name, option, default in _REPEATED:
        if given is not None and name not in given and name != "profile":
            continue  # from the environment or the profile: they apply again
        value = getattr(args, name, default)
        if value is not None and value != default:
            words += [option, str(value)]
    return words


async def settle_command(client: AnyClient, args: argparse.Namespace) -> int:
    lock: ResultsLock = args.lock
    signals = InterruptOnSignal()
    try:
        counts = await signals.run(settle_locked(client, lock.path, lock, args, args.graph))
    except asyncio.CancelledError:
        if not signals.fired:
            raise
        print(
            f"obs-workflow: interrupted ({signals.fired}) before the verdicts were written; "
            f"nothing was changed; settle again with: {settle_hint(args)}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    emit_summary(args, counts)
    return EXIT_OK if counts["unknown"] == 0 else EXIT_FAILED


def lock_for_settle(args: argparse.Namespace) -> ResultsLock:
    path = Path(args.results)
    if not path.is_file():
        raise UsageError(f"no such results file: {path}")
    _parse_since(args.since)  # a usage error before the lock and the network
    try:
        return ResultsLock.acquire(path)
    except ManifestError as error:
        raise UsageError(str(error)) from None


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


def _v3_client(
    args: argparse.Namespace, server: str | None, cache: CredentialsCache | None
) -> AsyncDwrClient:
    from ..dwr import AsyncDwrClient  # imported for --api v3 only

    return AsyncDwrClient(
        endpoint=server,
        region=args.region,
        project_id=args.project_id,
        timeout=args.request_timeout,
        max_retries=args.max_retries,
        credentials=cache,
        runtime=runtime_of(args),
    )


def _usage_problem(args: argparse.Namespace, server: str | None) -> str | None:
    """What makes the connection options unusable, before anything is built or sent."""
    v3 = args.api == "v3"
    if not server and not (v3 and args.region):
        return "pass --server URL or set OBS_SERVER" + (" (or --region)" if v3 else "")
    return None


async def _connect_and_run(
    command: Command, args: argparse.Namespace, server: str | None, cache: CredentialsCache | None
) -> int:
    if args.api == "v3":
        async with _v3_client(args, server, cache) as dwr:
            return await command(dwr, args)
    assert server is not None
    async with AsyncWorkflowClient(
        server=server,
        signature=args.signature,
        region=args.region,
        timeout=args.request_timeout,
        max_retries=args.max_retries,
        credentials=cache,
        runtime=runtime_of(args),
    ) as client:
        return await command(client, args)


async def run_command(command: Command, args: argparse.Namespace) -> int:
    server = args.server or os.environ.get("OBS_SERVER")
    problem = _usage_problem(args, server)
    if problem is not None:
        print(f"obs-workflow: {problem}", file=sys.stderr)
        return EXIT_USAGE
    cache: CredentialsCache | None = None
    try:
        provider = _credentials(args)
        if provider is not None:
            cache = CredentialsCache(provider)
            await cache.get()  # fails here, before anything is sent
        return await _connect_and_run(command, args, server, cache)
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
            print(
                f"obs-workflow: no credentials from --credentials {args.credentials}: {error}",
                file=sys.stderr,
            )
        return EXIT_USAGE
    except ObsWorkflowError as error:
        print(_json_text(_error_json(error)), file=sys.stderr)
        return EXIT_FAILED
    finally:
        if cache is not None:
            await cache.aclose()
