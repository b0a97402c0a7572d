"""Reading a batch's async input in a task of its own, as far ahead as slots are free.

While the input waits for its next item (a queue, a paged listing, a slow producer),
the run goes on yielding finished outcomes and can stop: only this task waits.
"""

from __future__ import annotations

import asyncio
import enum
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterable, Callable

__all__ = ["WAITING", "AsyncReader", "Waiting"]


class Waiting(enum.Enum):
    WAITING = "waiting"


WAITING = Waiting.WAITING
"""What :meth:`AsyncReader.next_item` gives while no item has been read yet."""

Indexed = tuple[int, object]


async def _enumerate(items: AsyncIterable[object]) -> AsyncGenerator[Indexed, None]:
    index = 0
    async for item in items:
        yield index, item
        index += 1


class AsyncReader:
    """One task reads the input ahead, never more items than it was asked for (the
    run's free slots), so memory stays bounded by the concurrency. ``wake`` is called
    whenever an item arrives or the input ends."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        items: AsyncIterable[object],
        wake: Callable[[], None],
    ) -> None:
        self._loop = loop
        self._source = _enumerate(items)
        self._wake = wake
        self.fetched: deque[Indexed] = deque()
        """Items read but not yet taken."""
        self._wanted = 0
        self._reading = False
        self._credit: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def next_item(self, free: int) -> Indexed | Waiting | None:
        """The next ``(index, item)``; ``None`` at the end of the input (its exception, if
        it raised one); :data:`WAITING` while none is read yet: the reader is then asked
        for up to ``free`` items (the slots free now)."""
        if self.fetched:
            return self.fetched.popleft()
        task = self._task
        if task is None:
            task = self._task = self._loop.create_task(self._pump())
        elif task.done():
            error = None if task.cancelled() else task.exception()
            if error is not None:
                raise error  # the input's own exception
            return None
        need = free - self._reading
        if need > self._wanted:
            self._wanted = need
            credit = self._credit
            if credit is not None and not credit.done():
                credit.set_result(None)
        return WAITING

    async def _pump(self) -> None:
        try:
            while not self._closing:
                while self._wanted <= 0:
                    self._credit = self._loop.create_future()
                    try:
                        await self._credit
                    finally:
                        self._credit = None
                self._wanted -= 1
                self._reading = True
                try:
                    got = await anext(self._source)
                except StopAsyncIteration:
                    return
                finally:
                    self._reading = False
                self.fetched.append(got)
                self._wake()
        finally:
            self._wake()  # the end of the input, its exception, or closing

    async def aclose(self) -> list[Indexed]:
        """Stop reading (a read waiting in the input is cancelled: the input sees
        ``CancelledError`` at its ``await``), close the input; the items read but never
        taken are returned (the input will not give them again)."""
        self._closing = True
        task = self._task
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self._source.aclose()
        left = list(self.fetched)
        self.fetched.clear()
        return left
