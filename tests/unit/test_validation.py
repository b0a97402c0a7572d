"""Validation rules: explicit tables plus properties against reference definitions."""

from __future__ import annotations

import ipaddress
import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from obs_workflow_async import InvalidRequestError, StartWorkflowRequest, validation
from obs_workflow_async.models import validate_request


def reference_graph_name(value: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", value) is not None


def reference_bucket_name(value: str) -> bool:
    if re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", value) is None:
        return False
    if any(bad in value for bad in ("..", ".-", "-.")):
        return False
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return True
    return False


name_chars = st.text(alphabet=string.ascii_letters + string.digits + "_-.é /", max_size=70)
bucket_chars = st.text(
    alphabet=string.ascii_lowercase[:6] + string.digits[:4] + ".-A_", max_size=66
)


@given(name_chars)
def test_graph_name_rule_agrees_with_reference(value: str) -> None:
    assert (validation.check_graph_name(value) is None) == reference_graph_name(value)


@given(st.one_of(bucket_chars, st.text(max_size=70)))
def test_bucket_rule_agrees_with_reference(value: str) -> None:
    assert (validation.check_bucket_name(value) is None) == reference_bucket_name(value)


@given(st.text(max_size=1100))
def test_object_key_rule(value: str) -> None:
    assert (validation.check_object_key(value) is None) == (1 <= len(value) <= 1024)


@pytest.mark.parametrize(
    ("field", "kwargs", "rule"),
    [
        ("graph_name", {"graph_name": ""}, "must not be empty"),
        ("graph_name", {"graph_name": "-starts-with-dash"}, "must start with a letter or digit"),
        ("graph_name", {"graph_name": "_x"}, "must start with a letter or digit"),
        ("graph_name", {"graph_name": "has space"}, "may contain only letters"),
        ("graph_name", {"graph_name": "dot.ted"}, "may contain only letters"),
        ("graph_name", {"graph_name": "ünicode"}, "must start with a letter or digit"),
        ("graph_name", {"graph_name": "a" * 65}, "at most 64"),
        ("graph_name", {"graph_name": 42}, "must be a string"),
        ("bucket", {"bucket": "ab"}, "3 to 63"),
        ("bucket", {"bucket": "a" * 64}, "3 to 63"),
        ("bucket", {"bucket": "My-Bucket"}, "lower-case"),
        ("bucket", {"bucket": "-bucket"}, "start and end"),
        ("bucket", {"bucket": "bucket."}, "start and end"),
        ("bucket", {"bucket": "my..bucket"}, "'..'"),
        ("bucket", {"bucket": "my.-bucket"}, "'.-'"),
        ("bucket", {"bucket": "my-.bucket"}, "'-.'"),
        ("bucket", {"bucket": "192.168.1.1"}, "IP address"),
        ("bucket", {"bucket": "my_bucket"}, "lower-case"),
        ("object_key", {"object_key": ""}, "must not be empty"),
        ("object_key", {"object_key": "k" * 1025}, "at most 1024"),
        ("object_key", {"object_key": b"bytes"}, "must be a string"),
        ("inputs", {"inputs": {"x": float("nan")}}, "serialise to JSON"),
        ("inputs", {"inputs": {"x": float("inf")}}, "serialise to JSON"),
        ("inputs", {"inputs": {"": 1}}, "must not be empty"),
        ("inputs", {"inputs": "resolution=720p"}, "mapping"),
        ("inputs", {"inputs": {1: "a"}}, "string"),
    ],
)
def test_invalid_arguments_name_field_and_rule(
    field: str, kwargs: dict[str, object], rule: str
) -> None:
    values: dict[str, object] = {
        "graph_name": "graph-1",
        "bucket": "my-bucket",
        "object_key": "videos/a.mp4",
        "inputs": None,
    }
    values.update(kwargs)
    with pytest.raises(InvalidRequestError) as caught:
        validate_request(StartWorkflowRequest, **values)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.field.split(".")[0] == field
    assert rule in str(error)
    assert field in str(error)


def test_non_json_input_value_is_rejected_with_the_path() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        validate_request(
            StartWorkflowRequest,
            graph_name="g",
            bucket="bkt",
            object_key="k",
            inputs={"when": object()},
        )
    assert caught.value.field.startswith("inputs")


def test_valid_request_body_omits_null_inputs_and_keeps_unicode() -> None:
    request = validate_request(
        StartWorkflowRequest, graph_name="g", bucket="bkt", object_key="视频/ä.mp4", inputs=None
    )
    assert request.body() == '{"bucket": "bkt", "object": "视频/ä.mp4"}'.encode()
    with_inputs = validate_request(
        StartWorkflowRequest, graph_name="g", bucket="bkt", object_key="k", inputs={"r": "720p"}
    )
    assert with_inputs.body() == b'{"bucket": "bkt", "object": "k", "inputs": {"r": "720p"}}'


def test_header_value_rule_rejects_crlf() -> None:
    assert validation.check_header_value("ok") is None
    assert validation.check_header_value("a\r\nX-Injected: 1") is not None
