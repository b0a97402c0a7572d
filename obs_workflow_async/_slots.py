"""A FIFO gate of N slots with an allocation-free fast path and an exact timed wait.

The transport holds one slot per request in flight so that waiting for a pooled
connection happens *before* an attempt's timer starts. ``asyncio.Semaphore``
would do for the untimed wait, but a timed wait through ``asyncio.wait_for`` wraps
the acquisition in a task (on Python 3.10 and 3.11 a cancellation that races the
grant can be swallowed, and the inner task's exception may never be retrieved).
This gate times the wait with a timer on the waiter itself: a waiter ends exactly
once, granted, expired or cancelled, and a grant that races a cancellation is
handed on to the next waiter.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

__all__ = ["SlotGate"]


class SlotGate:
    """``size`` slots, granted in arrival order. Not thread-safe (one event loop)."""

    def __init__(self, size: int) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError("size must be an integer >= 1")
        self._free = size
        self._waiters: deque[asyncio.Future[bool]] = deque()

    @property
    def free(self) -> int:
        return self._free

    @property
    def waiting(self) -> int:
        """Callers queued for a slot now."""
        return len(self._waiters)

    def try_acquire(self) -> bool:
        """Take a slot now if one is free and nobody is queued before us."""
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return True
        return False

    async def acquire(self, timeout: float | None = None) -> bool:
        """Wait for a slot; ``False`` if ``timeout`` seconds pass first (no slot is held).

        A cancelled wait raises ``CancelledError`` and holds no slot; a slot granted
        at the moment of cancellation goes to the next waiter.
        """
        if self.try_acquire():
            return True
        if timeout is not None and timeout <= 0:
            return False
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiters.append(waiter)
        timer = None if timeout is None else loop.call_later(timeout, self._expire, waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.result():
                self.release()  # granted, then cancelled: hand the slot on
            else:
                self._forget(waiter)
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def _expire(self, waiter: asyncio.Future[bool]) -> None:
        if not waiter.done():
            waiter.set_result(False)
            self._forget(waiter)

    def _forget(self, waiter: asyncio.Future[bool]) -> None:
        with contextlib.suppress(ValueError):  # release() may have taken it off already
            self._waiters.remove(waiter)

    def release(self) -> None:
        """Give the slot to the first live waiter, or back to the pool."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(True)
                return
        self._free += 1
