"""The CLI's stop signals leave the process's signal dispositions as they found them,
and leave an ignored signal ignored (``nohup``, a background job started with ``&``)."""

from __future__ import annotations

import asyncio
import signal
import sys

import pytest

from obs_workflow_async.cli.signals import StopSignals

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _dispositions() -> dict[signal.Signals, object]:
    return {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}


def test_an_ignored_signal_stays_ignored_and_every_handler_comes_back() -> None:
    saved = _dispositions()
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        before = _dispositions()
        fired: list[str] = []

        async def scenario() -> None:
            stops = StopSignals(asyncio.get_running_loop(), lambda: fired.append("stop"))
            # ignored by whoever started us: not taken over
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
            assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
            # SIGTERM is ours while running
            assert signal.getsignal(signal.SIGTERM) != before[signal.SIGTERM]
            stops.remove()

        asyncio.run(scenario())
        assert fired == []
        assert _dispositions() == before
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]


def test_a_custom_sigint_handler_is_put_back() -> None:
    saved = _dispositions()

    def mine(signum: int, frame: object) -> None:
        raise AssertionError("not delivered in this test")

    signal.signal(signal.SIGINT, mine)
    try:

        async def scenario() -> None:
            stops = StopSignals(asyncio.get_running_loop(), lambda: None)
            assert signal.getsignal(signal.SIGINT) is not mine
            stops.remove()

        asyncio.run(scenario())
        assert signal.getsignal(signal.SIGINT) is mine
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
