"""Request signing, byte-identical with ``esdk-obs-python`` 3.26.x.

Pure functions only: no I/O, no clock, no globals that change (the canonical
resource of a request shape is memoised). The caller passes the time in, so the
same inputs always give the same ``Authorization`` header.

Three modes, chosen with :data:`SignatureMode`:

``"obs"``
    HMAC-SHA1 over the OBS StringToSign, header ``OBS <AK>:<signature>``;
    ``x-obs-*`` headers (``x-obs-security-token`` included) are signed.
``"v2"``
    The same algorithm with the ``AWS`` prefix and ``x-amz-*`` headers.
``"v4"``
    AWS4-HMAC-SHA256 over a canonical request that signs every header present
    at signing time, with ``x-amz-content-sha256: UNSIGNED-PAYLOAD``.

See ``docs/signing.md`` for the exact strings and the spec section they follow.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from functools import lru_cache
from typing import Literal, NamedTuple
from urllib.parse import quote

__all__ = [
    "ALLOWED_RESOURCE_PARAMETER_NAMES",
    "SignatureMode",
    "SigningRequest",
    "canonical_resource",
    "encode_object_key",
    "encode_query",
    "format_http_date",
    "obs_string_to_sign",
    "MacKey",
    "obs_authorization",
    "sign",
    "v4_canonical_request",
]

SignatureMode = Literal["obs", "v2", "v4"]
"""The three signing modes the official SDK offers."""

QueryItems = Sequence[tuple[str, "str | None"]]
"""Query arguments in insertion order; ``None`` means a key without a value."""

# const.ALLOWED_RESOURCE_PARAMTER_NAMES of esdk-obs-python 3.26.6: the query keys that
# take part in the OBS/V2 canonical resource (besides keys with the header prefix).
ALLOWED_RESOURCE_PARAMETER_NAMES: frozenset[str] = frozenset(
    {
        "acl",
        "backtosource",
        "policy",
        "torrent",
        "logging",
        "location",
        "storageinfo",
        "quota",
        "storageclass",
        "storagepolicy",
        "requestpayment",
        "versions",
        "versioning",
        "versionid",
        "uploads",
        "uploadid",
        "partnumber",
        "website",
        "notification",
        "dispolicy",
        "lifecycle",
        "deletebucket",
        "delete",
        "cors",
        "restore",
        "tagging",
        "replication",
        "metadata",
        "encryption",
        "publicaccessblock",
        "bucketstatus",
        "policystatus",
        "x-obs-accesslabel",
        "inventory",
        "obscompresspolicy",
        "object-lock",
        "retention",
        "directcoldaccess",
        "append",
        "position",
        "truncate",
        "modify",
        "rename",
        "length",
        "name",
        "fileinterface",
        "response-content-type",
        "response-content-language",
        "response-expires",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "x-image-save-bucket",
        "x-image-save-object",
        "x-image-process",
        "x-oss-process",
        "x-workflow-prefix",
        "x-workflow-start",
        "x-workflow-limit",
        "x-workflow-template-name",
        "x-workflow-graph-name",
        "x-workflow-execution-state",
        "x-workflow-execution-type",
        "x-workflow-next-marker",
        "obsworkflowtriggerpolicy",
        "obsbucketalias",
        "obsalias",
    }
)

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
V4_UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


class SigningRequest(NamedTuple):
    """What the signature covers, in the official SDK's terms.

    ``key`` is the *unencoded* resource path without its leading slash, e.g.
    ``"v2/workflows/my-graph"``; ``bucket`` is set only for bucket-addressed calls
    (virtual-host style, like the trigger-policy calls). ``headers`` are the request
    headers present at signing time (for v4 that includes ``Host`` and
    ``Content-Length``).
    """

    method: str
    key: str
    headers: Mapping[str, str]
    query: QueryItems = ()
    bucket: str | None = None
    path_style: bool = False
    """Bucket in the path (``/bucket``) instead of the host; the SDK uses it for IP servers."""


def header_prefix(mode: SignatureMode) -> str:
    """``x-obs-`` for the OBS mode, ``x-amz-`` for V2 and V4."""
    return "x-obs-" if mode == "obs" else "x-amz-"


def format_http_date(now: datetime) -> str:
    """RFC 1123 date in GMT, independent of the process locale (unlike ``strftime``)."""
    utc = now.astimezone(timezone.utc) if now.tzinfo is not None else now
    return (
        f"{_DAYS[utc.weekday()]}, {utc.day:02d} {_MONTHS[utc.month - 1]} {utc.year:04d} "
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d} GMT"
    )


UNRESERVED_PATH = re.compile(r"[A-Za-z0-9_.~/-]*")
"""Text ``quote`` returns as it is whenever ``/`` is safe: ASCII letters and digits,
``_.-~`` (always safe) and ``/``."""
UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")
"""Text ``quote`` returns as it is, whatever ``safe`` says."""


def _quote_path(text: str) -> str:
    """``quote(text, safe="/")`` (the common text, unreserved, taken as it is)."""
    return text if UNRESERVED_PATH.fullmatch(text) else quote(text, safe="/")


def encode_object_key(key: str) -> str:
    """Percent-encode a resource path the way the SDK does (``quote(safe='/~')``)."""
    return key if UNRESERVED_PATH.fullmatch(key) else quote(key, safe="/~")


def encode_query(query: QueryItems) -> str:
    """The query string as the SDK puts it on the wire.

    Keys without a value come first, then ``key=value`` pairs in insertion order;
    keys are encoded with ``safe='/'``, values with ``safe='/'``. Returns ``""`` for no
    arguments, otherwise a string starting with ``?``.
    """
    bare = [_quote_path(k) for k, v in query if v is None]
    pairs = [f"{_quote_path(k)}={_quote_path(v)}" for k, v in query if v is not None]
    if not bare and not pairs:
        return ""
    return "?" + "&".join(bare + pairs)


def canonical_resource(request: SigningRequest, mode: SignatureMode) -> str:
    """The OBS/V2 CanonicalizedResource: path plus the signed sub-resources."""
    return _canonical_resource(
        request.bucket, request.key, tuple(request.query), request.path_style, mode
    )


@lru_cache(maxsize=1024)
def _canonical_resource(
    bucket: str | None,
    key: str,
    query: tuple[tuple[str, str | None], ...],
    path_style: bool,
    mode: SignatureMode,
) -> str:
    """:func:`canonical_resource` of one request shape (memoised: the same few paths
    recur, and the result depends on nothing else)."""
    uri = ""
    if bucket:
        uri = "/" + bucket + ("" if path_style else "/")
    if key:
        if not uri.endswith("/"):
            uri += "/"
        uri += encode_object_key(key)
    resource = uri or "/"
    if query:
        prefix = header_prefix(mode)
        parts: list[str] = []
        for name, value in sorted(query, key=lambda kv: kv[0]):
            lowered = name.lower()
            if lowered in ALLOWED_RESOURCE_PARAMETER_NAMES or lowered.startswith(prefix):
                encoded = _quote_path(name)
                parts.append(encoded if value is None else f"{encoded}={value}")
        # The SDK appends "?" and drops the last character, so an all-filtered
        # query leaves nothing behind.
        if parts:
            resource += "?" + "&".join(parts)
    return resource


def obs_string_to_sign(request: SigningRequest, mode: SignatureMode) -> str:
    """The StringToSign of the OBS and V2 modes (spec section 1.3).

    The SDK lower-cases the header names, keeps ``content-md5``, ``content-type``,
    ``date`` (blank when ``x-obs-date``/``x-amz-date`` is present) and the prefixed
    headers, and sorts them; since ``content-md5 < content-type < date < x-...``
    that is always ``METHOD\nMD5\nTYPE\nDATE\n`` followed by the sorted prefixed
    headers as ``name:value`` lines (``*-meta-*`` values stripped).
    """
    prefix = header_prefix(mode)
    content_md5 = content_type = date = ""
    prefixed: dict[str, str] = {}
    for name, value in request.headers.items():
        lowered = name.lower()
        if lowered == "content-type":
            content_type = value
        elif lowered == "content-md5":
            content_md5 = value
        elif lowered == "date":
            date = value
        elif lowered.startswith(prefix):
            prefixed[lowered] = value
    if prefix + "date" in prefixed:
        date = ""
    head = f"{request.method}\n{content_md5}\n{content_type}\n{date}\n"
    if prefixed:
        meta_prefix = prefix + "meta-"
        head += "".join(
            f"{name}:{prefixed[name].strip() if name.startswith(meta_prefix) else prefixed[name]}\n"
            for name in sorted(prefixed)
        )
    return head + canonical_resource(request, mode)


def v4_canonical_request(request: SigningRequest) -> tuple[str, str]:
    """The V4 canonical request and its SignedHeaders list."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    names = sorted(headers)
    signed_headers = ";".join(names)
    uri = "/" + request.bucket if request.path_style and request.bucket else ""
    if request.key:
        uri += "/" + request.key
    uri = uri or "/"
    query = "&".join(
        f"{quote(k, safe='/')}={quote(v or '', safe='')}"
        for k, v in sorted(request.query, key=lambda kv: kv[0])
    )
    canonical_headers = "".join(f"{name}:{headers[name]}\n" for name in names)
    canonical = "\n".join(
        [
            request.method,
            encode_object_key(uri),
            query,
            canonical_headers,
            signed_headers,
            V4_UNSIGNED_PAYLOAD,
        ]
    )
    return canonical, signed_headers


def _hmac_sha256(key: bytes, message: str) -> bytes:
    return hmac.digest(key, message.encode("utf-8"), "sha256")


def sign(
    request: SigningRequest,
    *,
    access_key_id: str,
    secret_access_key: str,
    mode: SignatureMode,
    now: datetime,
    region: str = "region",
) -> str:
    """Return the ``Authorization`` header value for ``request``.

    For ``"v4"`` the caller must already have put ``x-amz-content-sha256:
    UNSIGNED-PAYLOAD`` (see :func:`add_signing_headers`) among ``request.headers``;
    ``now`` must be the instant written into the ``Date`` header.
    """
    if mode == "v4":
        utc = now.astimezone(timezone.utc) if now.tzinfo is not None else now
        short_date = f"{utc.year:04d}{utc.month:02d}{utc.day:02d}"
        long_date = f"{short_date}T{utc.hour:02d}{utc.minute:02d}{utc.second:02d}Z"
        scope = f"{short_date}/{region}/s3/aws4_request"
        canonical, signed_headers = v4_canonical_request(request)
        string_to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256",
                long_date,
                scope,
                hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
            ]
        )
        key = _hmac_sha256(("AWS4" + secret_access_key).encode("utf-8"), short_date)
        key = _hmac_sha256(key, region)
        key = _hmac_sha256(key, "s3")
        key = _hmac_sha256(key, "aws4_request")
        signature = hmac.digest(key, string_to_sign.encode("utf-8"), "sha256").hex()
        return (
            f"AWS4-HMAC-SHA256 Credential={access_key_id}/{scope},"
            f"SignedHeaders={signed_headers},Signature={signature}"
        )
    string_to_sign = obs_string_to_sign(request, mode)
    digest = hmac.digest(secret_access_key.encode("utf-8"), string_to_sign.encode("utf-8"), "sha1")
    prefix = "OBS" if mode == "obs" else "AWS"
    return f"{prefix} {access_key_id}:{base64.b64encode(digest).decode('ascii')}"


class MacKey:
    """An HMAC key prepared once and copied for each message: the key schedule (two
    hash blocks) is paid once per secret, not once per request. Same digests as
    ``hmac.digest(secret, message, digest)``."""

    __slots__ = ("_template", "secret")

    def __init__(self, secret: str, digest: str) -> None:
        self.secret = secret
        self._template = hmac.new(secret.encode("utf-8"), digestmod=digest)

    def __repr__(self) -> str:  # never the secret
        return f"MacKey({self._template.name})"

    def digest(self, message: bytes) -> bytes:
        mac = self._template.copy()
        mac.update(message)
        return mac.digest()

    def hexdigest(self, message: bytes) -> str:
        mac = self._template.copy()
        mac.update(message)
        return mac.hexdigest()


def obs_authorization(
    mode: SignatureMode, access_key_id: str, key: MacKey, string_to_sign: str
) -> str:
    """The ``Authorization`` value of the OBS and V2 modes for a ready StringToSign
    (:func:`obs_string_to_sign`), signed with a SHA-1 :class:`MacKey` of the secret."""
    digest = key.digest(string_to_sign.encode("utf-8"))
    prefix = "OBS" if mode == "obs" else "AWS"
    # base64.b64encode(digest) without its Python frame: the same bytes
    return f"{prefix} {access_key_id}:{_b64(digest, newline=False).decode('ascii')}"


_b64 = binascii.b2a_base64


def security_token_header(mode: SignatureMode) -> str:
    """``x-obs-security-token`` or ``x-amz-security-token``."""
    return header_prefix(mode) + "security-token"


def add_signing_headers(
    mode: SignatureMode, headers: dict[str, str], security_token: str | None
) -> None:
    """Add the security-token header and the mode's own headers (v4) to ``headers``,
    as the SDK does right before signing."""
    if security_token is not None:
        headers[security_token_header(mode)] = security_token
    if mode == "v4":
        headers["x-amz-content-sha256"] = V4_UNSIGNED_PAYLOAD
