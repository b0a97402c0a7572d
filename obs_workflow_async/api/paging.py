"""Following pages to the end: offset style (``next_start``) and marker style (``next_marker``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from ..errors import ErrorDetail, InvalidRequestError, ResponseParseError

__all__ = ["check_max_items", "follow_marker_pages", "follow_offset_pages"]

T = TypeVar("T")

OffsetPage = Callable[[int | None], Awaitable[tuple[list[T], bool, int | None]]]
MarkerPage = Callable[[str | None], Awaitable[tuple[list[T], bool, str | None]]]


def check_max_items(max_items: int | None) -> None:
    if max_items is not None and (isinstance(max_items, bool) or not isinstance(max_items, int)
                                  or max_items < 1):  # fmt: skip
        raise InvalidRequestError([ErrorDetail("max_items", "must be a positive integer")])


def _stuck(what: str) -> ResponseParseError:
    return ResponseParseError(
        f"the service said the list is truncated but gave no usable {what}",
        status=200,
        request_id=None,
        body="",
    )


async def follow_offset_pages(fetch: OffsetPage[T], max_items: int | None) -> AsyncIterator[T]:
    """Yield items page after page, passing each ``next_start`` back as ``start``."""
    check_max_items(max_items)
    start: int | None = None
    yielded = 0
    while True:
        items, truncated, next_start = await fetch(start)
        for item in items:
            yield item
            yielded += 1
            if max_items is not None and yielded >= max_items:
                return
        if not truncated:
            return
        if next_start is None or (start is not None and next_start <= start):
            raise _stuck("next_start")
        start = next_start


async def follow_marker_pages(
    fetch: MarkerPage[T], max_items: int | None, first_marker: str | None = None
) -> AsyncIterator[T]:
    """Yield items page after page, passing each ``next_marker`` back."""
    check_max_items(max_items)
    marker = first_marker
    seen: set[str] = set()
    yielded = 0
    while True:
        items, truncated, next_marker = await fetch(marker)
        for item in items:
            yield item
            yielded += 1
            if max_items is not None and yielded >= max_items:
                return
        if not truncated:
            return
        if not next_marker or next_marker in seen:
            raise _stuck("next_marker")
        seen.add(next_marker)
        marker = next_marker
