"""``SDK-HMAC-SHA256`` (API gateway AK/SK) signing as pure functions.

Byte-identical to ``huaweicloudsdkcore.signer.Signer`` (3.1.219), step by step:

1. ``X-Sdk-Date`` (``YYYYMMDDTHHMMSSZ``, UTC) and ``Host`` are part of the headers;
   so are ``X-Project-Id`` and ``X-Security-Token`` when present.
2. Signed headers: every header name, lower-cased and sorted, **skipping names that
   contain ``_``**.
3. Canonical request: ``METHOD``, the canonical URI (each segment of the
   *unquoted* path quoted with ``safe="~"``, plus a trailing ``/`` that is never
   sent), the canonical query (sorted pairs, see :func:`query_pairs`), one
   ``name:value.strip()`` line per signed header, the signed names joined with
   ``;``, and the hex SHA-256 of the body (of ``b""`` when there is none).
4. String to sign: ``SDK-HMAC-SHA256``, the ``X-Sdk-Date`` value, the hex SHA-256
   of the canonical request, joined by newlines.
5. Signature: hex HMAC-SHA256 keyed by the secret key.

The wire query *is* the canonical query (the SDK sends it that way), and path
parameters are quoted with ``safe=""`` (:func:`quote_path_param`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import NamedTuple
from urllib.parse import quote, unquote

from .._signing import UNRESERVED

__all__ = [
    "ALGORITHM",
    "EMPTY_BODY_HASH",
    "QueryScalar",
    "QueryValue",
    "SignedRequest",
    "authorization",
    "canonical_headers",
    "canonical_query",
    "canonical_request",
    "canonical_uri",
    "format_sdk_date",
    "payload_hash",
    "query_pairs",
    "quote_path_param",
    "sign",
    "sign_headers",
    "signature",
    "signed_header_names",
    "string_to_sign",
]

ALGORITHM = "SDK-HMAC-SHA256"
EMPTY_BODY_HASH = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

QueryScalar = str | int | float | bool
QueryValue = QueryScalar | Sequence[QueryScalar]
"""A query value as the SDK takes it: a scalar, or a list sent as repeated keys."""


def format_sdk_date(now: datetime) -> str:
    """The ``X-Sdk-Date`` text of ``now`` (naive values are taken as UTC).

    :param now: The moment the request is signed at.
    """
    if now.tzinfo is not None:
        now = now.astimezone(timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ")


def _url_encode(text: str) -> str:
    return text if UNRESERVED.fullmatch(text) else quote(text, safe="~")


def quote_path_param(value: object) -> str:
    """A path parameter as the SDK substitutes it: ``quote(str(value), safe="")``.

    :param value: The parameter (a name, an id), before encoding.
    """
    text = str(value)
    return text if UNRESERVED.fullmatch(text) else quote(text, safe="")


def canonical_uri(path: str) -> str:
    """The canonical URI of an encoded ``path``: each segment of ``unquote(path)`` quoted
    with ``safe="~"``, and a trailing ``/`` (signed, never sent)."""
    uri = "/".join(_url_encode(segment) for segment in unquote(path).split("/"))
    return uri if uri.endswith("/") else uri + "/"


def _scalar_text(value: QueryScalar) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def query_pairs(params: Iterable[tuple[str, QueryValue]]) -> list[tuple[str, str]]:
    """The query as the SDK orders and spells it: pairs sorted by (key, value); a
    list becomes repeated keys with its values sorted; ``bool`` is ``true``/``false``
    (inside a list it stays ``True``/``False``, as in the SDK); other values are
    ``str(value)``, so an empty string gives ``key=``.

    :param params: ``(key, value)`` pairs; a value may be a scalar or a list.
    """
    pairs: list[tuple[str, str]] = []
    for key, value in sorted(params, key=_sort_key):
        if isinstance(value, str | bool | int | float):
            pairs.append((key, _scalar_text(value)))
        else:
            pairs.extend((key, str(item)) for item in sorted(value))
    return pairs


def _sort_key(pair: tuple[str, QueryValue]) -> tuple[str, object]:
    # The SDK sorts the (key, value) pairs before sorting any list value.
    key, value = pair
    if isinstance(value, str | bool | int | float):
        return (key, value)
    return (key, list(value))


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    """``k=v`` pairs (from :func:`query_pairs`) quoted with ``safe="~"``, joined by ``&``;
    also the query string as sent.

    :param pairs: The query's pairs, as :func:`query_pairs` gives them.
    """
    return "&".join(f"{_url_encode(k)}={_url_encode(v)}" for k, v in pairs)


def signed_header_names(headers: Mapping[str, str]) -> list[str]:
    """Lower-cased, sorted header names, without those containing ``_``."""
    return sorted(name.lower() for name in headers if "_" not in name)


def canonical_headers(headers: Mapping[str, str], names: Sequence[str]) -> str:
    """One ``name:value`` line per signed name (values stripped), each ending in ``\\n``.

    :param headers: The request's headers.
    :param names: The signed names, as :func:`signed_header_names` gives them.
    """
    lowered = {name.lower(): str(value).strip() for name, value in headers.items()}
    return "".join(f"{name}:{lowered[name]}\n" for name in names)


def payload_hash(body: bytes | None) -> str:
    """Hex SHA-256 of the body; an empty or missing body hashes as ``b""``."""
    return hashlib.sha256(body).hexdigest() if body else EMPTY_BODY_HASH


def canonical_request(
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes | None,
    names: Sequence[str] | None = None,
) -> str:
    """The canonical request; ``path`` encoded as sent, ``query`` as :func:`query_pairs`;
    ``names``: :func:`signed_header_names` of ``headers`` when the caller has them.

    :param method: The HTTP method (upper-cased here).
    :param path: The request path, encoded as sent.
    :param query: The query parameters, as :func:`query_pairs` gives them.
    :param headers: The headers to sign, by name.
    :param body: The body sent; ``None`` or empty: none.
    :param names: The signed header names, sorted lower-case; ``None``: computed from
        ``headers``.
    :returns: The canonical request text the signature is computed over.
    """
    if names is None:
        names = signed_header_names(headers)
    return "\n".join(
        (
            method.upper(),
            canonical_uri(path),
            canonical_query(query),
            canonical_headers(headers, names),
            ";".join(names),
            payload_hash(body),
        )
    )


def string_to_sign(canonical: str, sdk_date: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{sdk_date}\n{digest}"


def signature(secret_access_key: str, to_sign: str) -> str:
    key = secret_access_key.encode("utf-8")
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(access_key_id: str, names: Sequence[str], sig: str) -> str:
    """The ``Authorization`` header's value.

    :param access_key_id: The access key.
    :param names: The signed header names (:func:`signed_header_names`).
    :param sig: The hex signature (:func:`signature`).
    """
    return f"{ALGORITHM} Access={access_key_id}, SignedHeaders={';'.join(names)}, Signature={sig}"


class SignedRequest(NamedTuple):
    """The intermediate texts of one signature (for debugging and tests)."""

    canonical_request: str
    string_to_sign: str
    signature: str
    authorization: str


def sign(
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    access_key_id: str,
    secret_access_key: str,
) -> SignedRequest:
    """Sign a request whose ``headers`` already hold ``Host`` and ``X-Sdk-Date``."""
    sdk_date = next((v for k, v in headers.items() if k.lower() == "x-sdk-date"), None)
    if sdk_date is None:
        raise ValueError("X-Sdk-Date header is required")
    names = signed_header_names(headers)
    canonical = canonical_request(method, path, query, headers, body, names)
    to_sign = string_to_sign(canonical, sdk_date)
    sig = signature(secret_access_key, to_sign)
    return SignedRequest(canonical, to_sign, sig, authorization(access_key_id, names, sig))


def sign_headers(
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    access_key_id: str,
    secret_access_key: str,
) -> dict[str, str]:
    """``headers`` plus the ``Authorization`` header."""
    signed = sign(
        method,
        path,
        query,
        headers,
        body,
        access_key_id=access_key_id,
        secret_access_key=secret_access_key,
    )
    return {**headers, "Authorization": signed.authorization}
