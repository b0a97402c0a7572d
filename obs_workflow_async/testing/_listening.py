"""Stop an asyncio listener without losing the connections it has just accepted.

On Python 3.11 a selector loop accepts up to ``backlog`` connections in one go and
wraps each in a transport in a task of its own, one loop turn later. If the server is
closed in between, building that transport fails (``Server._attach`` asserts the
server is open), the error is swallowed unless the loop is in debug mode, and the
accepted socket is closed by nobody: the garbage collector finds it later, in some
other test, as ``ResourceWarning: unclosed <socket ...>``. Under load, with a
connection per request, that window is hit.

:func:`stop_accepting` closes the window: it stops taking new connections first, then
lets the ones already accepted become transports and reach their protocol
(``connection_made`` and the first step of a stream handler), so the server's own
bookkeeping sees them and can close them before the listener is closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

__all__ = ["stop_accepting"]

# accept -> transport built (task step) -> connection_made -> handler task's first
# step: each one loop turn after the other; two more for good measure
_TURNS = 5


async def stop_accepting(fds: Iterable[int]) -> None:
    """Stop accepting on the listening sockets ``fds`` (still open), then wait until
    every connection already accepted has reached its protocol."""
    loop = asyncio.get_running_loop()
    for fd in fds:
        loop.remove_reader(fd)
    for _ in range(_TURNS):
        await asyncio.sleep(0)
