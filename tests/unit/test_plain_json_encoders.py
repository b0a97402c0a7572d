"""The start bodies' encoders (``_plain_json``): the C encoders built once write what
``json.JSONEncoder`` writes, a Python without the accelerator (or with one that writes
anything else) falls back to ``json.JSONEncoder``, the faster ``is_plain_json`` gives the
same answer as the plain reading of its rules, and the body of any bucket and key text
is the SDKs' serialisation."""

from __future__ import annotations

import json
from collections import OrderedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obs_workflow_async import _plain_json
from obs_workflow_async._plain_json import (
    MAX_DEPTH,
    MAX_ITEMS,
    _c_encoder,
    _string_encoder,
    is_plain_json,
    plain_start_body,
)
from obs_workflow_async.dwr.models import json_body as v3_body
from obs_workflow_async.models._base import json_body as v2_body

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(value=json_values)
def test_the_c_encoders_write_what_json_writes(value: object) -> None:
    for ascii_only in (False, True):
        for allow_nan in (False, True):
            encode = _c_encoder(ascii_only=ascii_only, allow_nan=allow_nan)
            assert encode is not None  # this CPython has the accelerator
            reference = json.JSONEncoder(ensure_ascii=ascii_only, allow_nan=allow_nan)
            try:
                expected: object = reference.encode(value)
            except ValueError as exc:
                expected = type(exc)
            try:
                got: object = encode(value)
            except ValueError as exc:
                got = type(exc)
            assert got == expected


@settings(max_examples=300, deadline=None)
@given(text=st.text())
def test_a_name_is_quoted_as_json_quotes_it(text: str) -> None:
    for ascii_only in (False, True):
        quote = _string_encoder(ascii_only=ascii_only)
        assert quote(text) == json.JSONEncoder(ensure_ascii=ascii_only).encode(text)


def test_without_the_accelerator_json_encoder_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json.encoder, "c_make_encoder", None)
    assert _c_encoder(ascii_only=False, allow_nan=True) is None
    monkeypatch.setattr(json.encoder, "c_encode_basestring", None)
    quote = _string_encoder(ascii_only=False)
    assert quote("é\n") == '"é\\n"'


def test_an_accelerator_writing_anything_else_is_not_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = json.encoder.c_make_encoder
    assert real is not None

    def other(*args: object) -> object:
        chunks = real(*args[:4], ":", ",", *args[6:])  # no spaces: not the SDKs' text
        return chunks

    monkeypatch.setattr(json.encoder, "c_make_encoder", other)
    assert _c_encoder(ascii_only=False, allow_nan=True) is None

    def ignores_allow_nan(*args: object) -> object:
        return real(*args[:8], True)

    monkeypatch.setattr(json.encoder, "c_make_encoder", ignores_allow_nan)
    assert _c_encoder(ascii_only=False, allow_nan=False) is None

    def wrong_signature(*args: object) -> object:
        raise TypeError("takes 10 arguments")

    monkeypatch.setattr(json.encoder, "c_make_encoder", wrong_signature)
    assert _c_encoder(ascii_only=True, allow_nan=True) is None
    monkeypatch.setattr(json.encoder, "c_encode_basestring_ascii", lambda text: f"'{text}'")
    assert _string_encoder(ascii_only=True)("x\u00e9") == '"x\\u00e9"'


def plain_reference(value: object) -> bool:
    """``is_plain_json`` as it read its rules before it was made faster."""
    if type(value) is not dict:
        return False
    budget = MAX_ITEMS
    stack: list[tuple[object, int]] = [(value, 0)]
    scalars = {str, int, float, bool, type(None)}
    while stack:
        item, depth = stack.pop()
        if depth >= MAX_DEPTH:
            return False
        if type(item) is dict:
            if any(type(key) is not str for key in item):
                return False
            children: list[object] = list(item.values())
        elif type(item) is list:
            children = item
        else:
            return False
        budget -= len(item) + 1
        if budget < 0:
            return False
        stack.extend((child, depth + 1) for child in children if type(child) not in scalars)
    return True


class Text(str):
    pass


odd_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=3)
    | st.builds(Text, st.text(max_size=2))
    | st.just(b"x"),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=2).map(tuple)
        | st.dictionaries(st.text(max_size=2) | st.integers() | st.just(Text("k")), inner)
        | st.dictionaries(st.text(max_size=2), inner).map(OrderedDict)
    ),
    max_leaves=10,
)


@settings(max_examples=500, deadline=None)
@given(value=odd_values)
def test_is_plain_json_reads_its_rules_as_before(value: object) -> None:
    assert is_plain_json(value) == plain_reference(value)


def nested(depth: int) -> dict[str, object]:
    value: dict[str, object] = {}
    for _ in range(depth):
        value = {"x": [value]}
    return value


@pytest.mark.parametrize("depth", [MAX_DEPTH // 2 - 1, MAX_DEPTH // 2, MAX_DEPTH // 2 + 1])
def test_depth_and_size_limits_as_before(depth: int) -> None:
    assert is_plain_json(nested(depth)) == plain_reference(nested(depth))
    wide = {"x": list(range(MAX_ITEMS - 3))}
    assert is_plain_json(wide) == plain_reference(wide) is True
    wider = {"x": list(range(MAX_ITEMS))}
    assert is_plain_json(wider) == plain_reference(wider) is False
    cycle: dict[str, object] = {}
    cycle["self"] = cycle
    assert is_plain_json(cycle) is False  # a cycle is too deep: never encoded unchecked


names = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(bucket=names, key=names, inputs=st.none() | st.dictionaries(names, json_values))
def test_the_body_of_any_names_is_the_sdk_serialisation(
    bucket: str, key: str, inputs: dict[str, object] | None
) -> None:
    payload: dict[str, object] = {"bucket": bucket, "object": key}
    if inputs is not None:
        payload["inputs"] = inputs
    for ascii_only, sdk_body in ((False, v2_body), (True, v3_body)):
        got = plain_start_body(bucket, key, inputs, ascii_only=ascii_only)
        if inputs is None:
            assert got is not None  # names alone: always the fast body
        if got is not None:
            assert got == sdk_body(payload)  # type: ignore[operator]


def test_the_module_uses_the_c_encoders_here() -> None:
    # this CPython has the accelerator: the module-level encoders are the C ones
    assert _plain_json._STRICT.__name__ == "encode"
    assert _plain_json._QUOTE is json.encoder.c_encode_basestring
