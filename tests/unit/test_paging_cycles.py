"""The public pagers end on a cycle instead of waiting for ever."""

from __future__ import annotations

import pytest

from obs_workflow_async._core.paging import follow_pages
from obs_workflow_async.errors import ResponseParseError


async def _drain(pages: dict[str | None, tuple[list[int], bool, str | None]]) -> list[int]:
    calls = [0]

    async def fetch(cursor: str | None) -> tuple[list[int], bool, str | None]:
        calls[0] += 1
        assert calls[0] < 50, "the pager did not stop"
        return pages[cursor]

    return [item async for item in follow_pages(fetch, None, "next_marker")]


async def test_a_marker_cycle_raises() -> None:
    pages = {None: ([1], True, "A"), "A": ([2], True, "B"), "B": ([3], True, "A")}
    with pytest.raises(ResponseParseError, match="next_marker"):
        await _drain(pages)


async def test_a_marker_the_service_ignores_raises() -> None:
    pages = {None: ([1, 2], True, "A"), "A": ([1, 2], True, "A")}
    with pytest.raises(ResponseParseError):
        await _drain(pages)


async def test_the_same_page_under_fresh_markers_raises() -> None:
    fresh = iter(f"m{n}" for n in range(100))

    async def fetch(cursor: str | None) -> tuple[list[int], bool, str | None]:
        return [1, 2], True, next(fresh)

    with pytest.raises(ResponseParseError, match="same page"):
        _ = [item async for item in follow_pages(fetch, None, "next_marker")]


async def test_empty_pages_with_new_markers_are_followed() -> None:
    pages = {None: ([], True, "A"), "A": ([], True, "B"), "B": ([7], False, None)}
    assert await _drain(pages) == [7]
