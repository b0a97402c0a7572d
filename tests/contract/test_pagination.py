"""Pagination limits, the same on both APIs: ``max_items`` (0, 1, a page edge, negative),
``page_size`` edges, over workflows, executions and templates; requests counted on
the fake."""

from __future__ import annotations

import pytest

from obs_workflow_async import errors

from .differences import FAILED, LARGEST_EXECUTIONS_PAGE, ApiProfile

WORKFLOWS = [f"wf-{n}" for n in range(5)]


@pytest.mark.parametrize(
    ("max_items", "page_size", "items", "requests"),
    [
        (0, None, 0, 0),  # nothing yielded, nothing sent
        (0, 2, 0, 0),
        (1, None, 1, 1),
        (1, 1, 1, 1),
        (2, 2, 2, 1),  # the limit on a page edge: no second page
        (3, 2, 3, 2),
        (5, None, 5, 1),
        (9, None, 5, 1),
        (None, None, 5, 1),
        (None, 1, 5, 5),
        (None, 2, 5, 3),
        (None, 4, 5, 2),
        (None, 5, 5, 1),  # exactly one full page: not truncated
        (None, 1000, 5, 1),
    ],
)
async def test_iter_workflows_limits(
    profile: ApiProfile, max_items: int | None, page_size: int | None, items: int, requests: int
) -> None:
    profile.seed_workflows(WORKFLOWS)
    async with profile.client() as client:
        got = [
            w.name async for w in client.iter_workflows(max_items=max_items, page_size=page_size)
        ]
    assert got == WORKFLOWS[:items]
    assert profile.server.calls["list_workflows"] == requests


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_items": -1},
        {"max_items": True},
        {"max_items": 1.5},
        {"page_size": 0},
        {"page_size": 1001},
        {"page_size": -3},
    ],
)
async def test_iter_workflows_refuses_bad_limits_before_sending(
    profile: ApiProfile, kwargs: dict[str, object]
) -> None:
    profile.seed_workflows(WORKFLOWS)
    async with profile.client() as client:
        with pytest.raises(errors.InvalidRequestError) as info:
            _ = [w async for w in client.iter_workflows(**kwargs)]  # type: ignore[arg-type]
    assert info.value.errors[0].field in kwargs or info.value.errors[0].field == "limit"
    assert profile.server.calls["list_workflows"] == 0


async def test_iter_workflows_prefix(profile: ApiProfile) -> None:
    profile.seed_workflows([*WORKFLOWS, "other"])
    async with profile.client() as client:
        got = [w.name async for w in client.iter_workflows("wf-", page_size=2)]
    assert got == WORKFLOWS


@pytest.mark.parametrize(
    ("max_items", "page_size", "items", "requests"),
    [(0, None, 0, 0), (1, None, 1, 1), (3, 2, 3, 2), (None, 2, 5, 3), (None, None, 5, 1)],
)
async def test_iter_executions_limits(
    profile: ApiProfile, max_items: int | None, page_size: int | None, items: int, requests: int
) -> None:
    seeded = profile.server.seed_executions("g", 5)
    async with profile.client() as client:
        got = [
            e.execution_name
            async for e in client.iter_executions("g", max_items=max_items, page_size=page_size)
        ]
    assert len(got) == len(set(got)) == items
    assert set(got) <= {e.execution_name for e in seeded}
    assert profile.server.calls["list_executions"] == requests


async def test_iter_executions_state_filter(profile: ApiProfile) -> None:
    profile.server.seed_executions("g", 3)
    failed = profile.server.seed_executions("g", 2, state="FAILED")
    async with profile.client() as client:
        got = [e async for e in client.iter_executions("g", state="FAILED", page_size=2)]
        with pytest.raises(errors.InvalidRequestError) as info:
            await client.list_executions("g", state="FAILD")
    assert {e.execution_name for e in got} == {e.execution_name for e in failed}
    assert {e.execution_state.value for e in got} == {FAILED[profile.api]}
    assert info.value.errors[0].field == "state"


async def test_iter_executions_largest_page(profile: ApiProfile) -> None:
    """Default page: the largest the listing takes (row: execution listing)."""
    profile.server.seed_executions("g", 1)
    largest = LARGEST_EXECUTIONS_PAGE[profile.api]
    async with profile.client() as client:
        assert len([e async for e in client.iter_executions("g")]) == 1
        assert len([e async for e in client.iter_executions("g", page_size=largest)]) == 1
        with pytest.raises(errors.InvalidRequestError):
            _ = [e async for e in client.iter_executions("g", page_size=largest + 1)]
    assert profile.server.calls["list_executions"] == 2


@pytest.mark.parametrize(
    ("max_items", "page_size", "items", "requests"),
    [(0, None, 0, 0), (1, None, 1, 1), (3, 2, 3, 2), (None, 2, 5, 3), (None, 5, 5, 1)],
)
async def test_iter_templates_limits(
    profile: ApiProfile, max_items: int | None, page_size: int | None, items: int, requests: int
) -> None:
    profile.seed_templates(5)
    async with profile.client() as client:
        got = [
            t
            async for t in profile.iter_templates(client, max_items=max_items, page_size=page_size)
        ]
    assert len(got) == items
    assert profile.template_list_calls() == requests


@pytest.mark.parametrize(
    ("max_items", "page_size", "limits"),
    [(1, None, [1]), (3, None, [3]), (None, None, [1000]), (3, 2, [2, 2]), (2000, None, [1000])],
)
async def test_page_size_sent(
    profile: ApiProfile, max_items: int | None, page_size: int | None, limits: list[int]
) -> None:
    """Default page: the largest the call takes, or ``max_items`` if fewer."""
    profile.seed_workflows(WORKFLOWS)
    async with profile.client() as client:
        _ = [w async for w in client.iter_workflows(max_items=max_items, page_size=page_size)]
    assert profile.limits_sent("list_workflows") == limits
