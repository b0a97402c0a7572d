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
