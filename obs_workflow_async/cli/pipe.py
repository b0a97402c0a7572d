"""A reader that stops early (``obs-workflow list ... | head -1``): exit quietly.

As the Python documentation recommends (``signal`` module, "Note on SIGPIPE"):
point stdout at ``os.devnull`` so that the interpreter's final flush does not fail a
second time, and exit with 141 (128 + SIGPIPE), what a shell reports for a tool the
closed pipe stopped.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys

__all__ = ["EXIT_BROKEN_PIPE", "quiet_broken_pipe"]

EXIT_BROKEN_PIPE = 141


def quiet_broken_pipe() -> int:
    """Silence stdout for the rest of the process; the exit status to return."""
    with contextlib.suppress(AttributeError, ValueError, io.UnsupportedOperation, OSError):
        fd = sys.stdout.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, fd)
        finally:
            os.close(devnull)
    return EXIT_BROKEN_PIPE
