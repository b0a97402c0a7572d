"""Stopping a run on SIGINT/SIGTERM, portably (``start-many``'s graceful stop)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable

__all__ = ["StopSignals"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopSignals:
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
        """Put back the handlers there were before."""
        for sig in self._on_loop:
            self._loop.remove_signal_handler(sig)
        self._on_loop.clear()
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)  # type: ignore[arg-type]
        self._previous.clear()
