"""Whether a value is plain JSON data, built of exactly the types JSON has: the test of
the start calls' fast paths, which skip the pydantic model for the common arguments."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TypeGuard

__all__ = ["MAX_DEPTH", "MAX_ITEMS", "is_plain_json", "plain_start_body"]

MAX_DEPTH = 32
"""Deeper values are left to the full validation (which names what is wrong)."""
MAX_ITEMS = 10_000
"""Values with more containers and items than this are left to the full validation."""

_SCALARS = frozenset({str, int, float, bool, type(None)})

_AS_SDK = json.JSONEncoder(ensure_ascii=False)
"""``json.dumps(ensure_ascii=False)``: the v2 bodies, as the OBS SDK writes them
(:func:`~.models._base.json_body`)."""
_AS_SDK_ASCII = json.JSONEncoder(ensure_ascii=True)
"""Non-ASCII as ``\\uXXXX``: the v3 bodies, as ``huaweicloudsdkcore`` writes them
(:func:`~.dwr.models.json_body`)."""
_STRICT = json.JSONEncoder(ensure_ascii=False, allow_nan=False)
"""Refuses NaN and Infinity (:func:`~.validation.check_inputs`' rule)."""


def is_plain_json(value: object) -> TypeGuard[dict[str, object]]:
    """``value`` is a ``dict`` with ``str`` keys whose values are ``dict``, ``list``,
    ``str``, ``int``, ``float``, ``bool`` or ``None`` (exactly those types, no
    subclasses), however nested up to :data:`MAX_DEPTH` and :data:`MAX_ITEMS`.

    Says nothing of NaN, lone surrogates or empty keys (the validation rules of
    :func:`~.validation.check_inputs` do); ``False`` only means "not sure": the caller
    then validates fully.
    """
    if type(value) is not dict:
        return False
    budget = MAX_ITEMS
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth >= MAX_DEPTH:
            return False
        if type(item) is dict:
            if any(type(key) is not str for key in item):
                return False
            children: Iterable[object] = item.values()
        elif type(item) is list:
            children = item
        else:
            return False
        budget -= len(item) + 1
        if budget < 0:
            return False
        stack.extend((child, depth + 1) for child in children if type(child) not in _SCALARS)
    return True


def plain_start_body(
    bucket: str, object_key: str, inputs: object, *, ascii_only: bool = False
) -> bytes | None:
    """The body of a start (``{"bucket", "object"[, "inputs"]}``) for names that passed
    their rules and ``inputs`` that are ``None`` or plain JSON (:func:`is_plain_json`)
    passing :func:`~.validation.check_inputs`' rules (no empty key, no NaN or Infinity,
    no lone surrogate); ``None`` otherwise: the caller then validates fully.

    Written as the SDKs write it: v2 (:func:`~.models._base.json_body`), or with
    ``ascii_only`` v3 (:func:`~.dwr.models.json_body`). The inputs are serialised once
    where they can be: the strict serialisation that checks them is the body's (the
    encoders write the same text for values they all accept, and in ASCII mode for
    text without non-ASCII characters or DEL).
    """
    encoder = _AS_SDK_ASCII if ascii_only else _AS_SDK
    head = encoder.encode({"bucket": bucket, "object": object_key})
    if inputs is None:
        return head.encode()
    if not is_plain_json(inputs) or "" in inputs:
        return None
    try:
        text = _STRICT.encode(inputs)
        if ascii_only and (not text.isascii() or "\x7f" in text):
            text.encode()  # a lone surrogate is refused before it could be escaped
            text = _AS_SDK_ASCII.encode(inputs)
        # '{"bucket": .., "object": ..}' with ', "inputs": ..' before its brace
        return f'{head[:-1]}, "inputs": {text}}}'.encode()
    except ValueError:  # NaN or Infinity; a lone surrogate (UnicodeEncodeError)
        return None
