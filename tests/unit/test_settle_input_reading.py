"""Property: the input reading's type checks without the ABC machinery
(``_is_mapping``/``_is_list``) find the same object and the same mentions as the
``isinstance(..., Mapping/Sequence)`` reading they replaced (kept here verbatim as the
reference), for any JSON value, JSON text, or other mapping and sequence types."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Literal

from hypothesis import given, settings
from hypothesis import strategies as st

from obs_workflow_async._batch import settle_match
from obs_workflow_async._batch.settle_match import (
    _MAX_DEPTH,
    _MAX_MENTIONS,
    _MENTION_DEPTH,
    _NESTED_KEYS,
    _OBS_SCHEME,
    InputTarget,
    _decode,
    input_targets,
)

_BUCKET_KEYS = settle_match._BUCKET_KEYS
_OBJECT_KEYS = settle_match._OBJECT_KEYS

# -- the reference: the reading before, verbatim ------------------------------------------


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _from_url(text: str) -> tuple[str, str] | None:
    """``obs://bucket/key`` as ``(bucket, key)``."""
    if text[: len(_OBS_SCHEME)].lower() != _OBS_SCHEME:
        return None
    bucket, _, key = text[len(_OBS_SCHEME) :].partition("/")
    return (bucket, key) if bucket and key else None


def _pair_in(value: Mapping[object, object]) -> tuple[str, str, bool] | Literal[False] | None:
    """The pair ``value`` names at its own level (``False``: two that disagree)."""
    bucket_raw = next((value[k] for k in _BUCKET_KEYS if value.get(k) is not None), None)
    object_raw = next((value[k] for k in _OBJECT_KEYS if value.get(k) is not None), None)
    event = isinstance(bucket_raw, Mapping) or isinstance(object_raw, Mapping)
    bucket = _text(bucket_raw.get("name")) if isinstance(bucket_raw, Mapping) else _text(bucket_raw)
    obj = _text(object_raw.get("key")) if isinstance(object_raw, Mapping) else _text(object_raw)
    if obj is not None and (url := _from_url(obj)) is not None:
        if bucket is not None and bucket != url[0]:
            return False
        return url[0], url[1], event
    if bucket is not None and obj is not None:
        return bucket, obj, event
    return None


def _targets(value: object, depth: int, found: set[tuple[str, str, bool]]) -> None:
    value = _decode(value)
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, Mapping):
        pair = _pair_in(value)
        if pair is False:  # bucket and obs:// URL disagree: the input does not tell
            found.update({("", "", False), ("", "", True)})
            return
        if pair is not None:
            found.add(pair)
            return
        for key in _NESTED_KEYS:
            if key in value:
                _targets(value[key], depth + 1, found)
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        for entry in value[:8]:
            _targets(entry, depth + 1, found)


def _mentions(value: object, depth: int, out: set[str]) -> None:
    if depth > _MENTION_DEPTH or len(out) >= _MAX_MENTIONS:
        return
    if isinstance(value, str) and depth > 0:
        out.add(value)  # as written, even when it reads as JSON text ("123")
    value = _decode(value)
    if isinstance(value, str):
        out.add(value)
    elif isinstance(value, Mapping):
        for entry in list(value.values())[:_MAX_MENTIONS]:
            _mentions(entry, depth + 1, out)
    elif isinstance(value, Sequence) and not isinstance(value, bytes):
        for entry in value[:_MAX_MENTIONS]:
            _mentions(entry, depth + 1, out)


def reference(value: object) -> InputTarget | None:
    found: set[tuple[str, str, bool]] = set()
    _targets(value, 0, found)
    if len(found) != 1:
        return None
    bucket, key, event = next(iter(found))
    mentions: set[str] = set()
    _mentions(value, 0, mentions)
    mentions.discard(key)
    mentions.discard(bucket)
    return InputTarget(bucket, key, event, frozenset(mentions))


# -- values -------------------------------------------------------------------------------

names = st.sampled_from(
    ["bucket", "object", "key", "name", "Bucket", "object_key", "input", "body", "Records", "s3"]
)
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False),
    st.text(max_size=6),
    st.sampled_from(["media", "a/b.mp4", "obs://media/a/b.mp4", "obs://x/y", "", "[1]", "{}"]),
)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.one_of(names, st.text(max_size=3)), inner, max_size=4),
        st.dictionaries(names, inner, max_size=3).map(MappingProxyType),
        st.dictionaries(names, inner, max_size=3).map(lambda d: json.dumps(d, default=dict)),
    ),
    max_leaves=12,
)


@settings(max_examples=500, deadline=None)
@given(values)
def test_the_input_reading_is_the_reference_one(value: object) -> None:
    assert input_targets(value) == reference(value)
    text = json.dumps(value, default=dict)
    assert input_targets(text) == reference(text)
