"""A DWR v3 error body read as ``huaweicloudsdkcore`` reads it (3.1.219).

``DefaultExceptionHandler`` of the SDK, step by step:

1. The body is parsed as JSON. If it is an object, the first *pair* present wins:
   ``error_code`` + ``error_msg``, else ``errorCode`` + ``errorMsg``, else ``code`` +
   ``message`` (a lone ``error_code`` without ``error_msg`` is not a pair). Without a
   pair at the top level, every value that is itself an object is read the same way,
   in order, the later ones overriding (``{"error": {"code": ..., "message": ...}}``).
2. A body that is not JSON, or JSON but not an object, is the message.
3. An empty code (missing, ``null``, ``""``, ``0``, ``false``) becomes the HTTP status
   as text; an empty message becomes the whole body text.

Where we differ (listed in ``docs/dwr-v3.md``): a code or message that is not a
string reads as its JSON text (``123`` -> ``"123"``, the SDK keeps the int), and the
body's top-level ``request_id`` is kept for the case the answer has no
``X-Request-Id`` header (the SDK then has none).
"""

from __future__ import annotations

import json

from ..errors import ParsedErrorBody

__all__ = ["ERROR_KEY_PAIRS", "read_dwr_error_body"]

ERROR_KEY_PAIRS: tuple[tuple[str, str], ...] = (
    ("error_code", "error_msg"),
    ("errorCode", "errorMsg"),
    ("code", "message"),
)
"""The (code, message) key pairs the SDK tries, in its order."""


def _pick(data: dict[str, object], found: list[object]) -> None:
    """``_process_sdk_error``: ``found`` is ``[code, message]``, updated in place."""
    for code_key, message_key in ERROR_KEY_PAIRS:
        if code_key in data and message_key in data:
            found[0] = data[code_key]
            found[1] = data[message_key]
            return
    for value in data.values():
        if isinstance(value, dict):
            _pick(value, found)


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):  # pragma: no cover - JSON values only
        return str(value)


def read_dwr_error_body(body: str, status: int) -> ParsedErrorBody:
    """``code``, ``message`` and the body's ``request_id`` of a v3 error answer, with the
    SDK's precedence and fallbacks (see the module docstring). Never raises."""
    found: list[object] = [None, None]
    request_id: str | None = None
    try:
        data: object = json.loads(body)
        if isinstance(data, dict):
            _pick(data, found)
            rid = data.get("request_id")
            request_id = rid if isinstance(rid, str) and rid else None
        else:
            found[1] = body
    except ValueError:  # not JSON
        found[1] = body
    except RecursionError:  # nested deeper than the stack: the SDK keeps what it read
        found[1] = body
    code = _as_text(found[0]) if found[0] else str(status)
    message = _as_text(found[1]) if found[1] else body
    return ParsedErrorBody(code=code, message=message, request_id=request_id)
