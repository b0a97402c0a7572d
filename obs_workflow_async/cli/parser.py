"""The argument parser of ``obs-workflow``: one function per subcommand.

The connection options are accepted both before and after the subcommand (see
:func:`_connection_options`); each subcommand sets ``run`` to the coroutine that
carries it out (``demo`` runs without a client).

This module imports neither the client nor aiohttp nor pydantic: ``--version`` and
``--help`` answer from the parser alone, and a command's module is imported when the
command runs (see :func:`_command`).
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

from .. import DEFAULT_MARGIN, DEFAULT_SETTLE_DELAY, __version__
from .completion import add_completion
from .config import CONNECTION_OPTIONS, PROFILE_HELP
from .help_text import CONNECTION_TITLE, HelpFormatter, finish_help
from .output import output_options

__all__ = ["build_parser"]

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
LazyCommand: TypeAlias = Callable[[object, argparse.Namespace], Awaitable[int]]


def _command(module: str, name: str) -> LazyCommand:
    """The command ``name`` of the ``module`` of this package, imported when it runs
    (the modules that talk to the service import the client)."""

    async def command(client: object, args: argparse.Namespace) -> int:
        target = getattr(importlib.import_module(module, __package__), name)
        status: int = await target(client, args)
        return status

    command.__name__ = command.__qualname__ = name
    return command


def _connection_options(parser: argparse.ArgumentParser, *, main: bool = False) -> None:
    """The options every command that talks to the service takes (built from
    :data:`.config.CONNECTION_OPTIONS`), accepted before the subcommand (``main``:
    shown in ``obs-workflow --help``) and after it (hidden from the subcommand's help,
    which names them once in its epilog; defaults suppressed, so a value given before
    the subcommand is kept). Left out, they stay ``None`` here and
    :func:`.config.resolve` fills them: env > profile > default."""
    group = parser.add_argument_group(CONNECTION_TITLE) if main else parser
    for option in CONNECTION_OPTIONS:
        flags = [option.short, option.flag] if option.short else [option.flag]
        shown = f"{option.help} (default: {option.shown_default()}; env: {option.env})"
        common: dict[str, Any] = {
            "dest": option.dest,
            "default": None if main else argparse.SUPPRESS,
            "help": shown if main else argparse.SUPPRESS,
        }
        if option.dest == "verbose":
            group.add_argument(*flags, action="count", **common)
        else:
            group.add_argument(
                *flags,
                type=option.type,
                choices=option.choices,
                metavar=option.metavar,
                **common,
            )
    group.add_argument(
        "--profile",
        metavar="NAME",
        default=None if main else argparse.SUPPRESS,
        help=PROFILE_HELP if main else argparse.SUPPRESS,
    )


def _settle_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since",
        metavar="ISO",
        help="window start for items whose sending line has no sent_at (older files)",
    )
    parser.add_argument(
        "--settle-delay",
        type=float,
        default=DEFAULT_SETTLE_DELAY,
        metavar="S",
        help="seconds the service's listing may lag behind a start",
    )
    parser.add_argument(
        "--margin",
        type=float,
        default=DEFAULT_MARGIN,
        metavar="S",
        help="seconds added to both ends of every window",
    )
    parser.add_argument(
        "--settle-concurrency" if parser.prog.endswith("start-many") else "--concurrency",
        dest="settle_concurrency",
        type=int,
        default=16,
        metavar="N",
        help="settle requests in flight",
    )
    parser.add_argument(
        "--max-pages", type=int, metavar="N", help="cap on the listing pages per workflow"
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser of the whole command line (``obs-workflow --help``)."""
    parser = argparse.ArgumentParser(
        prog="obs-workflow",
        description="Huawei Cloud OBS workflows from the shell.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"obs-workflow {__version__}",
        help="print the version and exit",
    )
    _connection_options(parser, main=True)
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="the command to run"
    )
    for add in (
        _add_demo,
        _add_start,
        _add_get,
        _add_list,
        _add_wait,
        _add_start_many,
        _add_settle,
        _add_restore,
        _add_doctor,
    ):
        add(sub)
    _output_options(parser, sub)
    _v3_options(sub)
    add_completion(sub)
    finish_help(parser, sub)
    return parser


def _output_options(parser: argparse.ArgumentParser, sub: Subparsers) -> None:
    """``--output`` and ``--quiet``: before the subcommand and after every one."""
    output_options(parser, main=True)
    for name, command in sub.choices.items():
        if name != "demo":
            output_options(command)


def _v3_options(sub: Subparsers) -> None:
    """What only ``--api v3`` needs: which template catalogue ``get``/``list`` read."""
    for name in ("get", "list"):
        sub.choices[name].add_argument(
            "--template-kind",
            choices=["system", "public", "mine"],
            default="system",
            help="--api v3: the template catalogue for 'get template' and 'list templates' "
            "(default: system; v2 has one)",
        )


def _add_doctor(sub: Subparsers) -> None:
    doctor = sub.add_parser(
        "doctor",
        help="check the endpoint, credentials, clock, signature and authorization (either API)",
        description="Run every check a first call depends on and print one line per check "
        "(ok, WARN or FAIL, with the fix for each failure); exit 0 when all pass, 1 otherwise.",
    )
    _connection_options(doctor)
    doctor.set_defaults(run=None)  # run by cli.main itself: no client is made up front


def _add_demo(sub: Subparsers) -> None:
    demo = sub.add_parser("demo", help="run the demo against the embedded fake server")
    demo.add_argument("--count", type=int, default=300, help="workflows to start")
    demo.add_argument("--concurrency", type=int, default=64, help="calls in flight")


def _add_start(sub: Subparsers) -> None:
    start = sub.add_parser("start", help="start one workflow execution")
    start.add_argument("graph", help="workflow (graph) name")
    start.add_argument("--bucket", required=True, help="bucket of the object")
    start.add_argument("--object", required=True, help="object key")
    start.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="workflow input; JSON values are parsed (repeatable)",
    )
    start.add_argument("--wait", action="store_true", help="wait for the outcome")
    start.add_argument("--wait-timeout", type=float, default=600.0, help="seconds")
    _connection_options(start)
    start.set_defaults(run=_command(".resource_commands", "start_command"))


def _add_get(sub: Subparsers) -> None:
    get = sub.add_parser("get", help="show a workflow, template or execution")
    get.add_argument("kind", choices=["workflow", "template", "execution"], help="what to show")
    get.add_argument("name", help="workflow or template name (the graph for an execution)")
    get.add_argument("execution", nargs="?", help="execution name (for 'get execution')")
    _connection_options(get)
    get.set_defaults(run=_command(".resource_commands", "get_command"))


def _add_list(sub: Subparsers) -> None:
    listing = sub.add_parser("list", help="list workflows, templates or executions (JSON lines)")
    listing.add_argument(
        "kind", choices=["workflows", "templates", "executions"], help="what to list"
    )
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
    listing.set_defaults(run=_command(".resource_commands", "list_command"))


def _add_wait(sub: Subparsers) -> None:
    wait = sub.add_parser("wait", help="wait for an execution to finish")
    wait.add_argument("graph", help="workflow (graph) name")
    wait.add_argument("execution", help="execution name")
    wait.add_argument("--timeout", type=float, default=600.0, help="seconds")
    _connection_options(wait)
    wait.set_defaults(run=_command(".resource_commands", "wait_command"))


def _add_start_many(sub: Subparsers) -> None:
    many = sub.add_parser("start-many", help="start GRAPH for every line of a manifest (resumable)")
    many.add_argument("graph", help="workflow (graph) name")
    many.add_argument(
        "--manifest",
        required=True,
        help="CSV (bucket,object[,inputs-json]) or JSON lines ({bucket, object, inputs, key}); "
        "- reads it from stdin (then pass --results or --resume)",
    )
    many.add_argument(
        "--dry-run",
        action="store_true",
        help="check the manifest and the resume plan, print what would be sent; send nothing",
    )
    many.add_argument(
        "--results", help="results file, JSON lines (default: MANIFEST.results.jsonl)"
    )
    many.add_argument(
        "--resume",
        metavar="RESULTS",
        help="go on from this results file (it must exist): skip what it says started",
    )
    many.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing results file (without --resume a run refuses to)",
    )
    many.add_argument(
        "--retry-ambiguous",
        action="store_true",
        help="resend the items settled not_started (see 'settle'; safe)",
    )
    many.add_argument(
        "--retry-unknown-may-duplicate",
        dest="retry_unknown",
        action="store_true",
        help="also resend ambiguous items not proven not started: MAY START THEM TWICE",
    )
    many.add_argument(
        "--settle",
        action="store_true",
        help="settle the --resume file from the service first (see 'settle')",
    )
    _settle_options(many)
    many.add_argument("--concurrency", type=int, default=64, metavar="N", help="starts in flight")
    many.add_argument("--rate", type=float, help="starts per second at most")
    many.add_argument("--burst", type=float, help="starts allowed at once above the rate")
    many.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        help="no progress line on stderr (default: shown)",
    )
    _connection_options(many)
    many.set_defaults(run=_command(".start_many", "start_many_command"))


def _add_settle(sub: Subparsers) -> None:
    settle = sub.add_parser(
        "settle", help="settle the ambiguous items of a start-many results file from the service"
    )
    settle.add_argument("results", metavar="RESULTS", help="a start-many results file")
    settle.add_argument(
        "graph",
        metavar="GRAPH",
        nargs="?",
        help="workflow name (default: the one the results file records)",
    )
    _settle_options(settle)
    _connection_options(settle)
    settle.set_defaults(run=_command(".commands", "settle_command"))


def _add_restore(sub: Subparsers) -> None:
    restore = sub.add_parser("restore", help="resume a failed execution")
    restore.add_argument("graph", help="workflow (graph) name")
    restore.add_argument("execution", help="execution name")
    _connection_options(restore)
    restore.set_defaults(run=_command(".resource_commands", "restore_command"))
