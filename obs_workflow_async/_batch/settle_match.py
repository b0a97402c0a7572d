"""Settling: what names the same object, which executions are API starts of a graph,
and when a listed start time may have been. Pure functions, no I/O.

Each rule leans the same way: anything it cannot prove makes an item ``unknown``,
never ``not_started`` (a wrong ``not_started`` starts an object twice) and never
``started`` (a wrong ``started`` leaves an object unsent). See ``docs/settling.md``.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeGuard
from urllib.parse import unquote, unquote_plus

__all__ = [
    "InputTarget",
    "Kind",
    "Match",
    "graph_relation",
    "input_targets",
    "key_forms",
    "kind_of",
    "loose_index",
    "loose_key",
    "match_object",
    "may_name",
    "same_object",
    "span_relation",
    "UNSETTLED",
]

Match = Literal["same", "equivalent", "similar", "different"]
"""How an execution's input relates to an item's object:

- ``same``: the very bucket and key;
- ``equivalent``: another spelling of them (percent-encoded, NFC/NFD, a leading
  ``/``, ``obs://bucket/key``, an event's encoded key);
- ``similar``: close but not provably the same (case, spaces, a slash more, the key
  named in the input under a field settling does not read): ``unknown``;
- ``different``: another object.
"""

Kind = Literal["api", "trigger", "unknown"]
"""What started an execution: the API (a start of an item may be it), a trigger
policy (never an item's start), or a spelling settling does not know (a candidate
that can only make an item ``unknown``)."""

_BUCKET_KEYS = ("bucket", "bucket_name", "bucketName")
_OBJECT_KEYS = ("object", "object_key", "objectKey", "key", "object_name")
_NESTED_KEYS = (
    "input",
    "inputs",
    "body",
    "request",
    "payload",
    "data",
    "params",
    "parameters",
    "Records",
    "records",
    "s3",
    "obs",
    "event",
)
_MAX_DEPTH = 4
_MAX_MENTIONS = 256
_MENTION_DEPTH = 8
_OBS_SCHEME = "obs://"
_API_TYPES = frozenset({"apicall", "api", "apicalled", "apistart"})
_TRIGGER_TYPES = frozenset({"triggercal", "triggercall", "trigger", "triggered"})
_KNOWN_KINDS: dict[str, Kind] = {
    **dict.fromkeys(("APICALL", "apicall", "API_CALL", "API"), "api"),
    **dict.fromkeys(("TRIGGERCAL", "triggercal", "TRIGGER", "trigger"), "trigger"),
}
"""The spellings the services write, read without folding them (what
:func:`_kind_of_text` folds each of them to; a fixed table, not a cache)."""


@dataclass(frozen=True, slots=True)
class InputTarget:
    """The object an execution's input names, and every string the input holds."""

    bucket: str
    key: str
    event: bool = False
    """Read from the event shape ``{"bucket": {"name"}, "object": {"key"}}`` (whose
    keys are URL-encoded, ``+`` for a space)."""
    mentions: frozenset[str] = frozenset()
    """The other strings of the input (bounded): an item's key among them, beside a
    pair naming another object, makes the match ``similar``."""


# -- reading the input ------------------------------------------------------------------


_JSON_STARTS = frozenset('{["-0123456789tfnNI')
"""The characters a JSON text (as ``json.loads`` reads it) may begin with after its
leading whitespace: any other text is not JSON, and is not tried."""


def _decode(value: object) -> object:
    for _ in range(2):  # JSON text, or JSON text of JSON text
        if not isinstance(value, str):
            return value
        if value.lstrip(" \t\n\r")[:1] not in _JSON_STARTS:
            return value
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):  # RecursionError: nested beyond the stack
            return value
    return value


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


_NOT_MAPPINGS = frozenset({str, int, float, bool, type(None), list, tuple, bytes})
_NOT_SEQUENCES = frozenset({str, int, float, bool, type(None), dict, bytes})


def _is_mapping(value: object) -> TypeGuard[Mapping[object, object]]:
    """``isinstance(value, Mapping)``, the JSON types told without the ABC check."""
    kind = type(value)
    return kind is dict or (kind not in _NOT_MAPPINGS and isinstance(value, Mapping))


def _is_list(value: object) -> TypeGuard[Sequence[object]]:
    """``isinstance(value, Sequence)`` but not text or bytes, the JSON types told
    without the ABC check."""
    kind = type(value)
    return kind is list or (
        kind not in _NOT_SEQUENCES
        and isinstance(value, Sequence)
        and not isinstance(value, str | bytes)
    )


def _from_url(text: str) -> tuple[str, str] | None:
    """``obs://bucket/key`` as ``(bucket, key)``."""
    if text[: len(_OBS_SCHEME)].lower() != _OBS_SCHEME:
        return None
    bucket, _, key = text[len(_OBS_SCHEME) :].partition("/")
    return (bucket, key) if bucket and key else None


def _first(value: Mapping[object, object], keys: tuple[str, ...]) -> object:
    """The first of ``keys`` ``value`` holds something other than ``None`` under."""
    for key in keys:
        found = value.get(key)
        if found is not None:
            return found
    return None


def _pair_in(value: Mapping[object, object]) -> tuple[str, str, bool] | Literal[False] | None:
    """The pair ``value`` names at its own level (``False``: two that disagree)."""
    bucket_raw = _first(value, _BUCKET_KEYS)
    object_raw = _first(value, _OBJECT_KEYS)
    event = False
    if _is_mapping(bucket_raw):
        bucket, event = _text(bucket_raw.get("name")), True
    else:
        bucket = _text(bucket_raw)
    if _is_mapping(object_raw):
        obj, event = _text(object_raw.get("key")), True
    else:
        obj = _text(object_raw)
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
    if _is_mapping(value):
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
    elif _is_list(value):
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
    elif _is_mapping(value):
        for entry in list(value.values())[:_MAX_MENTIONS]:
            _mentions(entry, depth + 1, out)
    elif _is_list(value):
        for entry in value[:_MAX_MENTIONS]:
            _mentions(entry, depth + 1, out)


def input_targets(value: object) -> InputTarget | None:
    """The object an execution's ``execution_info.input`` names, or ``None``.

    The input may be a JSON object or JSON text. The pair is looked for at the top
    level (``bucket`` and ``object``, or close spellings; ``object`` may be
    ``obs://bucket/key``), then inside the evident nestings (``input``, ``inputs``,
    ``body``, ``request``, ``payload``, ``data``, ``Records``/``s3``/``obs``/``event``,
    lists of those); the event shape ``{"bucket": {"name"}, "object": {"key"}}``
    counts too. No pair, or two different pairs, gives ``None``: the input does not
    tell.
    """
    decoded = _decode(value)
    if not isinstance(decoded, str):
        value = decoded  # decoded once for both walks (each would decode it the same)
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


# -- comparing objects -------------------------------------------------------------------


def key_forms(key: str, *, event: bool = False) -> frozenset[str]:
    """The spellings ``key`` may stand for: itself, without one leading ``/``,
    percent-decoded once (``+`` as a space too for an event's key), each in NFC."""
    forms = {key}
    if key.startswith("/"):
        forms.add(key[1:])
    for form in list(forms):
        if "%" in form:
            forms.add(_decoded(form, unquote))
        if event and ("%" in form or "+" in form):
            forms.add(_decoded(form, unquote_plus))
    return frozenset(unicodedata.normalize("NFC", form) for form in forms) | forms


def _decoded(text: str, decode: Callable[..., str]) -> str:
    """``text`` percent-decoded, or itself when the escapes are not UTF-8 (never a
    replacement character: two different keys must not decode alike)."""
    try:
        return decode(text, errors="strict")
    except UnicodeDecodeError:
        return text


def _loose(text: str) -> str:
    """Equal for spellings that may or may not name the same thing (case, spaces,
    slashes at the ends, compatibility characters, any number of decodings). Every
    spelling :func:`key_forms` gives has the same loose form as the key."""
    decoded = text
    for _ in range(8):  # decoded to a fixed point (bounded)
        again = unquote_plus(decoded, errors="replace")
        if again == decoded:
            break
        decoded = again
    else:
        if unquote_plus(decoded, errors="replace") != decoded:
            return UNSETTLED  # still encoded after the bound: may be any key
    return unicodedata.normalize("NFKC", decoded).strip().strip("/").strip().casefold()


UNSETTLED = "\x00"
"""The loose form of a text still percent-encoded after :func:`_loose`'s eight
decodings (the bound against hostile text): it may stand for any key (a key encoded
nine times and its spelling decoded once must not part), so it meets every loose
form (:func:`may_name`)."""


def may_name(loose: str, index: Collection[str]) -> bool:
    """Whether a key of loose form ``loose`` may be among the keys whose loose forms are
    ``index`` (a :func:`loose_index`)."""
    return loose in index or loose == UNSETTLED or UNSETTLED in index


def loose_key(key: str) -> str:
    """An item key's loose form (see :func:`loose_index`)."""
    return _loose(key)


def loose_index(target: InputTarget) -> frozenset[str]:
    """The loose forms of every key ``target`` could be taken for (its own, and each
    mention's): an item whose :func:`loose_key` is not among them is surely
    ``different`` from it."""
    out = {_loose(target.key)}
    for text in target.mentions:
        out.add(_loose(text))
        url = _from_url(text)
        if url is not None:
            out.add(_loose(url[1]))
        if "/" in text:
            out.add(_loose(text.split("/", 1)[1]))
    return frozenset(out)


def same_object(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Whether two ``(bucket, key)`` spellings name the same object (``same`` or
    ``equivalent``; symmetric)."""
    if a[0] != b[0]:
        return False
    return a[1] == b[1] or bool(key_forms(a[1]) & key_forms(b[1]))


def _mentioned(item: tuple[str, str], mentions: Iterable[str]) -> bool:
    bucket, key = item
    forms = key_forms(key)
    loose = _loose(key)
    for text in mentions:
        url = _from_url(text)
        if url is not None and url[0] == bucket and _loose(url[1]) == loose:
            return True
        if text.startswith(f"{bucket}/") and _loose(text[len(bucket) + 1 :]) == loose:
            return True
        if _loose(text) == loose or key_forms(text) & forms:
            return True
    return False


def match_object(
    item: tuple[str, str],
    target: InputTarget,
    others: Collection[tuple[str, str]] = (),
    index: frozenset[str] | None = None,
) -> Match:
    """How ``target`` (read from an execution's input) relates to ``item``'s object.

    ``others``: the objects of the other items settled with it. A spelling that is
    only *equivalent* to ``item`` but is exactly another item's object is
    ``similar`` (that other item is the one it started). ``index``: ``target``'s
    :func:`loose_index` when the caller holds it (read again otherwise)."""
    bucket, key = item
    if (target.bucket, target.key) == item:
        return "same"
    loose = _loose(key)
    if not may_name(loose, loose_index(target) if index is None else index):
        return "different"
    forms = key_forms(target.key, event=target.event)
    if target.bucket == bucket and forms & key_forms(key):
        exact = (target.bucket, target.key)
        if exact in others:  # exactly another item's object (not this one: not "same")
            return "similar"
        return "equivalent"
    if _loose(target.bucket) == _loose(bucket) and any(_loose(f) == loose for f in forms):
        return "similar"
    if _mentioned(item, target.mentions):
        return "similar"
    return "different"


# -- what started it, and which graph ----------------------------------------------------


def kind_of(*spellings: object, typed_listing: bool = False) -> Kind:
    """What started an execution, from the first type spelling given (summary, then
    details). ``typed_listing``: the listing was asked for API starts only, so an
    execution that carries no type is one."""
    for spelling in spellings:
        if spelling is None or spelling == "":
            continue
        return _kind_of_text(str(getattr(spelling, "value", spelling)))
    return "api" if typed_listing else "unknown"


def _kind_of_text(text: str) -> Kind:
    """:func:`kind_of` one type spelling (the services' own spellings from a table)."""
    known = _KNOWN_KINDS.get(text)
    if known is not None:
        return known
    word = "".join(c for c in text.casefold() if c.isalnum())
    if word in _API_TYPES:
        return "api"
    if word in _TRIGGER_TYPES:
        return "trigger"
    return "unknown"


def _graph_in_urn(urn: str) -> str | None:
    parts = urn.split(":")
    for position, part in enumerate(parts[:-1]):
        if part == "graph":
            return parts[position + 1] or None
        if part == "workflow":
            rest = parts[position + 1 :]
            if len(rest) >= 2 and rest[0] == "default":
                return rest[1] or None
            return rest[0] or None
    return None


def graph_relation(graph: str, *names: object) -> Literal["this", "other", "unclear"]:
    """Whether an execution belongs to ``graph``, from the URNs (or names) it carries
    (``graph_urn``; ``None`` when absent).

    No name at all: ``this`` (the listing was asked for this graph). Only a URN whose
    graph slot names another graph is ``other``. A name that differs only in case,
    a URN whose graph slot is unreadable, or a bare value that is not the graph's
    name (it may be an id): ``unclear`` (the execution can only make an item
    ``unknown``)."""
    verdict: Literal["this", "other", "unclear"] = "this"
    for raw in names:
        if not isinstance(raw, str) or not raw:
            continue
        urn = raw.startswith("urn:")
        name = _graph_in_urn(raw) if urn else raw
        if name == graph:
            continue
        if name is None or name.casefold() == graph.casefold() or not urn:
            verdict = "unclear"  # an id, or a spelling settling cannot place
        else:
            return "other"
    return verdict


def span_relation(
    span: tuple[datetime, datetime] | None, window: tuple[datetime, datetime]
) -> Literal["in", "maybe", "out"]:
    """Whether a start time that may be anywhere in ``span`` (``None``: unknown) lies
    in ``window``: surely, maybe, or surely not."""
    if span is None:
        return "maybe"
    low, high = span
    if high < window[0] or low > window[1]:
        return "out"
    if window[0] <= low and high <= window[1]:
        return "in"
    return "maybe"
