"""``obs-workflow``: the command line.

The package: :mod:`.parser` (argparse), :mod:`.commands` (running a command, how errors
print, settle), :mod:`.resource_commands` (start, get, list, wait, restore), :mod:`.output`,
:mod:`.doctor`, :mod:`.start_many` (the resumable batch run),
:mod:`.manifest`, :mod:`.results_log`, :mod:`.results` and :mod:`.settle_file` (its files),
:mod:`.progress`, :mod:`.signals`, :mod:`.demo`.

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
  :mod:`.manifest` and :mod:`.results` for the files); SIGINT/SIGTERM/SIGHUP stop
  taking new items and let the ones in flight finish (exit 130, with the command
  that goes on), a second signal stops at once. A run holds a lock on its results
  file (and on the one it resumes from): a second run on the same file is refused.
  ``--resume R1 --results R2`` first copies every line of R1 into R2. Without
  ``--resume`` an existing results file is refused unless ``--overwrite``.

Connection options (``--server``, ``--credentials env|chain|ecs|oidc``,
``--signature``, ``--region``, ``--request-timeout``, ``--max-retries``, ``-v``) go
before or after the subcommand; ``--version`` prints the version. ``start-many
--manifest -`` reads the manifest from stdin (spooled once); ``--dry-run`` checks
the manifest and the resume plan and sends nothing. See ``docs/cli.md``.

Results print on stdout as ``--output json|text|table`` says (JSON by default;
``list`` and summaries as JSON lines), the resource only: the call metadata
(``request_id``, ``retries_taken``) goes to stderr with ``-v``; ``--quiet`` prints
only names (see :mod:`.output`). Progress goes to stderr. ``doctor`` checks a setup
(:mod:`.doctor`). Every command but ``demo`` takes ``--api v3``. Errors from the
service print status, code, message and request id as JSON on stderr; usage errors
print ``obs-workflow: MESSAGE``. Exit status:

- 0: everything done (every batch item started);
- 1: an API call or some batch items failed (or are ambiguous, or invalid);
- 2: a usage error (bad arguments, an invalid name or missing credentials, a
  missing manifest or ``--resume`` file, an existing results file, a results file
  in use, a manifest that cannot be read), reported on stderr before anything is
  sent; or a results file that cannot be written (a full disk), in one line;
- 3: an awaited execution did not succeed, or ``--timeout``/``--wait-timeout``
  expired before it finished (stderr names the graph, execution, last state and
  timeout; the execution goes on running);
- 130: interrupted (SIGINT/SIGTERM/SIGHUP);
- 141: stdout was closed early (``obs-workflow list ... | head -1``): no traceback,
  as a shell tool killed by SIGPIPE.

Connection options left out come from their environment variable, then the profile
of the config file (``--profile``), then the default (see :mod:`.config`).
``completion bash|zsh|fish`` prints a completion script (see :mod:`.completion`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .completion import script
from .config import ConfigError, resolve
from .parser import build_parser
from .pipe import quiet_broken_pipe

if TYPE_CHECKING:
    from .. import Runtime
    from .results_log import Write

# Only the parser and its option files are imported up front: ``--version``,
# ``--help`` and ``completion`` answer without importing the client, aiohttp or
# pydantic (tests/unit/test_lazy_imports.py). The commands are imported once the
# arguments are parsed.

__all__ = ["build_parser", "main"]


def _verbose(level: int) -> Callable[[], None]:
    """``-v``: INFO, ``-vv``: DEBUG logging of ``obs_workflow_async`` to stderr; without
    it, warnings only, as ``obs-workflow: warning: ...``. Returns the undo (``main``
    may run more than once in a process)."""
    import logging

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


def main(
    argv: Sequence[str] | None = None,
    *,
    runtime: Runtime | None = None,
    write: Write | None = None,
) -> int:
    """Run the command line; returns the exit status (see the module docstring).

    ``runtime``: the clock (and sleep) the commands run on, this machine's by default;
    a test steps ``wall_clock`` to see what a wrong local clock does to the results
    file and to ``settle``. ``write``: how results lines reach the disk (``os.write``;
    a test passes one that fails with ``ENOSPC`` to see a full disk handled)."""
    try:
        return _main(argv, runtime, write)
    except BrokenPipeError:  # the reader went away (``| head -1``): no traceback
        return quiet_broken_pipe()


def _main(argv: Sequence[str] | None, runtime: Runtime | None, write: Write | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)  # argparse exits 2 on a usage error
    except SystemExit:
        sys.stdout.flush()  # --help into a closed pipe fails here, not at exit
        raise
    if args.command == "completion":  # no connection, no config file, no commands imported
        print(script(parser, args.shell), end="", flush=True)
        return 0  # EXIT_OK
    from .commands import EXIT_INTERRUPTED, EXIT_USAGE, UsageError

    try:
        resolve(args, os.environ)  # the options left out: env > profile > default
    except ConfigError as error:
        print(f"obs-workflow: {error}", file=sys.stderr)
        return EXIT_USAGE
    args.runtime = runtime
    args.write = write
    undo_logging = _verbose(args.verbose)
    held = contextlib.ExitStack()  # locks and the spooled stdin, released at the end
    try:
        status = _dispatch(args, held)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return status
    except UsageError as error:
        print(f"obs-workflow: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("obs-workflow: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        held.close()
        undo_logging()


def _dispatch(args: argparse.Namespace, held: contextlib.ExitStack) -> int:
    """The file work a command does before anything is sent (registering in ``held``
    what to release), then the command."""
    import asyncio
    import shutil

    from .batch_plan import dry_run, plan_batch
    from .commands import EXIT_FAILED, EXIT_OK, lock_for_settle, run_command
    from .start_many import spool_stdin

    if args.command == "demo":
        from .demo import format_summary, run_demo  # the fake server: only for the demo

        summary = asyncio.run(run_demo(args.count, args.concurrency))
        print(format_summary(summary))
        return EXIT_OK if summary.failed == 0 else EXIT_FAILED
    if args.command == "doctor":
        from .doctor import doctor_command

        return asyncio.run(doctor_command(args))
    if args.command == "start-many":
        if args.manifest == "-":
            args.stdin_manifest = True
            spooled = spool_stdin(args)
            held.callback(shutil.rmtree, spooled.parent, ignore_errors=True)
            args.manifest, args.manifest_label = str(spooled), "-"
        if args.dry_run:
            return dry_run(args)
        args.plan = plan_batch(args)
        held.callback(args.plan.release)
    elif args.command == "settle":
        args.lock = lock_for_settle(args)
        held.callback(args.lock.release)
    return asyncio.run(run_command(args.run, args))
