"""The sockets this process holds open, to check that a test closed those it opened.

A raw count of ``/proc/self/fd`` is disturbed by anything opened lazily on the way (a
log file, an imported module's cache, the selector); the set of sockets, each known
by its fd and its inode (``socket:[inode]``), is not: a socket opened by the test and
still open at its end is in the set after it and not in the set before it.
"""

from __future__ import annotations

import asyncio
import gc
import os

__all__ = ["open_sockets", "sockets_left_open"]

_FDS = "/proc/self/fd"


def open_sockets() -> frozenset[tuple[int, str]]:
    """``(fd, "socket:[inode]")`` for every socket open in this process now."""
    found: set[tuple[int, str]] = set()
    for name in os.listdir(_FDS):
        try:
            target = os.readlink(f"{_FDS}/{name}")
        except OSError:  # closed meanwhile (the listing's own fd, for one)
            continue
        if target.startswith("socket:["):
            found.add((int(name), target))
    return frozenset(found)


async def sockets_left_open(
    before: frozenset[tuple[int, str]], timeout: float = 120.0
) -> frozenset[tuple[int, str]]:
    """The sockets opened since ``before`` that are still open once every close in
    flight had its time (empty at once when everything is closed; waits up to
    ``timeout`` seconds of loop time otherwise).

    Each check collects garbage first: a socket only the garbage collector would close
    is a leak too, and this way its ``ResourceWarning`` is raised in the test that
    leaked it, not in some later, innocent one.
    """
    loop = asyncio.get_running_loop()
    give_up = loop.time() + timeout
    while True:
        gc.collect()
        left = open_sockets() - before
        if not left or loop.time() > give_up:
            return left
        await asyncio.sleep(0.05)
