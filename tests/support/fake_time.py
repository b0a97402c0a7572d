"""Time that moves only when the code under test sleeps: for behaviour about time
(timeouts, deadlines, backoff, polling) that must not depend on how fast the machine is."""

from __future__ import annotations

import asyncio

from obs_workflow_async._config import Runtime


class FakeTime:
    """A monotonic clock that only moves when the client sleeps (through ``runtime()``)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)  # a real sleep lets the other tasks run: so does this one

    def runtime(self, jitter: float = 1.0) -> Runtime:
        return Runtime(clock=self.clock, sleep=self.sleep, random=lambda: jitter)
