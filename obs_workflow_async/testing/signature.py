"""Signature checking of the fake server, as the service does it: the ``Date`` skew,
the access key, the security token, and the ``Authorization`` header recomputed with
:mod:`obs_workflow_async._signing` (OBS, V2 or V4, path or virtual-host style)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import unquote

from .. import _signing as signing

__all__ = ["check_date", "split_raw_path", "verify_signature"]


def check_date(date_text: str | None, max_skew_seconds: float) -> datetime | tuple[str, str]:
    """The request time from the ``Date`` header, or the ``(code, message)`` the service
    refuses the request with (missing, malformed, or too far from now)."""
    if date_text is None:
        return "AccessDenied", "the Date header is missing"
    try:
        sent = parsedate_to_datetime(date_text)
    except (TypeError, ValueError):
        return "AccessDenied", "the Date header is malformed"
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=timezone.utc)
    skew = abs((datetime.now(timezone.utc) - sent).total_seconds())
    if skew > max_skew_seconds:
        return (
            "RequestTimeTooSkewed",
            "the difference between the request time and now is too large",
        )
    return sent


def split_raw_path(raw_path: str) -> tuple[str, tuple[tuple[str, str | None], ...]]:
    """The percent-decoded path and query pairs of a raw request target (``None``: a
    parameter without ``=``)."""
    path, _, query = raw_path.partition("?")
    pairs: list[tuple[str, str | None]] = []
    for part in query.split("&") if query else ():
        key, eq, value = part.partition("=")
        pairs.append((unquote(key), unquote(value) if eq else None))
    return unquote(path), tuple(pairs)


def verify_signature(
    *,
    method: str,
    raw_path: str,
    headers: Mapping[str, str],
    access_key_id: str,
    secret_access_key: str,
    security_token: str | None,
    region: str,
    now: datetime,
    bucket: str | None = None,
) -> tuple[str, str] | None:
    """Check ``Authorization`` the way the service does; return ``(code, message)`` or None.

    ``bucket`` is the bucket named by the Host header (virtual-host style); a
    path-style bucket is simply the first path segment and needs nothing special.

    :param method: The request's HTTP method.
    :param raw_path: The path and query as received, still percent-encoded.
    :param headers: The request's headers.
    :param access_key_id: The access key the server accepts.
    :param secret_access_key: Its secret key.
    :param security_token: The token temporary keys must carry; ``None``: none.
    :param region: The region a ``v4`` signature must name.
    :param now: The server's time, against which the request's date is checked.
    :param bucket: The bucket named by the Host header; ``None``: none.
    :returns: ``None`` if the signature is valid, else the service's error
        ``(code, message)``.
    """
    authorization = headers.get("Authorization")
    if authorization is None:
        return "AccessDenied", "the request is not signed"
    path, query = split_raw_path(raw_path)
    key = path[1:]
    mode: signing.SignatureMode
    if authorization.startswith("OBS "):
        mode, claimed_ak = "obs", authorization[4:].partition(":")[0]
    elif authorization.startswith("AWS "):
        mode, claimed_ak = "v2", authorization[4:].partition(":")[0]
    elif authorization.startswith("AWS4-HMAC-SHA256 "):
        mode = "v4"
        claimed_ak = authorization.split("Credential=", 1)[-1].split("/", 1)[0]
    else:
        return "AccessDenied", "unknown authorization scheme"
    if claimed_ak != access_key_id:
        return "InvalidAccessKeyId", "the access key id does not exist"
    token_header = signing.security_token_header(mode)
    if security_token is not None and headers.get(token_header) != security_token:
        return "InvalidToken", "the security token is missing or wrong"
    if mode == "v4":
        signed = authorization.split("SignedHeaders=", 1)[-1].split(",", 1)[0].split(";")
        lowered = {k.lower(): v for k, v in headers.items()}
        signed_headers = {name: lowered.get(name, "") for name in signed}
    else:
        signed_headers = dict(headers)
    expected = signing.sign(
        signing.SigningRequest(
            method=method, key=key, headers=signed_headers, query=query, bucket=bucket
        ),
        access_key_id=access_key_id,
        secret_access_key=secret_access_key,
        mode=mode,
        now=now,
        region=region,
    )
    if expected != authorization:
        return "SignatureDoesNotMatch", "the request signature we calculated does not match"
    return None
