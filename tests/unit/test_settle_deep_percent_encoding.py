"""An object key percent-encoded many times over: ``same_object`` takes a key and its
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


@pytest.mark.parametrize("times", [0, 1, 7])
def test_a_key_decoded_once_is_equivalent(times: int) -> None:
    spelt = _encoded("a b", times)
    item = ("b", quote(spelt, safe=""))
    target = input_targets({"bucket": "b", "object": spelt})
    assert target is not None
    assert same_object(item, (target.bucket, target.key))
    assert match_object(item, target) == "equivalent"


@pytest.mark.xfail(
    strict=True,
    reason=(
        "settle_match._loose decodes at most 8 times (a bound against hostile text), so a "
        "key encoded 9 or more times and its spelling decoded once get different loose "
        "forms; match_object's loose-index shortcut (and the candidate index) then call "
        "the pair 'different' although key_forms/same_object call it the same object. "
        "Needs the shortcut skipped when a loose form did not converge (not fixed here)."
    ),
)
@pytest.mark.parametrize("times", [8, 11])
def test_a_key_encoded_many_times_decoded_once_is_equivalent(times: int) -> None:
    spelt = _encoded("a b", times)
    item = ("b", quote(spelt, safe=""))
    target = input_targets({"bucket": "b", "object": spelt})
    assert target is not None
    assert same_object(item, (target.bucket, target.key))
    assert match_object(item, target) == "equivalent"
