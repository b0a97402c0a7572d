"""Wait for a condition the test can observe (instead of sleeping a guessed time)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Return as soon as ``condition()`` holds; fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + timeout
    while not condition():
        if loop.time() > give_up:
            raise AssertionError("the condition never held")
        await asyncio.sleep(0.001)


class RecordedPauses:
    """A ``Runtime(sleep=...)`` for the retry loop's pauses: each one is recorded and
    yields to the loop once instead of sleeping, for a test about what is retried (not
    about how long the backoff is) that would otherwise wait out every pause."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        await asyncio.sleep(0)
