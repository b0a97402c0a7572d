"""Naming rules of the service, as pure functions (spec section 3).

Each ``check_*`` function returns ``None`` when the value is valid, otherwise the
rule it breaks as a short sentence. The pydantic models in :mod:`.models` call
them, and so can anyone who wants to check a name without building a model.
"""

from __future__ import annotations

import ipaddress
import json
import math
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
    "check_text",
    "find_unsendable",
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
_SURROGATE = re.compile("[\ud800-\udfff]")

TEXT_RULE = "must be valid Unicode text (no lone surrogates)"
"""What a string with a lone surrogate breaks (``os.fsdecode`` of a non-UTF-8 file name)."""
NUMBER_RULE = "must be a finite number (JSON has no NaN or Infinity)"
DOT_SEGMENT_RULE = "must not be '.' or '..' (a dot-segment in the URL path)"


def check_text(value: str) -> str | None:
    """Any string sent: it must encode to UTF-8, i.e. hold no lone surrogate."""
    if value.isascii() or _SURROGATE.search(value) is None:
        return None
    return TEXT_RULE


def _key_text(key: object) -> str:
    """A key as it may appear in an error's field name: always encodable (escaped)."""
    if not isinstance(key, str):
        return repr(key)
    return key if check_text(key) is None else key.encode("utf-8", "backslashreplace").decode()


def _model_fields(value: object) -> dict[str, object]:
    """``json.dumps``'s fallback: a pydantic model as its fields and extra fields."""
    fields = getattr(type(value), "model_fields", None)  # a pydantic model (any 2.x)
    if fields is None:
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")
    found = {name: getattr(value, name) for name in fields}
    found.update(getattr(value, "__pydantic_extra__", None) or {})
    return found


_STRICT_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=_model_fields)
_STRICT_JSON_ONLY = json.JSONEncoder(ensure_ascii=False, allow_nan=False)


def find_unsendable(value: object, path: str = "") -> tuple[str, str] | None:
    """The first place in ``value`` (nested dicts, lists, keys included) that cannot be
    sent as UTF-8 JSON: ``(path, rule)`` for a string with a lone surrogate or a float
    that is NaN or infinite; ``None`` when everything can be sent.

    ``path`` names the place as dotted keys and indexes (``inputs.a.0``). Pydantic
    models are walked through their fields and extra fields.
    """
    try:  # the common case, at C speed: it all encodes
        _STRICT_JSON.encode(value).encode("utf-8")
    except (TypeError, ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        pass
    else:
        return None
    stack: list[tuple[str, object]] = [(path, value)]
    seen: set[int] = set()  # containers already walked: a cycle ends the walk, not the loop
    while stack:  # iterative: no RecursionError however deep the value
        where, item = stack.pop()
        if isinstance(item, str | float | int) or item is None:
            problem = _scalar_problem(item)
            if problem is not None:
                return where, problem
            continue
        if id(item) in seen:
            continue
        seen.add(id(item))
        found = _push_children(where, item, stack)
        if found is not None:
            return found
    return None


def _scalar_problem(item: object) -> str | None:
    if isinstance(item, str):
        if not item.isascii() and _SURROGATE.search(item) is not None:
            return TEXT_RULE
    elif isinstance(item, float) and not math.isfinite(item):
        return NUMBER_RULE
    return None


def _entries(item: object) -> list[tuple[object, object]] | None:
    """A mapping's items, or a pydantic model's fields then extra fields; else ``None``."""
    if isinstance(item, Mapping):
        return list(item.items())
    fields = getattr(type(item), "model_fields", None)  # a pydantic model (any 2.x)
    if fields is None:
        return None
    entries: list[tuple[object, object]] = [(name, getattr(item, name)) for name in fields]
    entries += list((getattr(item, "__pydantic_extra__", None) or {}).items())
    return entries


def _push_children(
    where: str, item: object, stack: list[tuple[str, object]]
) -> tuple[str, str] | None:
    """Queue a container's children (in order); a key that cannot be sent is returned."""
    entries = _entries(item)
    if entries is not None:
        for key, inner in reversed(entries):
            name = _key_text(key)
            place = f"{where}.{name}" if where else name
            if isinstance(key, str) and check_text(key) is not None:
                return place, "keys " + TEXT_RULE
            stack.append((place, inner))
    elif isinstance(item, list | tuple):
        for index in range(len(item) - 1, -1, -1):
            stack.append((f"{where}.{index}" if where else str(index), item[index]))
    return None


def check_graph_name(value: str) -> str | None:
    """Graph and template names: 1-64; letter or digit first; letters, digits, ``_``, ``-``."""
    if not value:
        return "must not be empty"
    if check_text(value) is not None:
        return TEXT_RULE
    if len(value) > GRAPH_NAME_MAX:
        return f"must be at most {GRAPH_NAME_MAX} characters (got {len(value)})"
    if value[0] not in _ALNUM:
        return "must start with a letter or digit"
    if _GRAPH_NAME.fullmatch(value) is None:
        return "may contain only letters, digits, '_' and '-'"
    return None


def check_bucket_name(value: str) -> str | None:
    """Bucket names: the OBS rules (3-63, lower-case, no IP address, no ``..``/``.-``/``-.``)."""
    if check_text(value) is not None:
        return TEXT_RULE
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
    """Object keys: 1-1024 characters, any Unicode text (sent in the JSON body, never in a path)."""
    if not value:
        return "must not be empty"
    if check_text(value) is not None:
        return TEXT_RULE
    if len(value) > OBJECT_KEY_MAX:
        return f"must be at most {OBJECT_KEY_MAX} characters (got {len(value)})"
    return None


def check_inputs(value: Mapping[str, object]) -> str | None:
    """Workflow inputs: str keys and values that serialise to strict UTF-8 JSON.

    No NaN/Infinity, no lone surrogate in any key or value, however deep.
    """
    keys: list[object] = list(value)  # callers may pass anything despite the annotation
    for key in keys:
        if not isinstance(key, str):
            return f"keys must be strings (got {type(key).__name__})"
        if not key:
            return "keys must not be empty"
    try:
        _STRICT_JSON_ONLY.encode(value).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as exc:
        unsendable = find_unsendable(value)  # where and why, only once it failed
        if unsendable is not None:
            where, rule = unsendable
            return f"values must serialise to JSON: at {where}, {rule}"
        return f"values must serialise to JSON ({exc})"
    return None


EXECUTION_NAME_MAX = 256
DESCRIPTION_MAX = 256
RULE_ID_MAX = 256
_RULE_ID = re.compile(r"[A-Za-z0-9_-]+")
_DESCRIPTION_PUNCTUATION = frozenset(",.:-_ ")


def check_execution_name(value: str) -> str | None:
    """Execution names are opaque, but they are a path segment: 1-256, no '/', no controls,
    not ``.`` or ``..`` (sent as is, they would be dot-segments that move the path)."""
    if not value:
        return "must not be empty"
    if check_text(value) is not None:
        return TEXT_RULE
    if value in (".", ".."):
        return DOT_SEGMENT_RULE
    if len(value) > EXECUTION_NAME_MAX:
        return f"must be at most {EXECUTION_NAME_MAX} characters (got {len(value)})"
    if "/" in value or not value.isprintable():
        return "must not contain '/' or control characters"
    return None


def check_description(value: str) -> str | None:
    """Descriptions: 0-256; letters, digits, ',', '.', ':', '-', '_' and spaces."""
    if check_text(value) is not None:
        return TEXT_RULE
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
    if check_text(value) is not None:
        return TEXT_RULE
    if len(value) > RULE_ID_MAX:
        return f"must be at most {RULE_ID_MAX} characters (got {len(value)})"
    if _RULE_ID.fullmatch(value) is None:
        return "may contain only letters, digits, '_' and '-'"
    return None


def check_header_value(value: str) -> str | None:
    """Values that reach an HTTP header: no CR, LF or NUL (header injection), no lone surrogate."""
    if check_text(value) is not None:
        return TEXT_RULE
    if any(c in value for c in "\r\n\x00"):
        return "must not contain CR, LF or NUL characters"
    return None
