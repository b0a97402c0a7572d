"""A FIFO gate of N slots with an allocation-free fast path.

The transport holds one slot per request in flight so that waiting for a pooled
connection happens *before* an attempt's timer starts. ``asyncio.Semaphore``
would do, but its ``acquire`` is a coroutine even when a slot is free; this gate
takes a free slot synchronously and only builds a future when it must wait.
"""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["SlotGate"]


class SlotGate:
    """``size`` slots, granted in arrival order. Not thread-safe (one event loop)."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("size must be >= 1")
        self._free = size
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def free(self) -> int:
        return self._free

    def try_acquire(self) -> bool:
        """Take a slot now if one is free and nobody is queued before us."""
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return True
        return False

    async def acquire(self) -> None:
        """Wait for a slot (call after :meth:`try_acquire` returned False)."""
        if self.try_acquire():
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # granted, then cancelled: hand the slot on
            else:
                self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        """Give the slot to the first live waiter, or back to the pool."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1
