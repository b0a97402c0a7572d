"""Settling: an answer's JSON body read with ``json``, only where pydantic's JSON reading
would read the same values.

The settle readers (:mod:`.settle_filter`, :mod:`.settle_detail`) read listing pages
and execution details with ``json.loads`` and fall back to the typed models for any
body this module is not sure of: text that is not UTF-8, a lone surrogate escape,
``NaN`` or ``Infinity``, something after the value, a value that is not an object, or
nesting deeper than :data:`MAX_DEPTH` (pydantic's reading refuses nesting beyond about
200 levels, which ``json.loads`` reads; the model then names the error). No I/O here.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate

__all__ = ["MAX_DEPTH", "decode_object", "shallow"]

MAX_DEPTH = 150
"""The deepest nesting of arrays and objects a quick reading takes (pydantic's JSON
reading refuses nesting beyond about 200 levels)."""


def _refuse_constant(name: str) -> object:
    raise ValueError(name)  # NaN, Infinity: pydantic's JSON reading refuses them


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEPS = {"{": 1, "[": 1, "}": -1, "]": -1}


def decode_object(body: bytes) -> tuple[dict[str, object], str] | None:
    """The body as a JSON object and its text, read with ``json``; ``None`` where
    pydantic's JSON reading may differ (a lone surrogate escape, ``NaN``), for a body
    that is not one JSON object, or one nested deeper than the recursion limit."""
    if b"\\" in body and (b"\\ud" in body or b"\\uD" in body):
        # a lone surrogate escape: pydantic's reading may refuse it (looked for in the
        # bytes, where it is the same ASCII text: one memchr for a body without escapes)
        return None
    try:
        text = body.decode("utf-8")
        data, end = _DECODER.raw_decode(text)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError too
        return None
    if end != len(text) and text[end:].strip(" \t\n\r"):
        return None
    return (data, text) if type(data) is dict else None


_OTHER_BYTES = bytes(b for b in range(256) if b not in b"[{")
"""Every byte but ``[`` and ``{`` (deleted to count those two in one pass)."""


def shallow(text: str, siblings: int = 0, body: bytes | None = None) -> bool:
    """Whether the JSON ``text`` (valid JSON) nests arrays and objects at most
    :data:`MAX_DEPTH` deep.

    Counted first (at C speed): a chain of nested values takes one bracket per level,
    so a text with at most ``MAX_DEPTH + siblings`` opening brackets is shallow enough
    when ``siblings`` of them are known not to lie on one chain (the items of a
    listing's one array, each an object: only one of them is on any chain). Only a
    text with more is measured exactly (its strings taken out, then the running depth
    of its brackets). ``body``: the same text as UTF-8 (its brackets are counted there,
    in one pass)."""
    if body is not None:
        opening = len(body.translate(None, _OTHER_BYTES))
    else:
        opening = text.count("{") + text.count("[")
    if opening <= MAX_DEPTH + siblings:
        return True
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return not brackets or max(accumulate(map(_STEPS.__getitem__, brackets))) <= MAX_DEPTH
