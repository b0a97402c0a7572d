"""How a :class:`~obs_workflow_async._pipeline.RequestSpec` becomes a signed DWR v3
(or IAM) request: hosts by region, the path as the SDK encodes it, the sorted query,
and the ``SDK-HMAC-SHA256`` headers of :mod:`.signing`."""

from __future__ import annotations

import hashlib
from datetime import datetime
from urllib.parse import urlsplit

from yarl import URL

from .._config import Endpoint
from .._dates import PerSecond
from .._pipeline import RequestSpec
from .._signing import MacKey
from ..credentials import Credentials
from ..errors import ParsedErrorBody
from . import signing
from .error_body import read_dwr_error_body

__all__ = [
    "DWR_REGION_HOSTS",
    "DwrDialect",
    "dwr_endpoint_for_region",
    "iam_endpoint_for_region",
    "sdk_host",
]

DWR_REGION_HOSTS: dict[str, str] = {
    "cn-south-1": "https://dwr.cn-south-1.myhuaweicloud.com",
    "cn-southwest-2": "https://dwr-lms.cn-southwest-2.myhuaweicloud.com",
    "cn-north-11": "https://dwr-lms.cn-north-11.myhuaweicloud.com",
    "cn-north-9": "https://dwr-lms.cn-north-9.myhuaweicloud.com",
    "cn-east-3": "https://dwr-lms.cn-east-3.myhuaweicloud.com",
}
"""``huaweicloudsdkdwr.v3.region.DwrRegion`` (3.1.219): region id -> endpoint."""

_URL_CACHE_SIZE = 1024
_sha256 = hashlib.sha256
_EMPTY = signing.EMPTY_BODY_HASH


def dwr_endpoint_for_region(region: str) -> str | None:
    """The SDK's DWR endpoint for ``region``, or ``None`` for a region it does not list."""
    return DWR_REGION_HOSTS.get(region)


def iam_endpoint_for_region(region: str) -> str:
    """The IAM endpoint the SDK asks for the project id of ``region``."""
    return f"https://iam.{region}.myhuaweicloud.com"


def sdk_host(server: str) -> str:
    """The ``Host`` the SDK sends and signs for an endpoint: its network location exactly
    as written (``urlparse(endpoint).netloc``), so an explicit ``:443`` or ``:80`` stays
    and the case is kept; a bare ``host[:port]`` is read as ``https://host[:port]``."""
    text = server.strip()
    if "://" not in text:
        text = "https://" + text
    return urlsplit(text).netloc


def spec_path(spec: RequestSpec) -> str:
    """The encoded path: each segment of ``spec.key`` as the SDK substitutes path
    parameters (``quote(value, safe="")``); the names are validated to hold no ``/``."""
    return "/" + "/".join(signing.quote_path_param(part) for part in spec.key.split("/"))


class DwrDialect:
    """DWR v3 (and IAM) requests: ``SDK-HMAC-SHA256`` headers as ``huaweicloudsdkcore``
    builds them.

    Signed: ``Content-Type`` (every method, as the SDK), ``Host`` (the endpoint's
    network location as written, :func:`sdk_host`), ``User-Agent``,
    ``X-Project-Id`` (when ``project_id`` is set), ``X-Sdk-Date`` and
    ``X-Security-Token`` (temporary credentials). The query of a spec is already in
    the SDK's order and spelling (:func:`.signing.query_pairs`); it is sent as signed.
    """

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        user_agent: str,
        project_id: str | None = None,
        content_type: bool = True,
        host: str | None = None,
    ) -> None:
        self._origin = endpoint.origin
        self._host = endpoint.host_header if host is None else host
        self._user_agent = user_agent
        self.project_id = project_id
        self._content_type = content_type
        self._urls: dict[tuple[str, tuple[tuple[str, str | None], ...]], tuple[URL, str, str]] = {}
        self._sdk_date = PerSecond(signing.format_sdk_date).text
        """The date text of ``now``, formatted once per second."""
        self._fixed: tuple[str | None, str, str, dict[str, str]] | None = None
        self._heads: dict[tuple[str, str, tuple[tuple[str, str | None], ...]], str] = {}
        self._key: MacKey | None = None

    @staticmethod
    def read_error_body(body: str, status: int) -> ParsedErrorBody:
        """An error answer's body, read as ``huaweicloudsdkcore`` reads it
        (:func:`obs_workflow_async.dwr.error_body.read_dwr_error_body`)."""
        return read_dwr_error_body(body, status)

    @staticmethod
    def _pairs(spec: RequestSpec) -> list[tuple[str, str]]:
        return [(k, "" if v is None else v) for k, v in spec.query]

    def _url_and_path(self, spec: RequestSpec) -> tuple[URL, str, str]:
        """URL, encoded path and the canonical request's ``METHOD\\nURI\\nQUERY\\n``
        head of one request shape (cached: the same few paths recur)."""
        cache_key = (spec.key, spec.query)
        cached = self._urls.get(cache_key)
        if cached is None:
            path = spec_path(spec)
            query = signing.canonical_query(self._pairs(spec))
            url = URL(self._origin + path + ("?" + query if query else ""), encoded=True)
            if len(self._urls) >= _URL_CACHE_SIZE:
                self._urls.clear()
            head = f"{signing.canonical_uri(path)}\n{query}\n"
            cached = self._urls[cache_key] = (url, path, head)
        return cached

    def url_for(self, spec: RequestSpec) -> URL:
        """The request URL for ``spec`` on the v3 endpoint, encoded exactly as signed.

        :param spec: The request (method, path, query).
        """
        return self._url_and_path(spec)[0]

    def _fixed_lines(self) -> tuple[str | None, str, str, dict[str, str]]:
        """The canonical lines of the headers signed before ``x-sdk-date`` (sorted:
        ``content-type``, ``host``, ``user-agent``, ``x-project-id``), their names and
        the headers themselves, for the current project id (it is set once discovered)."""
        fixed = self._fixed
        if fixed is None or fixed[0] != self.project_id:
            lines = ""
            names = ""
            headers: dict[str, str] = {}
            if self._content_type:
                lines += "content-type:application/json\n"
                names += "content-type;"
                headers["Content-Type"] = "application/json"
            lines += f"host:{self._host.strip()}\nuser-agent:{self._user_agent.strip()}\n"
            names += "host;user-agent;"
            headers["Host"] = self._host
            headers["User-Agent"] = self._user_agent
            if self.project_id is not None:
                lines += f"x-project-id:{self.project_id.strip()}\n"
                names += "x-project-id;"
                headers["X-Project-Id"] = self.project_id
            fixed = self._fixed = (self.project_id, lines, names + "x-sdk-date", headers)
        return fixed

    def _canonical_head(self, spec: RequestSpec) -> str:
        """The canonical request's ``METHOD\nURI\nQUERY\n`` of one request shape
        (cached: the same few paths recur)."""
        cache_key = (spec.method, spec.key, spec.query)
        head = self._heads.get(cache_key)
        if head is None:
            if len(self._heads) >= _URL_CACHE_SIZE:
                self._heads.clear()
            head = self._heads[cache_key] = f"{spec.method.upper()}\n{self._url_and_path(spec)[2]}"
        return head

    def headers(self, spec: RequestSpec, now: datetime, credentials: Credentials) -> dict[str, str]:
        """The ``SDK-HMAC-SHA256`` signed headers of one attempt at ``now``.

        The header names are fixed, so the canonical request is built from per-shape
        and per-client parts, exactly as :func:`.signing.sign` builds it from the
        headers (``tests/dwr/test_dialect_fast.py`` holds the two equal).

        :param spec: The request (method, path, query, body).
        :param now: The moment of the attempt (``X-Sdk-Date``).
        :param credentials: The keys to sign with.
        """
        fixed = self._fixed
        if fixed is None or fixed[0] != self.project_id:
            fixed = self._fixed_lines()
        _, lines, names, fixed_headers = fixed
        headers = fixed_headers.copy()  # in the order sent: the fixed ones first
        date = headers["X-Sdk-Date"] = self._sdk_date(now)
        lines += f"x-sdk-date:{date}\n"
        token = credentials.security_token
        if token:
            headers["X-Security-Token"] = token
            lines += f"x-security-token:{token.strip()}\n"
            names += ";x-security-token"
        head = self._heads.get((spec.method, spec.key, spec.query)) or self._canonical_head(spec)
        body = spec.body
        canonical = f"{head}{lines}\n{names}\n{_sha256(body).hexdigest() if body else _EMPTY}"
        digest = _sha256(canonical.encode()).hexdigest()
        key = self._key
        if key is None or key.secret != credentials.secret_access_key:
            key = self._key = MacKey(credentials.secret_access_key, "sha256")
        sig = key.hexdigest(f"{signing.ALGORITHM}\n{date}\n{digest}".encode())
        headers["Authorization"] = (
            f"{signing.ALGORITHM} Access={credentials.access_key_id}, "
            f"SignedHeaders={names}, Signature={sig}"
        )
        return headers
