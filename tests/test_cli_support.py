"""``tests/support/cli.run_cli`` runs ``cli.main`` as a process would and catches the
global state a run leaves behind (the CLI tests rely on both)."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Sequence

import pytest

from obs_workflow_async import cli
from tests.support.cli import run_cli


def test_exit_status_streams_environment_and_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBS_TEST_GONE", "before")

    def main(argv: Sequence[str] | None = None) -> int:
        print(f"out {list(argv or [])} {os.environ.get('OBS_TEST_SET')}")
        print(f"err {os.environ.get('OBS_TEST_GONE')} {sys.stdin.read()!r}", file=sys.stderr)
        return 7

    monkeypatch.setattr(cli, "main", main)
    done = run_cli("a", "b", env={"OBS_TEST_SET": "x", "OBS_TEST_GONE": None}, stdin="in")
    assert (done.returncode, done.stdout, done.stderr) == (
        7,
        "out ['a', 'b'] x\n",
        "err None 'in'\n",
    )
    assert "OBS_TEST_SET" not in os.environ and os.environ["OBS_TEST_GONE"] == "before"


@pytest.mark.parametrize(("code", "status", "err"), [(None, 0, ""), (2, 2, ""), ("no", 1, "no\n")])
def test_system_exit_is_the_status(
    monkeypatch: pytest.MonkeyPatch, code: object, status: int, err: str
) -> None:
    """As the interpreter ends on ``sys.exit(code)`` (argparse exits 2, or 0 for
    ``--version``)."""

    def main(argv: Sequence[str] | None = None) -> int:
        raise SystemExit(code)

    monkeypatch.setattr(cli, "main", main)
    done = run_cli()
    assert (done.returncode, done.stderr) == (status, err)


def test_stdout_is_as_strict_as_a_real_one(monkeypatch: pytest.MonkeyPatch) -> None:
    def main(argv: Sequence[str] | None = None) -> int:
        print("bad \udcff", file=sys.stderr)  # stderr: backslashreplace
        print("bad \udcff")  # stdout: strict, as in a UTF-8 process
        return 0

    monkeypatch.setattr(cli, "main", main)
    with pytest.raises(UnicodeEncodeError):
        run_cli()


@pytest.mark.parametrize("leak", ["handler", "level", "signal", "environ"])
def test_state_left_behind_fails_the_run(monkeypatch: pytest.MonkeyPatch, leak: str) -> None:
    logger = logging.getLogger("obs_workflow_async")
    handler = logging.NullHandler()
    level = logger.level
    previous = signal.getsignal(signal.SIGTERM)

    def main(argv: Sequence[str] | None = None) -> int:
        if leak == "handler":
            logger.addHandler(handler)
        elif leak == "level":
            logger.setLevel(logging.CRITICAL)
        elif leak == "signal":
            signal.signal(signal.SIGTERM, lambda *_: None)
        else:
            os.environ["OBS_TEST_LEFT"] = "1"
        return 0

    monkeypatch.setattr(cli, "main", main)
    try:
        with pytest.raises(AssertionError, match="global state"):
            run_cli()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        signal.signal(signal.SIGTERM, previous)
        os.environ.pop("OBS_TEST_LEFT", None)
