"""Stopping a run on SIGINT/SIGTERM/SIGHUP, portably (the graceful stop of
``start-many`` and ``settle``)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["STOP_SIGNALS", "InterruptOnSignal", "StopSignals"]

_T = TypeVar("_T")

STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""The signals that stop a run gracefully: an operator's Ctrl-C, a service manager's
or ``kill``'s SIGTERM, a closed terminal's SIGHUP (SIGHUP does not exist on Windows)."""


class StopSignals:
    """SIGINT/SIGTERM/SIGHUP call ``callback`` once (``fired`` then names the signal);
    a second signal then acts as usual (SIGINT: KeyboardInterrupt, SIGTERM/SIGHUP:
    the process ends).

    ``loop.add_signal_handler`` where the loop has it (Unix); elsewhere (Windows, a
    loop without it, a thread that is not the main one) ``signal.signal`` with a
    handler that hands over to the loop thread-safely.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
        self._loop = loop
        self._callback = callback
        self.fired: str | None = None
        self._on_loop: list[signal.Signals] = []
        self._previous: dict[signal.Signals, object] = {}
        self._before_loop: dict[signal.Signals, object] = {}
        for sig in STOP_SIGNALS:
            try:
                before = signal.getsignal(sig)
            except ValueError:
                before = None
            if before == signal.SIG_IGN:
                # ignored by whoever started us (nohup, a background job): stay ignored
                continue
            try:
                loop.add_signal_handler(sig, self._fire, sig)
                self._on_loop.append(sig)
                self._before_loop[sig] = before
            except (NotImplementedError, RuntimeError, ValueError):
                # not the main thread: no handler at all
                with contextlib.suppress(ValueError, OSError):
                    self._previous[sig] = signal.signal(sig, self._fire_from_signal)

    def _fire_from_signal(self, signum: int, frame: object) -> None:
        self._loop.call_soon_threadsafe(self._fire, signal.Signals(signum))

    def _fire(self, sig: signal.Signals) -> None:
        if self.fired is not None:
            return
        self.fired = sig.name
        self.remove()  # a second signal interrupts at once
        self._callback()

    def remove(self) -> None:
        """Put back the handlers there were before."""
        for sig in self._on_loop:
            self._loop.remove_signal_handler(sig)
            before = self._before_loop.pop(sig, None)
            if before is not None:  # asyncio puts back its own defaults, not what was there
                with contextlib.suppress(ValueError, OSError, TypeError):
                    signal.signal(sig, before)  # type: ignore[arg-type]
        self._on_loop.clear()
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)  # type: ignore[arg-type]
        self._previous.clear()


class InterruptOnSignal:
    """Run one coroutine; SIGINT, SIGTERM or SIGHUP cancels it (``fired`` then names
    the signal, and awaiting :meth:`run` raises ``CancelledError``). A second signal
    acts as usual."""

    def __init__(self) -> None:
        self.fired: str | None = None

    async def run(self, work: Coroutine[object, object, _T]) -> _T:
        task = asyncio.ensure_future(work)
        signals = StopSignals(asyncio.get_running_loop(), lambda: _cancel(task))
        try:
            return await task
        finally:
            signals.remove()
            self.fired = signals.fired


def _cancel(task: asyncio.Future[Any]) -> None:
    task.cancel()
