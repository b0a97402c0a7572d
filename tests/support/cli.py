"""Run the command line in-process: ``cli.main(argv)`` with its own environment,
stdin, stdout and stderr, as ``python -m obs_workflow_async`` would run it, without
starting a Python per call (a subprocess costs ~0.3 s of CPU; most CLI tests make
several calls).

What only a real process shows (signals, ``kill -9``, locks held by another process,
the installed entry point's exit status) stays in subprocess tests; see
``docs/contributing.md``.

The streams are byte streams with a UTF-8 text layer, as a process's are (stdout
strict, stderr ``backslashreplace``): text a real stdout could not encode fails here
too. Warnings logged outside the package's logger (``asyncio``'s, say) reach the
captured stderr, as Python's last-resort handler prints them in a real process.
``run_cli`` also checks that ``main`` leaves no global state behind (logging
handlers and level, SIGINT/SIGTERM handlers, the environment), so that ``main`` can
be called again and again in one process.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from obs_workflow_async import cli

__all__ = ["CliResult", "run_cli", "server_env"]

Env = Mapping[str, "str | None"]


@dataclass(frozen=True)
class CliResult:
    """What a finished ``obs-workflow`` run gives back (the names of
    :class:`subprocess.CompletedProcess`)."""

    returncode: int
    stdout: str
    stderr: str


class _Server(Protocol):
    @property
    def url(self) -> str: ...
    @property
    def access_key_id(self) -> str: ...
    @property
    def secret_access_key(self) -> str: ...


def server_env(server: _Server, *, with_url: bool = True) -> dict[str, str | None]:
    """The variables that point the CLI at a fake server (its keys, and its URL as
    ``OBS_SERVER`` unless ``with_url`` is false)."""
    env: dict[str, str | None] = {
        "OBS_ACCESS_KEY_ID": server.access_key_id,
        "OBS_SECRET_ACCESS_KEY": server.secret_access_key,
        "OBS_SECURITY_TOKEN": None,
    }
    if with_url:
        env["OBS_SERVER"] = server.url
    return env


def run_cli(*argv: str, env: Env | None = None, stdin: str | bytes | None = None) -> CliResult:
    """``obs-workflow ARGV`` in this process; ``env`` sets variables for the call
    (``None`` unsets one), ``stdin`` is what the command reads from its stdin
    (empty by default)."""
    out = _stream("strict")
    err = _stream("backslashreplace")
    data = stdin.encode() if isinstance(stdin, str) else (stdin or b"")
    before = _global_state()
    with (
        _environ(env or {}),
        _last_resort(err),
        _stdin(data),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            code = cli.main(list(argv))
        except SystemExit as exit_:  # argparse: usage errors, --version, --help
            code = _exit_status(exit_.code, err)
    assert _global_state() == before, "cli.main left global state behind"
    return CliResult(code, _text(out), _text(err))


def _stream(errors: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors=errors, write_through=True)


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue().decode("utf-8", "replace")


def _exit_status(code: object, err: io.TextIOWrapper) -> int:
    """What the interpreter makes of ``sys.exit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=err)
    return 1


@contextlib.contextmanager
def _stdin(data: bytes) -> Iterator[None]:
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    try:
        yield
    finally:
        sys.stdin = saved


@contextlib.contextmanager
def _environ(env: Env) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in env}
    try:
        _apply(env)
        yield
    finally:
        _apply(saved)


def _apply(env: Env) -> None:
    for name, value in env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


class _OnlyTheCommand(logging.Filter):
    """Records of the thread that runs ``main`` (not the fake server's), outside the
    package's logger."""

    def __init__(self) -> None:
        super().__init__()
        self._thread = threading.get_ident()

    def filter(self, record: logging.LogRecord) -> bool:
        ours = record.name == "obs_workflow_async" or record.name.startswith("obs_workflow_async.")
        return record.thread == self._thread and not ours


@contextlib.contextmanager
def _last_resort(err: io.TextIOWrapper) -> Iterator[None]:
    """Warnings from other loggers on ``err``, as in a process where only the CLI
    configures logging (the package's logger has the CLI's own handler)."""
    handler = logging.StreamHandler(err)
    handler.setLevel(logging.WARNING)
    handler.addFilter(_OnlyTheCommand())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


def _global_state() -> tuple[object, ...]:
    logger = logging.getLogger("obs_workflow_async")
    return (
        tuple(logger.handlers),
        logger.level,
        tuple(logging.getLogger().handlers),
        signal.getsignal(signal.SIGINT),
        signal.getsignal(signal.SIGTERM),
        dict(os.environ),
    )
