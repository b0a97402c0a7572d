"""Input that cannot be sent fails validation, naming the field and the rule (issue 10.2,
10.8): lone surrogates anywhere (what ``os.fsdecode`` gives for a non-UTF-8 file name),
NaN/Infinity, and names that would become dot-segments of the URL path.

Each case runs the public call against the project's fake server and asserts the
server saw nothing: before, such input raised a raw ``UnicodeEncodeError`` at send.
"""

from __future__ import annotations

import math
import os
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obs_workflow_async import AsyncWorkflowClient, InvalidRequestError, validation
from obs_workflow_async import _signing as signing
from obs_workflow_async.models import (
    CreateTemplateRequest,
    StartWorkflowRequest,
    validate_request,
)
from obs_workflow_async.testing import FakeWorkflowServer

BAD = os.fsdecode(b"caf\xe9.mp4")  # 'caf\udce9.mp4'
TEXT_RULE = "must be valid Unicode text (no lone surrogates)"
RULE = {"id": "r1", "graph_urn": "urn:g", "events": ["ObjectCreated:*"]}

Call = Callable[[AsyncWorkflowClient], Awaitable[Any]]
CASES: list[tuple[str, str, Call]] = [
    ("object_key", TEXT_RULE, lambda c: c.start_workflow("g", "bkt", BAD)),
    ("graph_name", TEXT_RULE, lambda c: c.start_workflow("g" + BAD, "bkt", "k")),
    ("bucket", TEXT_RULE, lambda c: c.start_workflow("g", "bkt" + BAD, "k")),
    ("inputs", TEXT_RULE, lambda c: c.start_workflow("g", "bkt", "k", {"p": BAD})),
    ("inputs", TEXT_RULE, lambda c: c.start_workflow("g", "bkt", "k", {"p": {"q": [1, BAD]}})),
    ("inputs", TEXT_RULE, lambda c: c.start_workflow("g", "bkt", "k", {BAD: 1})),
    ("inputs", TEXT_RULE, lambda c: c.start_workflow("g", "bkt", "k", {"p": {BAD: 1}})),
    ("inputs", "finite number", lambda c: c.start_workflow("g", "bkt", "k", {"p": math.nan})),
    ("inputs", "finite number", lambda c: c.start_workflow("g", "bkt", "k", {"p": [math.inf]})),
    ("execution_name", TEXT_RULE, lambda c: c.get_execution("g", BAD)),
    ("execution_name", "dot-segment", lambda c: c.get_execution("g", ".")),
    ("execution_name", "dot-segment", lambda c: c.get_execution("g", "..")),
    ("execution_name", "dot-segment", lambda c: c.restore_execution("g", "..")),
    ("graph_name", TEXT_RULE, lambda c: c.get_execution(BAD, "e")),
    ("graph_name", "", lambda c: c.get_workflow("..")),
    ("graph_name", "", lambda c: c.delete_workflow(".")),
    ("template_name", "", lambda c: c.get_workflow_template("..")),
    ("template_name", TEXT_RULE, lambda c: c.delete_workflow_template(BAD)),
    ("next_marker", TEXT_RULE, lambda c: c.list_executions("g", next_marker=BAD)),
    ("prefix", TEXT_RULE, lambda c: c.list_workflows(BAD)),
    ("description", TEXT_RULE, lambda c: c.create_workflow_template("t", description=BAD)),
    (
        "states.0.state_name",
        TEXT_RULE,
        lambda c: c.create_workflow_template("t", states=[{"type": "END", "state_name": BAD}]),
    ),  # type: ignore[list-item]
    (
        "states.0.note.0",
        TEXT_RULE,
        lambda c: c.create_workflow_template(
            "t", states=[{"type": "END", "state_name": "s", "note": [BAD]}]
        ),
    ),  # type: ignore[list-item]
    (
        "inputs.0.default",
        "finite number",
        lambda c: c.create_workflow_template(
            "t", inputs=[{"parameter_name": "p", "default": -math.inf}]
        ),
    ),  # type: ignore[list-item]
    (
        "tags.0.value",
        TEXT_RULE,
        lambda c: c.create_workflow_template("t", tags=[{"key": "k", "value": BAD}]),
    ),  # type: ignore[list-item]
    ("agency", TEXT_RULE, lambda c: c.create_workflow("g", "t", BAD)),
    ("parameters.p", TEXT_RULE, lambda c: c.update_workflow("g", parameters={"p": BAD})),
    (
        "parameters.p.0",
        "finite number",
        lambda c: c.update_workflow("g", parameters={"p": [math.nan]}),
    ),
    ("rules.0.prefix", TEXT_RULE, lambda c: c.put_trigger_policy("bkt", [{**RULE, "prefix": BAD}])),  # type: ignore[list-item]
    (
        "rules.0.graph_urn",
        TEXT_RULE,
        lambda c: c.put_trigger_policy("bkt", [{**RULE, "graph_urn": BAD}]),
    ),  # type: ignore[list-item]
    ("rules.0.id", TEXT_RULE, lambda c: c.put_trigger_policy("bkt", [{**RULE, "id": BAD}])),  # type: ignore[list-item]
    ("bucket", TEXT_RULE, lambda c: c.get_trigger_policy(BAD)),
]


@pytest.mark.parametrize(("field", "rule", "call"), CASES)
async def test_unsendable_input_is_refused_before_sending(
    field: str, rule: str, call: Call
) -> None:
    async with FakeWorkflowServer() as server:
        async with AsyncWorkflowClient(**server.client_kwargs()) as client:
            with pytest.raises(InvalidRequestError) as caught:
                await call(client)
        assert server.requests == []
    error = caught.value
    assert error.field == field
    assert rule in str(error)
    str(error).encode("utf-8")  # the message itself can always be written


async def test_surrogate_items_in_a_batch_are_invalid_items_and_the_batch_goes_on() -> None:
    keys = ["a.mp4", BAD, "b.mp4"]
    items = [{"graph_name": "g", "bucket": "bkt", "object_key": k} for k in keys]
    async with FakeWorkflowServer() as server:
        async with (
            AsyncWorkflowClient(**server.client_kwargs()) as client,
            client.start_many(items) as run,
        ):
            outcomes = [o async for o in run]
        started = sorted(e.object_key for e in server.executions)
    assert len(outcomes) == 3
    failed = [o for o in outcomes if o.error is not None]
    assert len(failed) == 1 and isinstance(failed[0].error, InvalidRequestError)
    assert started == ["a.mp4", "b.mp4"]


def test_path_names_cannot_be_dot_segments_however_encoded() -> None:
    # Names are percent-encoded with quote(safe='/~'): '.' is unreserved and goes out
    # as is, while '%2e' goes out as '%252e' (not a dot-segment). So only '.' and '..'
    # themselves could be dot-segments, and every path name refuses them.
    assert signing.encode_object_key("..") == ".."
    assert signing.encode_object_key("%2e%2E") == "%252e%252E"
    for check in (validation.check_execution_name, validation.check_graph_name):
        assert check(".") is not None and check("..") is not None
        assert check("...") is None or check is validation.check_graph_name
    assert validation.check_bucket_name("..") is not None
    assert validation.check_execution_name("a..b") is None
    assert validation.check_execution_name("%2e%2e") is None


def test_object_keys_are_sent_in_the_body_so_dots_are_fine() -> None:
    request = validate_request(StartWorkflowRequest, graph_name="g", bucket="bkt", object_key="..")
    assert b'"object": ".."' in request.body()


def test_deeply_nested_inputs_fail_as_invalid_request_not_recursion_error() -> None:
    deep: Any = "x"
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(InvalidRequestError):
        validate_request(
            StartWorkflowRequest, graph_name="g", bucket="bkt", object_key="k", inputs={"p": deep}
        )


def test_direct_model_construction_names_the_nested_field() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as caught:
        CreateTemplateRequest(template_name="t", tags=[{"key": BAD}])  # type: ignore[list-item]
    error = caught.value.errors()[0]
    assert error["msg"] == TEXT_RULE and error["ctx"] == {"field": "tags.0.key"}


surrogates = st.integers(0xD800, 0xDFFF).map(chr)
text_with_surrogate = st.tuples(st.text(max_size=10), surrogates, st.text(max_size=10)).map("".join)
json_leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)


def _plant(value: Any, bad: Any, depth: int) -> Any:
    for index in range(depth):
        value = {f"k{index}": value} if index % 2 else [value, bad if index == 0 else 1]
    return value


@settings(max_examples=200, deadline=None)
@given(
    bad=text_with_surrogate | st.sampled_from([math.nan, math.inf, -math.inf]),
    depth=st.integers(0, 6),
    as_key=st.booleans(),
)
def test_any_unsendable_value_anywhere_in_inputs_is_invalid(
    bad: Any, depth: int, as_key: bool
) -> None:
    value = {bad: 1} if as_key and isinstance(bad, str) else bad
    inputs = {"p": _plant(value, "ok", depth)}
    with pytest.raises(InvalidRequestError) as caught:
        validate_request(
            StartWorkflowRequest, graph_name="g", bucket="bkt", object_key="k", inputs=inputs
        )
    assert caught.value.field == "inputs"
    str(caught.value).encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(inputs=st.dictionaries(st.text(min_size=1, max_size=8), json_leaves, max_size=6))
def test_validation_accepts_exactly_what_encodes(inputs: dict[str, Any]) -> None:
    encodable = not any(isinstance(v, float) and not math.isfinite(v) for v in inputs.values())
    try:
        request = validate_request(
            StartWorkflowRequest, graph_name="g", bucket="bkt", object_key="k", inputs=inputs
        )
    except InvalidRequestError:
        assert not encodable
    else:
        assert encodable
        request.body()  # encodes


@given(st.text(max_size=40) | text_with_surrogate)
def test_check_text_matches_utf8_encodability(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        assert validation.check_text(value) == TEXT_RULE
    else:
        assert validation.check_text(value) is None
