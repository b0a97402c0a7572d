"""A progress display without dependencies: one redrawn line on a terminal, plain
lines every few seconds otherwise (logs, CI)."""

from __future__ import annotations

import time
from typing import IO

from .models import BatchStats

__all__ = ["ProgressPrinter"]


class ProgressPrinter:
    """Call :meth:`update` as often as you like; it redraws at most ``hz`` times a second."""

    def __init__(self, stream: IO[str], total: int | None, *, hz: float = 8.0,
                 plain_every: float = 2.0) -> None:  # fmt: skip
        self._stream = stream
        self._total = total
        self._tty = stream.isatty()
        self._interval = 1.0 / hz if self._tty else plain_every
        self._last = 0.0

    def _line(self, stats: BatchStats) -> str:
        done = stats.done
        if self._total:
            width = 24
            filled = int(width * min(done / self._total, 1.0))
            head = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{self._total}"
        else:
            head = f"{done} done"
        rate = f"{stats.rate_limit:.0f}/s" if stats.rate_limit is not None else "-"
        return (
            f"{head}  started {stats.succeeded}  failed {stats.failed}"
            f" (ambiguous {stats.ambiguous})  retried {stats.retried}"
            f"  {stats.rate:.0f}/s  in flight {stats.in_flight}"
            f"  concurrency {stats.concurrency}  rate limit {rate}"
        )

    def update(self, stats: BatchStats, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self._interval:
            return
        self._last = now
        if self._tty:
            self._stream.write("\r\x1b[2K" + self._line(stats))
        else:
            self._stream.write(self._line(stats) + "\n")
        self._stream.flush()

    def finish(self, stats: BatchStats) -> None:
        self.update(stats, force=True)
        if self._tty:
            self._stream.write("\n")
            self._stream.flush()
