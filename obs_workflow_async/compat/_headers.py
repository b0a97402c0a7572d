"""The SDK's ``GetResult.header`` and error fields, as esdk-obs-python 3.26.6 builds them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from .._error_body import xml_text
from ..errors import ERROR_BODY_RULES, parse_error_body

__all__ = ["SdkErrorFields", "compat_headers", "header_request_id", "lowered", "sdk_error_fields"]

# const.ALLOWED_RESPONSE_HTTP_HEADER_METADATA_NAMES of esdk-obs-python 3.26.6.
_KEPT_HEADERS = frozenset(
    {
        "content-type",
        "content-md5",
        "checksum-crc64ecma",
        "content-length",
        "content-language",
        "expires",
        "origin",
        "cache-control",
        "content-disposition",
        "content-encoding",
        "x-default-storage-class",
        "location",
        "date",
        "etag",
        "host",
        "last-modified",
        "content-range",
        "x-reserved",
        "access-control-allow-origin",
        "access-control-allow-headers",
        "access-control-max-age",
        "access-control-allow-methods",
        "access-control-expose-headers",
        "connection",
        "x-reserved-indicator",
        "x-oef-request-id",
    }
)
# (prefix, whether the rest of the name is URL-decoded too), in the SDK's order.
_PREFIXES = (("x-amz-meta-", True), ("x-amz-", False), ("x-obs-meta-", True), ("x-obs-", False))


def lowered(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-case names; of repeated headers the last value wins, at the first's place."""
    return {name.lower(): value for name, value in headers.items()}


def compat_headers(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """The SDK's ``GetResult.header``: allow-listed names as they are; ``x-obs-*`` and
    ``x-amz-*`` with the prefix stripped and the value URL-decoded (``x-obs-meta-*`` and
    ``x-amz-meta-*``: the name too); everything else (``X-Request-ID`` included) dropped.
    Repeated headers: the last value wins."""
    result: list[tuple[str, str]] = []
    for name, value in lowered(headers).items():
        if name in _KEPT_HEADERS:
            result.append((name, value))
            continue
        for prefix, decode_name in _PREFIXES:
            if name.startswith(prefix):
                rest = name[len(prefix) :]
                result.append((unquote(rest) if decode_name else rest, unquote(value)))
                break
    return result


@dataclass(frozen=True, slots=True)
class SdkErrorFields:
    """What the SDK reads from an error answer's body."""

    code: str | None = None
    message: str | None = None
    request_id: str | None = None
    host_id: str | None = None
    resource: str | None = None
    body: str | None = None


def sdk_error_fields(text: str) -> SdkErrorFields:
    """The SDK's error parsing of ``text``, whatever the ``Content-Type``.

    The fields are read by the same function as the typed errors' (the client's
    ``parse_error_body``), so ``GetResult.errorCode`` and ``APIStatusError.code`` of one
    answer never differ. JSON ``{code, message, request_id}`` (or the DWR form
    ``{error_code, error_msg}``, which the SDK does not read): ``body`` is the text.
    XML ``<Error><Code/><Message/><RequestId/><HostId/><Resource/></Error>`` read as the
    SDK reads it (ElementTree: the root's first child of each name, entities decoded,
    CDATA as text, comments dropped), and ``body`` is the text without its
    ``xmlns="http..."`` attribute, as the SDK gives it. A body with a DTD is not read
    (no entity expansion); one cut short gives the fields before the cut (the SDK:
    none). Anything else: no fields, ``body`` the text (the SDK gives ``None``). An
    empty answer: ``body`` is ``None``. Never raises.

    :param text: The error answer's body, decoded.
    :returns: The fields the SDK would read, and the body as it gives it.
    """
    if not text:
        return SdkErrorFields()
    parsed = parse_error_body(text)
    body = xml_text(text, ERROR_BODY_RULES) if parsed.form in ("xml", "xml-cut") else text
    return SdkErrorFields(
        code=parsed.code,
        message=parsed.message,
        request_id=parsed.request_id,
        host_id=parsed.host_id,
        resource=parsed.resource,
        body=body,
    )


def header_request_id(headers: Mapping[str, str]) -> str | None:
    """The SDK's order (``x-obs-request-id``, ``x-amz-request-id``), then ``X-Request-ID``
    (which the SDK ignores; the Data+ documentation shows it on every answer)."""
    return (
        headers.get("x-obs-request-id")
        or headers.get("x-amz-request-id")
        or headers.get("x-request-id")
    )
