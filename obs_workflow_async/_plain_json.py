"""Whether a value is plain JSON data, built of exactly the types JSON has: the test of
the start calls' fast paths, which skip the pydantic model for the common arguments."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import TypeGuard

__all__ = ["MAX_DEPTH", "MAX_ITEMS", "is_plain_json", "plain_start_body"]

MAX_DEPTH = 32
"""Deeper values are left to the full validation (which names what is wrong)."""
MAX_ITEMS = 10_000
"""Values with more containers and items than this are left to the full validation."""

_SCALARS = frozenset({str, int, float, bool, type(None)})

_SAMPLES: tuple[object, ...] = (
    {"bucket": "bucket-a", "object": 'objects/\u043a\U0001f600\x7f\x00"\\\u2028.mp4'},
    {
        "quality": "high",
        "n": [0, -1, 2**70, 1.5, -0.0, 1e300, 1e-7, True, False, None],
        "nested": {"x": [[], {}, {"y": "\t\n\r\x08\x0c/"}]},
        "\u00e9\U0001f600": "\ud800 \udfff",
    },
)
"""What the C encoders are checked on against ``json.JSONEncoder``'s own output."""


def _c_encoder(*, ascii_only: bool, allow_nan: bool) -> Callable[[object], str] | None:
    """``json.JSONEncoder(ensure_ascii=ascii_only, allow_nan=allow_nan).encode``,
    without building the C encoder again for every call (``JSONEncoder.encode`` does),
    for **acyclic** values only (no circular-reference check: the callers' values pass
    :func:`is_plain_json`, which a cycle never passes); ``None`` where ``json`` has no
    C accelerator, or when its output differs from ``json``'s pure-Python writer on
    :data:`_SAMPLES` (the callers then use ``json.JSONEncoder``)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    string = getattr(
        json.encoder, "c_encode_basestring_ascii" if ascii_only else "c_encode_basestring", None
    )
    if make is None or string is None:
        return None
    reference = json.JSONEncoder(ensure_ascii=ascii_only, allow_nan=allow_nan)
    try:
        chunks = make(None, reference.default, string, None, ": ", ", ", False, False, allow_nan)

        def encode(value: object) -> str:
            return "".join(chunks(value, 0))

        # iterencode without _one_shot: json's pure-Python writer, the reference
        same = all(encode(sample) == _python_text(reference, sample) for sample in _SAMPLES)
        nan = encode(math.nan) if allow_nan else None
    except (TypeError, ValueError):  # another signature; allow_nan not applied
        return None
    if not same or nan != (_python_text(reference, math.nan) if allow_nan else None):
        return None
    if not allow_nan:
        try:
            encode([math.inf])
        except ValueError:
            return encode
        return None
    return encode


def _python_text(encoder: json.JSONEncoder, value: object) -> str:
    return "".join(encoder.iterencode(value, _one_shot=False))


def _string_encoder(*, ascii_only: bool) -> Callable[[str], str]:
    """A ``str`` as a JSON string, exactly as ``json.JSONEncoder`` writes it (quotes
    included): json's C function, unless it writes anything else than its pure-Python
    one on a sample."""
    quote: Callable[[str], str] | None = getattr(
        json.encoder, "c_encode_basestring_ascii" if ascii_only else "c_encode_basestring", None
    )
    python = (
        json.encoder.py_encode_basestring_ascii if ascii_only else json.encoder.py_encode_basestring
    )
    sample = str(_SAMPLES[0])
    if quote is None or quote(sample) != python(sample):
        return python
    return quote


_AS_SDK = (
    _c_encoder(ascii_only=False, allow_nan=True) or json.JSONEncoder(ensure_ascii=False).encode
)
"""``json.dumps(ensure_ascii=False)``: the v2 bodies, as the OBS SDK writes them
(:func:`~.models._base.json_body`)."""
_AS_SDK_ASCII = (
    _c_encoder(ascii_only=True, allow_nan=True) or json.JSONEncoder(ensure_ascii=True).encode
)
"""Non-ASCII as ``\\uXXXX``: the v3 bodies, as ``huaweicloudsdkcore`` writes them
(:func:`~.dwr.models.json_body`)."""
_STRICT = (
    _c_encoder(ascii_only=False, allow_nan=False)
    or json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
)
"""Refuses NaN and Infinity (:func:`~.validation.check_inputs`' rule)."""
_QUOTE = _string_encoder(ascii_only=False)
_QUOTE_ASCII = _string_encoder(ascii_only=True)


def is_plain_json(value: object) -> TypeGuard[dict[str, object]]:
    """``value`` is a ``dict`` with ``str`` keys whose values are ``dict``, ``list``,
    ``str``, ``int``, ``float``, ``bool`` or ``None`` (exactly those types, no
    subclasses), however nested up to :data:`MAX_DEPTH` and :data:`MAX_ITEMS`.

    Says nothing of NaN, lone surrogates or empty keys (the validation rules of
    :func:`~.validation.check_inputs` do); ``False`` only means "not sure": the caller
    then validates fully.
    """
    return type(value) is dict and _dict_budget(value, 0, MAX_ITEMS) >= 0


def _dict_budget(item: dict[object, object], depth: int, budget: int) -> int:
    """What is left of ``budget`` once ``item`` (a ``dict`` at ``depth``) and everything
    in it are counted (``len + 1`` for every container), or ``-1`` when it is not plain
    JSON (a type, a key, the depth or the budget); recursive, at most :data:`MAX_DEPTH`
    deep. Keys and values are checked in one loop, the containers' own type decides
    which function walks them (no set of types built per container)."""
    budget -= len(item) + 1
    if budget < 0 or depth >= MAX_DEPTH:
        return -1
    scalars = _SCALARS
    for key, child in item.items():
        if type(key) is not str:
            return -1
        kind = type(child)
        if kind in scalars:
            continue
        if kind is dict:
            budget = _dict_budget(child, depth + 1, budget)  # type: ignore[arg-type]
        elif kind is list:
            budget = _list_budget(child, depth + 1, budget)  # type: ignore[arg-type]
        else:
            return -1
        if budget < 0:
            return -1
    return budget


def _list_budget(item: list[object], depth: int, budget: int) -> int:
    """:func:`_dict_budget` for a ``list``."""
    budget -= len(item) + 1
    if budget < 0 or depth >= MAX_DEPTH:
        return -1
    scalars = _SCALARS
    for child in item:
        kind = type(child)
        if kind in scalars:
            continue
        if kind is dict:
            budget = _dict_budget(child, depth + 1, budget)  # type: ignore[arg-type]
        elif kind is list:
            budget = _list_budget(child, depth + 1, budget)  # type: ignore[arg-type]
        else:
            return -1
        if budget < 0:
            return -1
    return budget


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
    quote = _QUOTE_ASCII if ascii_only else _QUOTE
    head = f'{{"bucket": {quote(bucket)}, "object": {quote(object_key)}'
    if inputs is None:
        return f"{head}}}".encode()
    if type(inputs) is not dict or "" in inputs or _dict_budget(inputs, 0, MAX_ITEMS) < 0:
        return None  # not plain JSON (is_plain_json, one call fewer) or an empty key
    try:
        text = _STRICT(inputs)
        if ascii_only and (not text.isascii() or "\x7f" in text):
            text.encode()  # a lone surrogate is refused before it could be escaped
            text = _AS_SDK_ASCII(inputs)
        return f'{head}, "inputs": {text}}}'.encode()
    except ValueError:  # NaN or Infinity; a lone surrogate (UnicodeEncodeError)
        return None
