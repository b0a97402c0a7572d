"""The v2 start's fast path (plain arguments checked without the pydantic model) and
the full :class:`StartWorkflowRequest` accept and refuse the same arguments, with the
same errors, and build the same request (body bytes included)."""

from __future__ import annotations

import enum
import math
from collections import OrderedDict
from types import MappingProxyType

from hypothesis import given, settings
from hypothesis import strategies as st

from obs_workflow_async._pipeline import RequestSpec
from obs_workflow_async._plain_json import MAX_DEPTH, is_plain_json
from obs_workflow_async.errors import InvalidRequestError
from obs_workflow_async.models import StartWorkflowRequest, validate_request
from obs_workflow_async.v2.resources.executions import start_request_spec, start_spec


class Level(enum.IntEnum):
    HIGH = 1


class Text(str):
    pass


def outcome(build: object) -> object:
    """The request built, or the errors raised (``(field, rule)`` pairs)."""
    assert callable(build)
    try:
        return build()
    except InvalidRequestError as exc:
        return ("invalid", [(e.field, e.rule) for e in exc.errors])
    except (TypeError, ValueError) as exc:  # what the model's own path lets through
        return ("raised", type(exc).__name__)


def nested(depth: int) -> dict[str, object]:
    value: dict[str, object] = {"leaf": 1}
    for _ in range(depth):
        value = {"n": value}
    return value


names = st.one_of(
    st.sampled_from(["graph-1", "g", "bucket-a", "my.bucket", "Upper", "-bad", "a" * 64, "a" * 65]),
    st.text(max_size=8),
    st.sampled_from([None, 5, b"bytes", Text("graph-1")]),
)
keys = st.one_of(
    st.sampled_from(["objects/1.mp4", "", "a" * 1025, "k\ud800", "ключ"]),
    st.text(max_size=10),
    st.sampled_from([None, 7, Text("k")]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from(["\ud800", "\udfff x", Level.HIGH, Text("t"), b"x", 1 + 2j]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(
            st.one_of(st.text(max_size=4), st.sampled_from(["", 1, "\ud800"])), inner, max_size=3
        ),
    ),
    max_leaves=8,
)
inputs = st.one_of(
    st.none(),
    st.dictionaries(st.text(max_size=5), values, max_size=4),
    st.dictionaries(st.sampled_from(["", "a", 3, Text("t")]), values, max_size=2),
    st.dictionaries(st.text(max_size=3), values, max_size=2).map(OrderedDict),
    st.dictionaries(st.text(max_size=3), values, max_size=2).map(MappingProxyType),
    st.sampled_from([nested(MAX_DEPTH - 2), nested(MAX_DEPTH + 3), [("a", 1)], "text", 5]),
)


def full_v2(graph: object, bucket: object, key: object, given_inputs: object) -> RequestSpec:
    request = validate_request(
        StartWorkflowRequest, graph_name=graph, bucket=bucket, object_key=key, inputs=given_inputs
    )
    return start_request_spec(request)


@settings(max_examples=500, deadline=None)
@given(graph=names, bucket=names, key=keys, given_inputs=inputs)
def test_fast_path_and_model_agree(
    graph: object, bucket: object, key: object, given_inputs: object
) -> None:
    fast = outcome(lambda: start_spec(graph, bucket, key, given_inputs))
    full = outcome(lambda: full_v2(graph, bucket, key, given_inputs))
    assert fast == full


@settings(max_examples=200, deadline=None)
@given(given_inputs=st.dictionaries(st.text(min_size=1, max_size=5), values, max_size=4))
def test_valid_inputs_take_the_fast_path_with_the_same_body(given_inputs: object) -> None:
    fast = outcome(lambda: start_spec("graph-1", "bucket-a", "objects/1.mp4", given_inputs))
    full = outcome(lambda: full_v2("graph-1", "bucket-a", "objects/1.mp4", given_inputs))
    assert fast == full
    if isinstance(full, RequestSpec):
        assert fast.body == full.body  # type: ignore[union-attr]


def test_plain_json_is_exact_about_types_and_bounded() -> None:
    assert is_plain_json({"a": [1, 2.5, None, True, {"b": "c"}]})
    assert is_plain_json({})
    assert not is_plain_json(OrderedDict(a=1))
    assert not is_plain_json({"a": (1, 2)})
    assert not is_plain_json({"a": Level.HIGH})
    assert not is_plain_json({1: "a"})
    assert not is_plain_json({"a": Text("x")})
    assert is_plain_json({"a": math.nan})  # NaN is check_inputs' business
    assert is_plain_json(nested(MAX_DEPTH - 2))
    assert not is_plain_json(nested(MAX_DEPTH + 1))
    loop: dict[str, object] = {}
    loop["self"] = loop
    assert not is_plain_json(loop)  # a cycle ends at the depth bound
    wide: list[object] = []
    wide.extend([wide] * 50)
    assert not is_plain_json({"w": wide})  # and a wide one at the item budget
