"""Whether a value is plain JSON data, built of exactly the types JSON has: the test of
the start calls' fast paths, which skip the pydantic model for the common arguments."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeGuard

__all__ = ["MAX_DEPTH", "MAX_ITEMS", "is_plain_json"]

MAX_DEPTH = 32
"""Deeper values are left to the full validation (which names what is wrong)."""
MAX_ITEMS = 10_000
"""Values with more containers and items than this are left to the full validation."""

_SCALARS = frozenset({str, int, float, bool, type(None)})


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
