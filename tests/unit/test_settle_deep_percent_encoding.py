"""An object key percent-encoded many times over (found: nine times or more, the
bound of the loose forms' decoding, gave ``different``): ``same_object`` takes a key and its
spelling decoded once for the same object (the rule ``key_forms`` states), and
``match_object`` must agree (``equivalent``), or an execution naming the item's object
in that spelling is skipped and the item can be judged ``not_started``."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from obs_workflow_async._batch.settle_match import input_targets, match_object, same_object


def _encoded(key: str, times: int) -> str:
    for _ in range(times):
        key = quote(key, safe="")
    return key


@pytest.mark.parametrize("times", [0, 1, 7, 8, 11, 30])  # 8 on: encoded many times
def test_a_key_decoded_once_is_equivalent(times: int) -> None:
    spelt = _encoded("a b", times)
    item = ("b", quote(spelt, safe=""))
    target = input_targets({"bucket": "b", "object": spelt})
    assert target is not None
    assert same_object(item, (target.bucket, target.key))
    assert match_object(item, target) == "equivalent"


@pytest.mark.parametrize("times", [9, 12])
async def test_settle_proves_a_start_named_in_a_key_decoded_once(times: int) -> None:
    """Through :func:`judge` and the candidate index: the item's key encoded ``times``
    times, the execution's input naming it decoded once."""
    from datetime import datetime, timedelta, timezone

    from obs_workflow_async._batch.settle import (
        Candidate,
        ListingSweep,
        SettleItem,
        verdict_for,
    )

    spelt = _encoded("a b", times)
    at = datetime(2026, 12, 4, 13, 24, 23, tzinfo=timezone.utc)
    item = SettleItem("g", "b", quote(spelt, safe=""), at - timedelta(seconds=5), at)
    sweep = ListingSweep("g", at + timedelta(minutes=5), complete=True)
    sweep.candidates.append(Candidate("e1", at - timedelta(seconds=2), ("b", spelt)))
    sweep.candidates.append(Candidate("e2", at - timedelta(seconds=2), ("b", "other")))
    window = (item.since, at)
    result = verdict_for(item, window, sweep, default_until=at, settle_delay=30)
    assert (result.verdict, result.execution_names) == ("started", ("e1",))
