"""The service's error text: read (the v2 error body, as esdk-obs-python reads it) and
shown (control characters escaped). No exception classes here: :mod:`.errors` and
:mod:`._error_rules` import this module, never the reverse."""

from __future__ import annotations

import re

from ._error_body import ErrorBodyRules, ParsedErrorBody, read_error_body, writable

__all__ = [
    "ERROR_BODY_PREFIX",
    "ERROR_BODY_RULES",
    "excerpt",
    "parse_error_body",
    "visible",
]

_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
"""Control characters (C0, DEL, C1), line and paragraph separators, and the bidi
controls that can reorder what a terminal shows."""
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    short = _SHORT_ESCAPES.get(char)
    if short is not None:
        return short
    point = ord(char)
    return f"\\x{point:02x}" if point <= 0xFF else f"\\u{point:04x}"


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def visible(text: str, *, json_text: bool = False) -> str:
    """``text`` with every control character escaped (``\\r``, ``\\n``, ``\\x1b``,
    ``\\u2028``, ...), so that text from a service cannot forge a log line or drive a
    terminal. Everything else (any script, emoji) is kept as it is. With
    ``json_text``, ``text`` is one line of JSON and the escapes are JSON's (``\\u007f``),
    for what :func:`json.dumps` leaves raw (DEL, C1 controls, U+2028, bidi controls).

    :param text: The text to show.
    :param json_text: ``text`` is one line of JSON: escape as JSON does.
    """
    return _INVISIBLE.sub(_json_escape if json_text else _escape, text)


ERROR_BODY_PREFIX = 64 * 1024
"""Characters of an error body that :func:`parse_error_body` reads; the rest is ignored."""

ERROR_BODY_RULES = ErrorBodyRules(
    pairs=(("code", "message"), ("error_code", "error_msg"), ("errorCode", "errorMsg")),
    xml_fields=(
        ("code", "Code"),
        ("message", "Message"),
        ("request_id", "RequestId"),
        ("host_id", "HostId"),
        ("resource", "Resource"),
    ),
    xml_unwrap='xmlns="http.*?"',
    limit=ERROR_BODY_PREFIX,
)
"""How :func:`parse_error_body` reads a body (the v2 API's, as esdk-obs-python reads
it): JSON ``code``/``message``/``request_id`` (each field the first of its keys
present: ``code``, ``error_code``, ``errorCode``), or the XML ``<Error>`` form read
as ElementTree reads it, its first ``xmlns="http..."`` declaration removed first, as
the SDK does."""


def parse_error_body(body: str) -> ParsedErrorBody:
    """Read ``code``/``message``/``request_id`` from a JSON or XML error body.

    Accepts the v2 form ``{code, message, request_id}``, ``{error_code, error_msg}``
    and ``<Error><Code/>...</Error>`` (:data:`ERROR_BODY_RULES`, read by the one
    error-body reader, ``obs_workflow_async._error_body``: XML as ElementTree reads
    it, no DTD, a body cut short read up to the cut); anything else gives an empty
    result. Never raises, and reads at most :data:`ERROR_BODY_PREFIX` characters (a
    longer JSON body is not parsed). The fields never hold a lone surrogate (replaced
    by U+FFFD). :class:`~obs_workflow_async.compat.WorkflowClient` reads error bodies
    with the same function, so both views of an answer agree.
    """
    return read_error_body(body, ERROR_BODY_RULES)


def excerpt(body: str) -> str | None:
    """A short single-line excerpt of a non-JSON, non-XML body (a proxy's HTML page)."""
    words = body[:8192].split()
    return writable(" ".join(words)[:200]) if words else None
