"""One reader for the body of an HTTP error answer, JSON or XML.

Pure functions, no I/O, and no knowledge of any API: how an API's error body is read
(its keys and their precedence, its XML element names, its fallbacks) is passed in as
an :class:`ErrorBodyRules` value, so every API and every view of an answer (the typed
exceptions, the SDK-shaped results) reads a body the same way.

JSON: a body whose first non-blank character is ``{`` is parsed with :func:`json.loads`
(blank as JSON counts it: space, tab, CR, LF). A non-string code or message reads as
text (:attr:`ErrorBodyRules.json_text`), a nesting deeper than the stack as no JSON.

XML, with ElementTree's semantics (what ``xml.etree.ElementTree.fromstring`` and then
``root.find(name).text`` give): a field is the text of the root's first *direct* child
of that name, up to that child's first sub-element; CDATA is text; comments and
processing instructions are dropped (the text around them joined); an element in a
namespace (``{uri}Code``) is not the plain name; a leading byte-order mark is ignored;
entities are the five XML ones and character references. Safety: a body holding
``<!DOCTYPE`` is refused (nothing read), so no entity can be declared, expanded or
fetched; at most :attr:`ErrorBodyRules.limit` characters are parsed. A body that is
not well-formed gives nothing, except one *cut short* (it ends, or the limit cuts it,
inside the root element, with no error before that point): its fields are those
completed before the cut.

Every field is writable text: a lone surrogate reads as U+FFFD. :func:`scalar_text`
is the one rule for an id in any answer of either API (a number reads as its text).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, cast

if TYPE_CHECKING:  # pragma: no cover
    from xml.etree.ElementTree import Element

__all__ = [
    "ErrorBodyRules",
    "Form",
    "ParsedErrorBody",
    "read_error_body",
    "scalar_text",
    "writable",
]

Form = Literal["json", "xml", "xml-cut"]
"""How a body was read: a JSON object; a whole XML document; an XML document cut short."""

_JSON_BLANK = " \t\n\r"
_DOCTYPE = "<!DOCTYPE"


@dataclass(frozen=True, slots=True)
class ParsedErrorBody:
    """The fields an error body may carry, whatever its format."""

    code: str | None = None
    message: str | None = None
    request_id: str | None = None
    host_id: str | None = None
    resource: str | None = None
    form: Form | None = field(default=None, compare=False)
    """How the body was read (``None``: nothing read, or a fallback only)."""


@dataclass(frozen=True, slots=True)
class ErrorBodyRules:
    """How one API's error bodies are read: data, no code.

    ``pairs`` lists the JSON ``(code key, message key)`` alternatives in precedence
    order. With ``pairs_together`` the first pair whose *both* keys are present gives
    both fields (a lone code key is no pair); without it each field takes the first of
    its keys that is present (even when ``null``). With ``search_nested``, when the top
    level holds no pair, each object value is searched the same way, in order, a later
    find overriding an earlier one (``{"error": {"code": ..., "message": ...}}``).
    """

    pairs: tuple[tuple[str, str], ...]
    pairs_together: bool = False
    search_nested: bool = False
    request_id_key: str | None = "request_id"
    """The JSON key of the body's request id (a blank id is no id)."""
    request_id_strings_only: bool = False
    """Only a string is an id (otherwise a number reads as its text)."""
    json_text: Literal["str", "json"] = "str"
    """How a non-string JSON code or message reads: ``"str"``: a scalar as ``str()``
    gives it (``True`` -> ``"True"``), an object or array as its JSON text;
    ``"json"``: every value as its JSON text (``True`` -> ``"true"``)."""
    xml_fields: tuple[tuple[str, str], ...] = ()
    """``(field, element name)`` pairs read from an XML body; empty: XML is not read."""
    xml_unwrap: str | None = None
    """A pattern: its first match (every occurrence of that text) is removed from an XML
    body before it is parsed."""
    limit: int | None = None
    """Characters read: a longer JSON body is not parsed, a longer XML body is parsed up
    to the limit (so as cut short). ``None``: no limit."""
    blank_code_is_status: bool = False
    """A missing or empty code (``null``, ``""``, ``0``, ``false``) reads as the status."""
    blank_message_is_body: bool = False
    """A missing or empty message reads as the whole body text."""


def writable(value: str) -> str:
    """``value`` with any lone surrogate replaced by U+FFFD, so it can always be encoded."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def scalar_text(value: object) -> object:
    """An id or name in an answer: a number reads as its text; ``""`` and anything else
    that is not a string as ``None`` (a pydantic ``BeforeValidator``)."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _as_text(value: object, how: Literal["str", "json"]) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return writable(value)
    if how == "str" and not isinstance(value, dict | list):
        return writable(str(value))
    try:
        return writable(json.dumps(value, ensure_ascii=False))
    except (TypeError, ValueError, RecursionError):  # nested deeper than the stack
        return None


def _json_fields(data: dict[str, object], rules: ErrorBodyRules) -> tuple[object, object]:
    """The raw ``(code, message)`` of a JSON object as ``rules`` pick them."""
    if not rules.pairs_together:
        code: object = next((data[c] for c, _ in rules.pairs if c in data), None)
        message: object = next((data[m] for _, m in rules.pairs if m in data), None)
        return code, message
    found: tuple[object, object] = (None, None)
    # Depth first, in order; an object holding a pair is not searched further. The
    # last find wins. A stack, not recursion: any depth json.loads gives is fine.
    stack: list[dict[str, object]] = [data]
    while stack:
        node = stack.pop()
        pair = next(((c, m) for c, m in rules.pairs if c in node and m in node), None)
        if pair is not None:
            found = (node[pair[0]], node[pair[1]])
        elif rules.search_nested:
            stack.extend(reversed([v for v in node.values() if isinstance(v, dict)]))
    return found


def _read_json(text: str, rules: ErrorBodyRules) -> tuple[object, object, str | None] | None:
    """``(code, message, request id)`` of a JSON-object body, else ``None``."""
    try:
        data: object = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the stack
        return None
    if not isinstance(data, dict):
        return None
    code, message = _json_fields(data, rules)
    request_id: str | None = None
    if rules.request_id_key is not None:
        raw = data.get(rules.request_id_key)
        if not rules.request_id_strings_only or isinstance(raw, str):
            request_id = _as_text(raw, "str") or None
    return code, message, request_id


def _unwrap(text: str, rules: ErrorBodyRules) -> str:
    if rules.xml_unwrap is None:
        return text
    match = re.search(rules.xml_unwrap, text)
    return text if match is None else text.replace(match.group(), "")


def xml_text(text: str, rules: ErrorBodyRules) -> str:
    """``text`` as the XML reader parses it (``rules.xml_unwrap`` applied)."""
    return _unwrap(text, rules)


def _read_xml(text: str, rules: ErrorBodyRules) -> tuple[dict[str, str | None], Form] | None:
    """The XML fields of ``text`` and how it was read, else ``None`` (module docstring)."""
    text = writable(_unwrap(text, rules))
    if _DOCTYPE in text:
        return None  # no DTD: nothing declared, expanded or fetched
    head = text if rules.limit is None else text[: rules.limit]
    from xml.etree.ElementTree import ParseError, XMLPullParser  # only when XML comes

    wanted = {name: key for key, name in rules.xml_fields}
    found: dict[str, str | None] = {}
    depth = 0
    started = False

    def take(events: list[object]) -> None:
        nonlocal depth, started
        for item in events:
            event, element = cast("tuple[str, Element]", item)
            if event == "start":
                depth += 1
                started = True
                continue
            depth -= 1
            key = wanted.get(element.tag) if depth == 1 else None
            if key is not None and key not in found:
                found[key] = element.text

    parser: XMLPullParser[Element] = XMLPullParser(events=("start", "end"))
    events: list[object] = []  # (event, element) pairs
    try:
        parser.feed(head)
        events.extend(parser.read_events())
    except ParseError:
        return None  # not well-formed: nothing (as ElementTree.fromstring gives)
    ended_early = False
    if len(head) == len(text):
        try:
            parser.close()
        except ParseError:
            ended_early = True  # cut short if inside the root element, else malformed
        events.extend(parser.read_events())
    take(events)
    if not started or (ended_early and depth == 0):
        return None  # no element, or an error after the root element ended
    return found, "xml-cut" if depth else "xml"


def read_error_body(
    text: str, rules: ErrorBodyRules, *, status: int | None = None
) -> ParsedErrorBody:
    """The fields of the error body ``text``, read by ``rules``. Never raises.

    :param text: The error answer's body, decoded.
    :param rules: How the API's error bodies are read.
    :param status: The answer's status (for :attr:`ErrorBodyRules.blank_code_is_status`).
    :returns: The fields found (``None`` where absent) and how the body was read.
    """
    code: object = None
    message: object = None
    request_id: str | None = None
    form: Form | None = None
    xml: tuple[dict[str, str | None], Form] | None = None
    if text.lstrip(_JSON_BLANK).startswith("{"):
        read = None
        if rules.limit is None or len(text) <= rules.limit:
            read = _read_json(text, rules)
        if read is not None:
            code, message, request_id = read
            form = "json"
    elif rules.xml_fields:
        xml = _read_xml(text, rules)
    if xml is not None:
        fields, form = xml
        return ParsedErrorBody(
            code=fields.get("code"),
            message=fields.get("message"),
            request_id=fields.get("request_id"),
            host_id=fields.get("host_id"),
            resource=fields.get("resource"),
            form=form,
        )
    code_text = _as_text(code, rules.json_text)
    if rules.blank_code_is_status and not code and status is not None:
        code_text = str(status)
    message_text = _as_text(message, rules.json_text)
    if rules.blank_message_is_body and not message:
        message_text = writable(text)
    return ParsedErrorBody(code=code_text, message=message_text, request_id=request_id, form=form)
