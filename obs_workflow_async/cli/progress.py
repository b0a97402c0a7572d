"""A progress display without dependencies: one line redrawn in place on a terminal
(fitted to its width), plain lines every few seconds otherwise (logs, CI).

On a terminal each redraw is ``\\r`` + the line + "clear to end of line"
(``ESC [ K``), and the line is cut to the terminal's width minus one column (read
at every redraw, so resizing is followed: see :meth:`ProgressPrinter.width`): it
never wraps, so it never leaves a stale row behind. Fields are dropped in order of
importance when the width is short: counts, rate, elapsed and ETA stay longest.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from typing import IO

from .. import BatchStats

__all__ = ["ProgressPrinter", "format_duration"]

_CLEAR_TO_EOL = "\x1b[K"


def format_duration(seconds: float) -> str:
    """``42s``, ``3m05s``, ``2h03m``."""
    seconds = max(int(seconds), 0)
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class ProgressPrinter:
    """Call :meth:`update` as often as you like; it redraws at most ``hz`` times a second
    on a terminal, every ``plain_every`` seconds otherwise.

    ``width`` fixes the terminal width (default: asked of the terminal at each redraw);
    ``clock`` is injectable for tests. ``done_before``: items of ``total`` a previous
    run already finished (a resume): the count shows them plus this run's, the rate
    and ETA this run's alone.
    """

    def __init__(
        self,
        stream: IO[str],
        total: int | None,
        *,
        hz: float = 8.0,
        plain_every: float = 2.0,
        width: int | None = None,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        done_before: int = 0,
    ) -> None:
        self._stream = stream
        self._before = max(done_before, 0)
        self._total = total
        self._tty = stream.isatty() if tty is None else tty
        self._interval = 1.0 / hz if self._tty else plain_every
        self._width = width
        self._clock = clock
        self._started = clock()
        self._last: float | None = None

    def width(self) -> int:
        """``width`` if given; else ``$COLUMNS``; else the width of the terminal the
        stream writes to; else :func:`shutil.get_terminal_size` (80 when unknown)."""
        if self._width is not None:
            return self._width
        if not os.environ.get("COLUMNS"):
            try:
                return os.get_terminal_size(self._stream.fileno()).columns or 80
            except (AttributeError, ValueError, OSError):  # not a file, or not a terminal
                pass
        return shutil.get_terminal_size((80, 24)).columns

    def _fields(self, stats: BatchStats, wide: bool = True) -> list[tuple[int, str]]:
        """(priority, text): lower numbers are kept longer."""
        elapsed = max(self._clock() - self._started, 0.0)
        done = stats.done
        rate = done / elapsed if elapsed > 0 else 0.0
        fields: list[tuple[int, str]] = []
        if self._total:
            share = min((self._before + done) / self._total, 1.0)
            fields.append((0, f"{self._before + done}/{self._total} {share:.0%}"))
        else:
            fields.append((0, f"{done} done"))
        fields.append((1, f"ok {stats.succeeded}"))
        failed = f"failed {stats.failed}"
        if stats.ambiguous:
            failed += f" (ambiguous {stats.ambiguous})" if wide else f" (amb {stats.ambiguous})"
        fields.append((1, failed))
        fields.append((2, f"{rate:.0f}/s"))
        fields.append((2, f"elapsed {format_duration(elapsed)}"))
        if self._total:
            left = max(self._total - self._before - done, 0)
            eta = format_duration(left / rate) if rate > 0 else "?"
            fields.append((2, f"ETA {eta}"))
        fields.append((5, f"in flight {stats.in_flight}"))
        fields.append((6, f"retried {stats.retried}"))
        fields.append((7, f"concurrency {stats.concurrency}"))
        if stats.rate_limit is not None:
            fields.append((8, f"limit {stats.rate_limit:.0f}/s"))
        return fields

    def line(self, stats: BatchStats, width: int | None = None) -> str:
        """The progress line; cut to fit ``width`` columns when given (a bar is added
        when there is room)."""
        fields = self._fields(stats, wide=width is None or width >= 100)
        if width is None:
            return "  ".join(text for _, text in fields)
        room = max(width - 1, 1)  # never the last column: some terminals wrap there
        kept = list(fields)
        while len(kept) > 1 and len("  ".join(t for _, t in kept)) > room:
            worst = max(range(len(kept)), key=lambda i: (kept[i][0], i))
            del kept[worst]
        text = "  ".join(t for _, t in kept)
        spare = room - len(text) - 3
        if self._total and spare >= 10:
            bar_width = min(spare, 30)
            filled = int(bar_width * min((self._before + stats.done) / self._total, 1.0))
            text = f"[{'#' * filled}{'.' * (bar_width - filled)}] {text}"
        return text[:room]

    def update(self, stats: BatchStats, *, force: bool = False) -> None:
        now = self._clock()
        if not force and self._last is not None and now - self._last < self._interval:
            return
        self._last = now
        if self._tty:
            self._stream.write("\r" + self.line(stats, self.width()) + _CLEAR_TO_EOL)
        else:
            self._stream.write(self.line(stats) + "\n")
        self._stream.flush()

    def finish(self, stats: BatchStats) -> None:
        self.update(stats, force=True)
        if self._tty:
            self._stream.write("\n")
            self._stream.flush()
