"""Settling (v2 and v3 alike) against hostile listers: paging spelt or followed in every odd way,
other graphs and trigger executions listed, types, times and object spellings
changed. Each scenario starts half its objects for real, settles all of them,
resends the ``not_started`` ones, and counts on the fake's side: no object the fake
started is ever judged ``not_started``, none is started twice, none judged
``started`` that the fake never started (see ``tests/support/hostile_listers.py``)."""

from __future__ import annotations

import pytest

from obs_workflow_async import AsyncWorkflowClient
from obs_workflow_async._core import sweep as settle_api
from obs_workflow_async.dwr import AsyncDwrClient
from obs_workflow_async.errors import ResponseParseError
from tests.support.hostile_listers import (
    DETAIL_SHAPES,
    LISTING_SHAPES,
    SPELLINGS,
    Api,
    HostileV2,
    HostileV3,
    Tally,
    run_scenario,
)

PROVABLE_PAGING = (
    "plain",
    "cursor_without_flag",
    "camel",
    "camel_cursor_only",
    "flag_false_with_cursor",
)
PROVABLE_LISTINGS = ("other_graphs", "triggercal", "type_apicall", "type_API", "type_ApiCall")
EQUIVALENT_SPELLINGS = ("url_encoded", "event_encoded", "nfd", "leading_slash", "obs_url")


@pytest.fixture(params=["v2", "v3"])
def api(request: pytest.FixtureRequest) -> Api:
    name: Api = request.param
    return name


def _hostile(api: Api, shape: str) -> HostileV2 | HostileV3:
    return HostileV2(shape) if api == "v2" else HostileV3(shape)


def _client(server: HostileV2 | HostileV3) -> AsyncWorkflowClient | AsyncDwrClient:
    if isinstance(server, HostileV3):
        return AsyncDwrClient(**server.dwr_client_kwargs(), max_retries=0)
    return AsyncWorkflowClient(**server.client_kwargs(), max_retries=0)


def _safe(tally: Tally) -> None:
    assert tally.finished
    assert tally.wrong_not_started == 0
    assert tally.wrong_started == 0
    assert tally.started_twice == 0


@pytest.mark.parametrize("shape", PROVABLE_PAGING)
async def test_a_cursor_is_followed_whatever_the_flag_says(api: Api, shape: str) -> None:
    tally = await run_scenario(api, shape)
    _safe(tally)
    assert tally.complete
    assert tally.verdicts == {"started": 10, "not_started": 10}
    assert tally.list_requests == 5  # 22 executions, 5 a page (v3: one window): read to the end


@pytest.mark.parametrize("shape", ["cycle", "ignore_cursor", "ignore_cursor_fresh"])
async def test_a_listing_that_goes_round_ends_incomplete(api: Api, shape: str) -> None:
    tally = await run_scenario(api, shape)
    _safe(tally)
    assert not tally.complete
    assert tally.verdicts["not_started"] == 0
    assert tally.verdicts["unknown"] >= 10
    assert tally.list_requests <= 3  # stops at the first repeat, not at a cap


async def test_a_v3_next_offset_that_skips_ahead_is_not_followed_past_the_page() -> None:
    """A ``next_offset`` beyond the page's end would leave executions unread (a started
    one among them judged not started): the sweep reads on from the page's end."""
    tally = await run_scenario("v3", "skip_ahead")
    _safe(tally)
    assert tally.complete
    assert tally.verdicts == {"started": 10, "not_started": 10}


async def test_max_pages_cuts_an_endless_listing(api: Api) -> None:
    tally = await run_scenario(api, "endless", max_pages=7)
    _safe(tally)
    assert not tally.complete and tally.list_requests == 7
    assert tally.verdicts["not_started"] == 0


async def test_an_endless_listing_stops_at_the_default_page_cap(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settle_api.DEFAULT_MAX_PAGES == 10_000
    monkeypatch.setattr(settle_api, "DEFAULT_MAX_PAGES", 25)  # the real one, made small
    tally = await run_scenario(api, "endless")
    _safe(tally)
    assert not tally.complete and tally.list_requests == 25
    assert tally.verdicts["not_started"] == 0


async def test_a_whole_settle_is_bounded_by_the_callers_timeout(api: Api) -> None:
    """Against a listing that never ends, a settle wrapped in the caller's timeout
    stops at it (cancelled cleanly: no unclosed connection, no verdict), long before
    the page cap (docs/settling.md: bounding a whole pass)."""
    tally = await run_scenario(api, "endless", timeout=0.5)
    assert not tally.finished
    assert 0 < tally.list_requests < 10_000


@pytest.mark.parametrize("shape", PROVABLE_LISTINGS)
async def test_other_graphs_triggers_and_type_spellings(api: Api, shape: str) -> None:
    tally = await run_scenario(api, shape)
    _safe(tally)
    assert tally.verdicts == {"started": 10, "not_started": 10}


@pytest.mark.parametrize("shape", ["type_unknown", "zoneless_utc8", "no_time", "graph_case"])
async def test_an_unknown_type_or_a_zoneless_time_gives_unknown(api: Api, shape: str) -> None:
    tally = await run_scenario(api, shape)
    _safe(tally)
    # the started ones cannot be proven (nor ruled out); the others name no execution
    assert tally.verdicts == {"unknown": 10, "not_started": 10}


async def test_epoch_seconds_are_read_as_seconds(api: Api) -> None:
    tally = await run_scenario(api, "epoch_seconds")
    _safe(tally)
    assert tally.verdicts == {"started": 10, "not_started": 10}


@pytest.mark.parametrize("spelling", EQUIVALENT_SPELLINGS)
async def test_equivalent_spellings_of_the_object_match(api: Api, spelling: str) -> None:
    tally = await run_scenario(api, "plain", spelling)
    _safe(tally)
    assert tally.verdicts == {"started": 10, "not_started": 10}


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("capitalised_fields", {"unknown": 20}),  # no readable object: every window open
        ("upper_case_key", {"unknown": 10, "not_started": 10}),
        ("key_elsewhere", {"unknown": 10, "not_started": 10}),
    ],
)
async def test_similar_or_unread_spellings_give_unknown(
    api: Api, spelling: str, expected: dict[str, int]
) -> None:
    tally = await run_scenario(api, "plain", spelling)
    _safe(tally)
    assert tally.verdicts == expected


DETAIL_CASES = [
    ("detail_extra_fields", {"started": 10, "not_started": 10}),  # read quickly
    ("detail_text_info", {"started": 10, "not_started": 10}),  # unwrapped as the model does
    ("detail_null_time", {"started": 10, "not_started": 10}),  # the listing's time
    # every detail unreadable (the model refuses it): every window open
    ("detail_wrong_types", {"unknown": 20}),
    ("detail_deep", {"unknown": 20}),
    ("detail_null_input", {"unknown": 20}),  # no object named: every window open
]


@pytest.mark.parametrize(("shape", "expected"), DETAIL_CASES)
async def test_odd_details_are_read_as_the_model_reads_them(
    api: Api, shape: str, expected: dict[str, int]
) -> None:
    tally = await run_scenario(api, shape)
    _safe(tally)
    assert tally.verdicts == expected


def test_every_detail_shape_is_covered() -> None:
    assert {shape for shape, _ in DETAIL_CASES} == set(DETAIL_SHAPES)


def test_every_spelling_is_covered() -> None:
    covered = {"plain", *EQUIVALENT_SPELLINGS, "capitalised_fields", "upper_case_key"}
    assert covered | {"key_elsewhere"} == set(SPELLINGS)
    assert set(LISTING_SHAPES) == {
        *PROVABLE_LISTINGS,
        "type_unknown",
        "zoneless_utc8",
        "epoch_seconds",
        "no_time",
        "graph_case",
    }


@pytest.mark.parametrize("shape", PROVABLE_PAGING)
async def test_iter_executions_reads_every_page_whatever_the_flag(api: Api, shape: str) -> None:
    async with _hostile(api, shape) as server:
        server.store.seed_executions("g", 12)
        async with _client(server) as client:
            names = [e.execution_name async for e in client.iter_executions("g")]
    assert sorted(names) == sorted(e.execution_name for e in server.store.executions)
    if api == "v2":  # 12 executions, 5 a page (v3 walks time windows: its count varies)
        assert server.list_calls == 3


@pytest.mark.parametrize("shape", ["cycle", "ignore_cursor", "ignore_cursor_fresh"])
async def test_iter_executions_raises_on_a_listing_that_goes_round(api: Api, shape: str) -> None:
    async with _hostile(api, shape) as server:
        server.store.seed_executions("g", 22)
        async with _client(server) as client:
            with pytest.raises(ResponseParseError):
                _ = [e async for e in client.iter_executions("g")]
    assert server.list_calls <= 3
