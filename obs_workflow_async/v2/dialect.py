"""The v2 (OBS-hosted) workflow API's dialect: how a request spec becomes a signed HTTP
request (OBS, V2 or V4 signatures, :mod:`._signing`), with virtual-host addressing for
bucket calls (path style for IPv4 endpoints)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime

from yarl import URL

from .. import _signing as signing
from .._config import Endpoint
from .._dates import PerSecond
from .._pipeline import RequestSpec
from ..credentials import Credentials
from ..errors import ErrorDetail, InvalidRequestError

__all__ = ["ENV_SERVER", "ObsDialect", "server_from"]

ENV_SERVER = "OBS_SERVER"


def server_from(server: str | None, environ: Mapping[str, str] | None) -> str:
    """``server`` when given, else the ``OBS_SERVER`` environment variable (read from
    ``environ`` when given, at construction, never at import).

    Raises :class:`InvalidRequestError` naming both when neither is set.
    """
    if server is None:
        env = os.environ if environ is None else environ
        server = env.get(ENV_SERVER, "").strip() or None
    if server is None:
        raise InvalidRequestError(
            [ErrorDetail("server", f"pass server= or set the {ENV_SERVER} environment variable")]
        )
    return server


_URL_CACHE_SIZE = 1024


class ObsDialect:
    """The v2 OBS-hosted workflow API: OBS, V2 or V4 signatures (:mod:`.signing`),
    virtual-host addressing for bucket calls (path style for IPv4 endpoints)."""

    def __init__(self, endpoint: Endpoint, signature: signing.SignatureMode, region: str) -> None:
        self._signature: signing.SignatureMode = signature
        self._region = region
        self._host_header = endpoint.host_header
        # Like the SDK: bucket-addressed calls to an IPv4 server put the bucket in the path.
        self._path_style = endpoint.is_ipv4
        self._origin = endpoint.origin
        self._urls: dict[tuple[str | None, str, tuple[tuple[str, str | None], ...]], URL] = {}
        self._shapes: dict[
            tuple[str, str | None, str, tuple[tuple[str, str | None], ...]], tuple[str, str, str]
        ] = {}
        self._http_date = PerSecond(signing.format_http_date).text
        """The date text of ``now``, formatted once per second."""
        self._token_header = signing.security_token_header(signature)
        self._key: signing.MacKey | None = None

    def headers(self, spec: RequestSpec, now: datetime, credentials: Credentials) -> dict[str, str]:
        if self._signature == "v4":
            return self._v4_headers(spec, now, credentials)
        # OBS and V2: the headers are always Content-Type, [Content-Length], Host, Date
        # and the optional security token, so the StringToSign is
        # METHOD\n\napplication/json\nDATE\n[x-obs-security-token:T\n]RESOURCE, exactly
        # what signing.obs_string_to_sign builds for them (tests/unit/test_dialect_fast.py).
        shape = self._shapes.get((spec.method, spec.target, spec.key, spec.query))
        host, head, resource = shape or self._shape(spec)
        date = self._http_date(now)
        headers: dict[str, str] = {"Content-Type": "application/json"}
        if spec.body is not None:
            headers["Content-Length"] = str(len(spec.body))
        headers["Host"] = host
        headers["Date"] = date
        token = credentials.security_token
        if token is None:
            to_sign = f"{head}{date}\n{resource}"
        else:
            headers[self._token_header] = token
            to_sign = f"{head}{date}\n{self._token_header}:{token}\n{resource}"
        key = self._key
        if key is None or key.secret != credentials.secret_access_key:
            key = self._key = signing.MacKey(credentials.secret_access_key, "sha1")
        headers["Authorization"] = signing.obs_authorization(
            self._signature, credentials.access_key_id, key, to_sign
        )
        return headers

    def _shape(self, spec: RequestSpec) -> tuple[str, str, str]:
        """Host header, StringToSign head (``METHOD\\n\\napplication/json\\n``) and
        canonical resource of one request shape (cached: the same few paths recur)."""
        cache_key = (spec.method, spec.target, spec.key, spec.query)
        shape = self._shapes.get(cache_key)
        if shape is None:
            host = self._host_header
            if spec.target and not self._path_style:
                host = f"{spec.target}.{host}"
            request = signing.SigningRequest(
                spec.method, spec.key, {}, spec.query, spec.target, self._path_style
            )
            resource = signing.canonical_resource(request, self._signature)
            shape = (host, f"{spec.method}\n\napplication/json\n", resource)
            if len(self._shapes) >= _URL_CACHE_SIZE:
                self._shapes.clear()
            self._shapes[cache_key] = shape
        return shape

    def _v4_headers(
        self, spec: RequestSpec, now: datetime, credentials: Credentials
    ) -> dict[str, str]:
        headers: dict[str, str] = {"Content-Type": "application/json"}
        if spec.body is not None:
            headers["Content-Length"] = str(len(spec.body))
        headers["Host"] = self._shape(spec)[0]
        headers["Date"] = self._http_date(now)
        signing.add_signing_headers(self._signature, headers, credentials.security_token)
        headers["Authorization"] = signing.sign(
            signing.SigningRequest(
                method=spec.method,
                key=spec.key,
                headers=headers,
                query=spec.query,
                bucket=spec.target,
                path_style=self._path_style,
            ),
            access_key_id=credentials.access_key_id,
            secret_access_key=credentials.secret_access_key,
            mode=self._signature,
            now=now,
            region=self._region,
        )
        return headers

    def url_for(self, spec: RequestSpec) -> URL:
        """The request URL (cached: the same few paths recur)."""
        cache_key = (spec.target, spec.key, spec.query)
        url = self._urls.get(cache_key)
        if url is None:
            origin = self._origin
            if spec.target and self._path_style:
                url = URL(origin + _path_style_path(spec), encoded=True)
            else:
                if spec.target:
                    scheme, _, rest = origin.partition("://")
                    origin = f"{scheme}://{spec.target}.{rest}"
                url = URL(origin + spec.path, encoded=True)
            if len(self._urls) >= _URL_CACHE_SIZE:
                self._urls.clear()
            self._urls[cache_key] = url
        return url


def _path_style_path(spec: RequestSpec) -> str:
    """Path and query with the bucket (the spec's ``target``) in the path
    (``/bucket[/key]``): IP endpoints, which have no virtual hosts."""
    key = "/" + signing.encode_object_key(spec.key) if spec.key else ""
    return f"/{spec.target}{key}" + signing.encode_query(spec.query)
