"""Date header text formatted once per second: a dialect signs many requests a second,
and every one of them within the same second carries the same text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

__all__ = ["PerSecond"]


class PerSecond:
    """``format(now)``, reused while ``now`` stays within the same second (and zone)."""

    __slots__ = ("_format", "_last")

    def __init__(self, format: Callable[[datetime], str]) -> None:  # noqa: A002
        self._format = format
        self._last: tuple[tuple[object, ...], str] = ((), "")

    def __call__(self, now: datetime) -> str:
        second = (now.second, now.minute, now.hour, now.day, now.month, now.year, now.tzinfo)
        last = self._last
        if last[0] == second:
            return last[1]
        text = self._format(now)
        self._last = (second, text)
        return text
