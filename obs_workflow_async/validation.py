"""Naming rules of the service, as pure functions (spec section 3).

Each ``check_*`` function returns ``None`` when the value is valid, otherwise the
rule it breaks as a short sentence. The pydantic models in :mod:`.models` call
them, and so can anyone who wants to check a name without building a model.
"""

from __future__ import annotations

import ipaddress
import json
import re
import string
from collections.abc import Mapping

__all__ = [
    "check_bucket_name",
    "check_description",
    "check_execution_name",
    "check_trigger_rule_id",
    "check_graph_name",
    "check_header_value",
    "check_inputs",
    "check_object_key",
]

GRAPH_NAME_MAX = 64
BUCKET_NAME_MIN = 3
BUCKET_NAME_MAX = 63
OBJECT_KEY_MAX = 1024

_GRAPH_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_BUCKET_CHARS = re.compile(r"[a-z0-9.-]+")
_ALNUM_LOWER = frozenset(string.ascii_lowercase + string.digits)
_ALNUM = frozenset(string.ascii_letters + string.digits)
_DIGITS_AND_DOTS = string.digits + "."


def check_graph_name(value: str) -> str | None:
    """Graph and template names: 1-64; letter or digit first; letters, digits, ``_``, ``-``."""
    if not value:
        return "must not be empty"
    if len(value) > GRAPH_NAME_MAX:
        return f"must be at most {GRAPH_NAME_MAX} characters (got {len(value)})"
    if value[0] not in _ALNUM:
        return "must start with a letter or digit"
    if _GRAPH_NAME.fullmatch(value) is None:
        return "may contain only letters, digits, '_' and '-'"
    return None


def check_bucket_name(value: str) -> str | None:
    """Bucket names: the OBS rules (3-63, lower-case, no IP address, no ``..``/``.-``/``-.``)."""
    if not BUCKET_NAME_MIN <= len(value) <= BUCKET_NAME_MAX:
        return f"must be {BUCKET_NAME_MIN} to {BUCKET_NAME_MAX} characters (got {len(value)})"
    if _BUCKET_CHARS.fullmatch(value) is None:
        return "may contain only lower-case letters, digits, '-' and '.'"
    if value[0] not in _ALNUM_LOWER or value[-1] not in _ALNUM_LOWER:
        return "must start and end with a lower-case letter or digit"
    for bad in ("..", ".-", "-."):
        if bad in value:
            return f"must not contain '{bad}'"
    if value.strip(_DIGITS_AND_DOTS):
        return None  # has a letter or '-': cannot be an IP address
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return None
    return "must not be an IP address"


def check_object_key(value: str) -> str | None:
    """Object keys: 1-1024 characters, any unicode."""
    if not value:
        return "must not be empty"
    if len(value) > OBJECT_KEY_MAX:
        return f"must be at most {OBJECT_KEY_MAX} characters (got {len(value)})"
    return None


def check_inputs(value: Mapping[str, object]) -> str | None:
    """Workflow inputs: str keys and values that serialise to strict JSON (no NaN/Infinity)."""
    keys: list[object] = list(value)  # callers may pass anything despite the annotation
    for key in keys:
        if not isinstance(key, str):
            return f"keys must be strings (got {type(key).__name__})"
        if not key:
            return "keys must not be empty"
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return f"values must serialise to JSON ({exc})"
    return None


EXECUTION_NAME_MAX = 256
DESCRIPTION_MAX = 256
RULE_ID_MAX = 256
_RULE_ID = re.compile(r"[A-Za-z0-9_-]+")
_DESCRIPTION_PUNCTUATION = frozenset(",.:-_ ")


def check_execution_name(value: str) -> str | None:
    """Execution names are opaque, but they are a path segment: 1-256, no '/', no controls."""
    if not value:
        return "must not be empty"
    if len(value) > EXECUTION_NAME_MAX:
        return f"must be at most {EXECUTION_NAME_MAX} characters (got {len(value)})"
    if "/" in value or not value.isprintable():
        return "must not contain '/' or control characters"
    return None


def check_description(value: str) -> str | None:
    """Descriptions: 0-256; letters, digits, ',', '.', ':', '-', '_' and spaces."""
    if len(value) > DESCRIPTION_MAX:
        return f"must be at most {DESCRIPTION_MAX} characters (got {len(value)})"
    for char in value:
        if not (char.isalnum() or char in _DESCRIPTION_PUNCTUATION):
            return f"may contain only letters, digits, spaces and ,.:-_ (found {char!r})"
    return None


def check_trigger_rule_id(value: str) -> str | None:
    """Trigger rule ids: 1-256; letters, digits, '_' and '-'."""
    if not value:
        return "must not be empty"
    if len(value) > RULE_ID_MAX:
        return f"must be at most {RULE_ID_MAX} characters (got {len(value)})"
    if _RULE_ID.fullmatch(value) is None:
        return "may contain only letters, digits, '_' and '-'"
    return None


def check_header_value(value: str) -> str | None:
    """Values that reach an HTTP header: no CR, LF or NUL (header injection)."""
    if any(c in value for c in "\r\n\x00"):
        return "must not contain CR, LF or NUL characters"
    return None
