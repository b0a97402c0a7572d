"""Date header text formatted once per second: a dialect signs many requests a second,
and every one of them within the same second carries the same text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

__all__ = ["PerSecond"]

_SECOND = timedelta(seconds=1)
_UNSET = object()
"""No zone yet: no ``tzinfo`` (nor ``None``) is this object."""


class PerSecond:
    """``format(now)``, reused while ``now`` stays within the same second (same zone
    object and fold: a text is never reused across zones)."""

    __slots__ = ("_end", "_fold", "_format", "_start", "_text", "_zone")

    def __init__(self, format: Callable[[datetime], str]) -> None:  # noqa: A002
        self._format = format
        self._zone: object = _UNSET
        self._fold = 0
        self._start = self._end = datetime.min
        self._text = ""

    def text(self, now: datetime) -> str:
        """``format(now)``, or the text of the last call when ``now`` is in its second.

        Callers keep the bound method (``PerSecond(format).text``): calling it is
        cheaper than calling the instance (no ``__call__`` lookup)."""
        # Two comparisons of datetimes with the same zone object: plain field
        # comparisons in C (no utcoffset call), cheaper than a tuple of the fields.
        if now.tzinfo is self._zone and now.fold == self._fold and self._start <= now < self._end:
            return self._text
        text = self._format(now)
        start = now.replace(microsecond=0)
        try:
            end = start + _SECOND
        except OverflowError:  # the last second datetime holds: never reused
            end = start
        self._zone, self._fold, self._start, self._end = now.tzinfo, now.fold, start, end
        self._text = text
        return text

    __call__ = text
