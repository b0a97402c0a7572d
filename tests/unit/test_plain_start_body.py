"""The start body serialised once (``plain_start_body``) is byte for byte the body the
SDKs' serialisation writes (v2 and v3), and is refused (``None``: full validation)
exactly where the inputs break a rule."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obs_workflow_async._plain_json import plain_start_body
from obs_workflow_async.dwr.models import json_body as v3_body
from obs_workflow_async.models._base import json_body as v2_body
from obs_workflow_async.validation import check_inputs

BODIES = [(False, v2_body), (True, v3_body)]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=8,
)


@pytest.mark.parametrize(("ascii_only", "sdk_body"), BODIES)
@pytest.mark.parametrize(
    "inputs",
    [
        None,
        {},
        {"quality": "high", "width": 1920, "tags": ["a", "b"]},
        {"del": "a\x7fb", "ctl": "\n\t\x01", "quote": '"\\'},
        {"ключ": "значение", "emoji": "\U0001f600", "nested": {"x": [1.5, None, True]}},
    ],
)
def test_the_body_is_the_sdk_serialisation(
    ascii_only: bool, sdk_body: object, inputs: object
) -> None:
    payload: dict[str, object] = {"bucket": "bucket-a", "object": "objects/ключ\x7f.mp4"}
    if inputs is not None:
        payload["inputs"] = inputs
    got = plain_start_body("bucket-a", "objects/ключ\x7f.mp4", inputs, ascii_only=ascii_only)
    assert got == sdk_body(payload)  # type: ignore[operator]


@pytest.mark.parametrize("ascii_only", [False, True])
@pytest.mark.parametrize(
    "inputs",
    [
        {"": 1},
        {"x": math.nan},
        {"x": [math.inf]},
        {"x": "\ud800"},
        {"\udfff": 1},
        {"x": {"y": "ok\udc80"}},
        {"x": (1, 2)},
        {1: "x"},
        [1],
    ],
)
def test_inputs_breaking_a_rule_are_left_to_the_full_validation(
    ascii_only: bool, inputs: object
) -> None:
    assert plain_start_body("b", "k", inputs, ascii_only=ascii_only) is None


@settings(max_examples=300, deadline=None)
@given(inputs=st.dictionaries(st.text(max_size=4), json_values, max_size=4))
def test_accepted_exactly_where_the_rules_pass(inputs: dict[str, object]) -> None:
    for ascii_only, sdk_body in BODIES:
        got = plain_start_body("b", "k", inputs, ascii_only=ascii_only)
        if check_inputs(inputs) is None:
            assert got == sdk_body({"bucket": "b", "object": "k", "inputs": inputs})
        else:
            assert got is None
