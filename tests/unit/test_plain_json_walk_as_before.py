"""The start body's plain-JSON walk (``_plain_json``), made cheaper per start (the top
level walked in ``plain_start_body``'s one call, keys and values in one loop, no set of
types per container), answers exactly as the walk it replaced: the same body bytes, or
``None`` (left to the full validation, which names the field and the rule) for the
same inputs, valid or not, of any shape.

``old_plain_start_body`` below is the replaced code, verbatim."""

from __future__ import annotations

import enum
import math
import sys
from collections import OrderedDict
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obs_workflow_async._plain_json import (
    _AS_SDK_ASCII,
    _QUOTE,
    _QUOTE_ASCII,
    _SCALARS,
    _STRICT,
    MAX_DEPTH,
    MAX_ITEMS,
    is_plain_json,
    plain_start_body,
)

# -- the replaced code (obs_workflow_async/_plain_json.py at 950caf7) -------------------

_STR = frozenset({str})


def old_is_plain_json(value: object) -> bool:
    return type(value) is dict and _old_plain_budget(value, 0, MAX_ITEMS) >= 0


def _old_plain_budget(item: dict[object, object] | list[object], depth: int, budget: int) -> int:
    budget -= len(item) + 1
    if budget < 0 or depth >= MAX_DEPTH:
        return -1
    if type(item) is dict:
        if not _STR.issuperset(map(type, item)):
            return -1
        children: Iterable[object] = item.values()
    else:
        children = item
    scalars = _SCALARS
    for child in children:
        kind = type(child)
        if kind in scalars:
            continue
        if kind is not dict and kind is not list:
            return -1
        budget = _old_plain_budget(child, depth + 1, budget)  # type: ignore[arg-type]
        if budget < 0:
            return -1
    return budget


def old_plain_start_body(
    bucket: str, object_key: str, inputs: object, *, ascii_only: bool = False
) -> bytes | None:
    quote = _QUOTE_ASCII if ascii_only else _QUOTE
    head = f'{{"bucket": {quote(bucket)}, "object": {quote(object_key)}'
    if inputs is None:
        return f"{head}}}".encode()
    if not old_is_plain_json(inputs) or "" in inputs:  # type: ignore[operator]
        return None
    try:
        text = _STRICT(inputs)
        if ascii_only and (not text.isascii() or "\x7f" in text):
            text.encode()
            text = _AS_SDK_ASCII(inputs)
        return f'{head}, "inputs": {text}}}'.encode()
    except ValueError:
        return None


# -- generated inputs, valid and not ----------------------------------------------------


class Level(enum.IntEnum):
    HIGH = 1


class Text(str):
    pass


class Number(int):
    pass


class Real(float):
    pass


class Mapping(dict):  # type: ignore[type-arg]
    pass


class Items(list):  # type: ignore[type-arg]
    pass


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**64).map(lambda n: n**3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.sampled_from(
        [
            math.nan,
            math.inf,
            -math.inf,
            -0.0,
            0,
            1,
            True,
            False,
            "\ud800",
            "a\x7f",
            "\u00e9",
            "",
            Level.HIGH,
            Text("t"),
            Number(2),
            Real(1.5),
            b"x",
            1 + 2j,
        ]
    ),
    st.builds(pow, st.just(10), st.sampled_from([4299, 4300, 5000])),  # str() refuses > 4300
)
keys = st.one_of(
    st.text(max_size=3),
    st.sampled_from(["", "a", "\ud800", 1, 1.5, True, None, (1,), Text("k"), Level.HIGH]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.lists(inner, max_size=3).map(Items),
        st.dictionaries(keys, inner, max_size=4),
        st.dictionaries(st.text(max_size=3), inner, max_size=3),
        st.dictionaries(st.text(max_size=3), inner, max_size=3).map(Mapping),
        st.dictionaries(st.text(max_size=3), inner, max_size=3).map(OrderedDict),
    ),
    max_leaves=16,
)
clean = st.recursive(  # plain JSON the fast path accepts (or refuses for a lone surrogate)
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=16,
)
inputs = st.one_of(
    st.none(),
    st.dictionaries(st.text(min_size=1, max_size=4), clean, max_size=5),
    st.dictionaries(st.text(min_size=1, max_size=4), clean, max_size=5),
    st.dictionaries(st.text(max_size=4), values, max_size=5),
    st.dictionaries(keys, values, max_size=4),
    st.dictionaries(st.text(max_size=3), values, max_size=3).map(Mapping),
    values,
)


def both(value: object) -> None:
    for ascii_only in (False, True):
        expected = old_plain_start_body("bucket-a", "k\u00e9y", value, ascii_only=ascii_only)
        got = plain_start_body("bucket-a", "k\u00e9y", value, ascii_only=ascii_only)
        assert got == expected
    assert is_plain_json(value) == old_is_plain_json(value)


@settings(max_examples=300, deadline=None)
@given(value=inputs)
def test_the_body_or_none_as_before(value: object) -> None:
    both(value)


def nested(depth: int, leaf: object = 1) -> dict[str, object]:
    value: object = leaf
    for level in range(depth):
        value = {"x": value} if level % 2 else [value]
    return {"top": value}


@pytest.mark.parametrize("depth", [MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1])
@pytest.mark.parametrize("leaf", [1, [], {}, (1,), math.nan, Text("t")])
def test_at_the_depth_limit_as_before(depth: int, leaf: object) -> None:
    both(nested(depth, leaf))


def test_past_the_recursion_limit_as_before() -> None:
    deep = nested(sys.getrecursionlimit() + 100)
    both(deep)
    assert plain_start_body("b", "k", deep) is None
    cycle: dict[str, object] = {}
    cycle["self"] = [cycle]
    both(cycle)
    assert plain_start_body("b", "k", cycle) is None


@pytest.mark.parametrize("delta", [-2, -1, 0, 1])
def test_at_the_size_limit_as_before(delta: int) -> None:
    # budget: len + 1 per container; the top dict and one list of n items use n + 3
    n = MAX_ITEMS - 3 + delta
    both({"x": list(range(n))})
    both({"x": [[] for _ in range(n // 2)]})
    both({str(i): i for i in range(MAX_ITEMS - 1 + delta)})
    both({"a": {str(i): None for i in range(n - 1)}, "b": 1})
