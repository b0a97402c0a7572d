"""How a DWR v3 error body is read: ``huaweicloudsdkcore``'s rules (3.1.219), as data
for the one error-body reader (``obs_workflow_async._error_body``).

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
``X-Request-Id`` header (the SDK then has none). A lone surrogate reads as U+FFFD.
"""

from __future__ import annotations

from .._error_body import ErrorBodyRules, ParsedErrorBody, read_error_body

__all__ = ["DWR_ERROR_BODY_RULES", "ERROR_KEY_PAIRS", "read_dwr_error_body"]

ERROR_KEY_PAIRS: tuple[tuple[str, str], ...] = (
    ("error_code", "error_msg"),
    ("errorCode", "errorMsg"),
    ("code", "message"),
)
"""The (code, message) key pairs the SDK tries, in its order."""

DWR_ERROR_BODY_RULES = ErrorBodyRules(
    pairs=ERROR_KEY_PAIRS,
    pairs_together=True,
    search_nested=True,
    request_id_strings_only=True,
    json_text="json",
    blank_code_is_status=True,
    blank_message_is_body=True,
)
"""The SDK's reading (module docstring): JSON only, no XML, no size limit."""


def read_dwr_error_body(body: str, status: int) -> ParsedErrorBody:
    """``code``, ``message`` and the body's ``request_id`` of a v3 error answer, with the
    SDK's precedence and fallbacks (see the module docstring). Never raises."""
    return read_error_body(body, DWR_ERROR_BODY_RULES, status=status)
