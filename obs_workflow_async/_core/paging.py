"""Following pages to the end: offset style (``next_start``) and marker style (``next_marker``)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TypeVar

from ..errors import ErrorDetail, InvalidRequestError, ResponseParseError

__all__ = ["MAX_PAGE_SIZE", "check_max_items", "follow_pages", "page_size_or_max"]

T = TypeVar("T")
C = TypeVar("C", int, str)

MAX_PAGE_SIZE = 1000
"""The largest page every list call accepts (``x-workflow-limit``, 1-1000)."""


def page_size_or_max(
    page_size: int | None, max_items: int | None = None, largest: int = MAX_PAGE_SIZE
) -> int:
    """The page size of an ``iter_*`` call: the caller's, else the ``largest`` the call
    accepts (one request per 1,000 items instead of the service's default of 10), or
    ``max_items`` if fewer."""
    if page_size is not None:
        return page_size
    if isinstance(max_items, int) and not isinstance(max_items, bool) and max_items > 0:
        return min(max_items, largest)
    return largest


def check_max_items(max_items: int | None) -> None:
    """``max_items`` of an ``iter_*`` call: ``None`` (all) or an integer >= 0; ``0``
    yields nothing and sends nothing (``itertools.islice(..., 0)``), in both APIs."""
    if max_items is not None and (
        isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 0
    ):
        raise InvalidRequestError([ErrorDetail("max_items", "must be an integer >= 0 (None: all)")])


def _stuck(what: str, why: str = "gave no usable") -> ResponseParseError:
    return ResponseParseError(
        f"the service said the list is truncated but {why} {what}",
        status=200,
        request_id=None,
        body="",
    )


async def follow_pages(
    fetch: Callable[[C | None], Awaitable[tuple[list[T], bool, C | None]]],
    max_items: int | None,
    cursor_name: str,
    identity: Callable[[T], object] | None = None,
) -> AsyncGenerator[T, None]:
    """Yield items page after page, passing each page's cursor (``next_start`` or
    ``next_marker``) back, until a page is not truncated or ``max_items`` were yielded.

    A truncated page without a cursor, with one already used (a cycle, or a
    service that ignores the cursor), or holding the very items of the page before
    it means the service would send us round in circles: that raises
    :class:`~obs_workflow_async.errors.ResponseParseError` instead of looping
    (``identity``: what of an item tells two pages apart; default: the item itself).
    """
    check_max_items(max_items)
    if max_items == 0:
        return
    cursor: C | None = None
    used: set[C] = set()
    yielded = 0
    previous: list[object] = []
    while True:
        items, truncated, next_cursor = await fetch(cursor)
        seen: list[object] = list(items) if identity is None else [identity(item) for item in items]
        if seen and seen == previous:
            raise _stuck(cursor_name, "sent the same page again for its")
        previous = seen
        for item in items:
            yield item
            yielded += 1
            if max_items is not None and yielded >= max_items:
                return
        if not truncated:
            return
        if next_cursor is None or next_cursor == "" or next_cursor in used:
            raise _stuck(cursor_name)
        used.add(next_cursor)
        cursor = next_cursor
