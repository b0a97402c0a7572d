"""Ports that never accept: what the connect-timeout tests connect to."""

from __future__ import annotations

import contextlib
import socket


def blackholed_port(keep: list[socket.socket]) -> int:
    """A port on 127.0.0.1 whose accept queue is full: a new connection to it never
    completes. Its sockets (the listener, then the connections filling its queue) are
    appended to ``keep``; the caller closes them."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port: int = listener.getsockname()[1]
    keep.append(listener)
    for _ in range(16):  # more than the queue holds: every later connect hangs
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        keep.append(filler)
    return port
