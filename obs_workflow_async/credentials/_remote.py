"""Temporary credentials fetched over HTTP: ECS/CCE instance metadata, and OIDC federation.

Both open a short-lived ``aiohttp`` session per fetch (fetches are hours apart) and
retry each step three times (0.1 s, 0.2 s), as the official SDK does, within one
total ``timeout`` per fetch (retries and pauses included). Answers larger than
:data:`MAX_ANSWER_BYTES` are refused without being read whole, and so is an OIDC
token file larger than :data:`MAX_TOKEN_FILE_BYTES`.

Secrets (the metadata session token, the OIDC id token, the ``X-Subject-Token``,
the answers that carry keys) are held in :class:`_Secret` objects whose ``repr`` is
redacted until they are written to the wire; the frames that raise hold none of
them, and no aiohttp exception (whose ``request_info`` keeps the request headers)
is ever chained: errors carry a sanitised description instead.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import aiohttp

from .._endpoints import ECS_ENDPOINT as ECS_ENDPOINT  # re-exported: its home before
from ..errors import CredentialsError
from ._base import Credentials

__all__ = [
    "MAX_ANSWER_BYTES",
    "MAX_TOKEN_FILE_BYTES",
    "EcsMetadataProvider",
    "OidcProvider",
    "parse_security_key",
]

TOKEN_PATH = "/meta-data/latest/api/token"
SECURITY_KEY_PATH = "/openstack/latest/securitykey"
IAM_ENDPOINT = "https://iam.myhuaweicloud.com"
DEFAULT_OIDC_TOKEN_FILE = "/var/run/secrets/tokens/oidc-token"
ENV_IDP_ID = "HUAWEI_CLOUD_IDP_ID"
ENV_OIDC_TOKEN_FILE = "OIDC_TOKEN_FILE"
_ATTEMPT_SLEEPS = (0.1, 0.2)
MAX_ANSWER_BYTES = 64 * 1024
"""The largest metadata or IAM answer accepted (larger ones are refused unread)."""
MAX_TOKEN_FILE_BYTES = 64 * 1024
"""The largest OIDC token file accepted."""
_CHUNK = 16 * 1024


class _Secret:
    """A secret string: ``repr``/``str`` are redacted; :meth:`reveal` gives it for the wire."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "<redacted>"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class _Answer:
    """One HTTP answer below 500; the body (it may carry keys) is out of ``repr``."""

    status: int
    body: bytes = field(repr=False)
    kept_header: _Secret | None = None


def _parse_expiry(text: object) -> datetime | str:
    if not isinstance(text, str):
        return "expires_at is missing"
    for pattern in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return f"expires_at is not a time: {text[:40]!r}"


def _parse(body: bytes) -> Credentials | str:
    """The credentials, or why the answer is refused (never raises)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return "the credentials answer is not JSON"
    credential = data.get("credential") if isinstance(data, dict) else None
    if not isinstance(credential, dict):
        return "the credentials answer has no 'credential' object"
    fields = [credential.get(k) for k in ("access", "secret", "securitytoken")]
    if not all(isinstance(f, str) and f for f in fields):
        return "the credentials answer lacks access, secret or securitytoken"
    expiry = _parse_expiry(credential.get("expires_at"))
    if isinstance(expiry, str):
        return expiry
    access, secret, token = (str(f) for f in fields)
    try:
        return Credentials(access, secret, token, expiry)
    except CredentialsError as error:
        return f"the credentials answer is refused: {error}"


def parse_security_key(body: bytes) -> Credentials:
    """``{"credential": {"access", "secret", "securitytoken", "expires_at"}}`` (all required)."""
    found = _parse(body)
    del body  # the answer carries keys: keep it out of this frame's locals
    if isinstance(found, str):
        raise CredentialsError(found)
    return found


def _describe(error: BaseException, secrets: tuple[_Secret, ...]) -> str:
    """A description of a transport error that names no header and no secret."""
    if isinstance(error, (asyncio.TimeoutError, TimeoutError)):
        return "timed out"
    if isinstance(error, (aiohttp.ClientError, OSError)):
        text = f"{type(error).__name__}: {error}"  # str() of these never shows headers
    else:
        text = type(error).__name__
    for secret in secrets:
        if secret:
            text = text.replace(secret.reveal(), "***")
    return text[:300]


async def _read_limited(response: aiohttp.ClientResponse, limit: int) -> bytes | None:
    """The body, or ``None`` when it is larger than ``limit`` (then read no further)."""
    if response.content_length is not None and response.content_length > limit:
        return None
    body = bytearray()
    async for chunk in response.content.iter_chunked(_CHUNK):
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


async def _step(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    deadline: float,
    *,
    headers: Mapping[str, str] | None = None,
    secret_header: tuple[str, _Secret] | None = None,
    body: _Secret | None = None,
    keep_header: str | None = None,
    secrets: tuple[_Secret, ...] = (),
) -> _Answer | str:
    """One HTTP step, tried up to three times on connection errors and 5xx, until ``deadline``.

    Returns the answer, or a sanitised description of the failure: it never raises
    (but ``CancelledError``), so no aiohttp exception and no frame holding a secret
    ends up in a traceback.
    """
    loop = asyncio.get_running_loop()
    problem = "not attempted"
    for sleep in (*_ATTEMPT_SLEEPS, None):
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        wire_headers = dict(headers or {})
        if secret_header is not None:
            wire_headers[secret_header[0]] = secret_header[1].reveal()
        try:
            async with session.request(
                method,
                url,
                headers=wire_headers,
                data=body.reveal().encode() if body is not None else None,
                timeout=aiohttp.ClientTimeout(total=remaining),
                allow_redirects=False,
            ) as response:
                wire_headers.clear()
                read = await _read_limited(response, MAX_ANSWER_BYTES)
                if read is None:
                    return f"{method} {url}: the answer is larger than {MAX_ANSWER_BYTES} bytes"
                if response.status < 500:
                    kept = response.headers.get(keep_header) if keep_header else None
                    return _Answer(response.status, read, _Secret(kept) if kept else None)
                del read
                problem = f"answered {response.status}"
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError) as error:
            problem = _describe(error, secrets)
        finally:
            wire_headers.clear()
        if sleep is not None:
            await asyncio.sleep(max(0.0, min(sleep, deadline - loop.time())))
    if deadline - loop.time() <= 0:
        return f"{method} {url} failed: out of time ({problem})"
    return f"{method} {url} failed: {problem}"


class EcsMetadataProvider:
    """Temporary keys of the ECS/CCE instance's agency, from the metadata service.

    v2 flow: ``PUT /meta-data/latest/api/token`` (``X-securitykey-Token-Ttl-Seconds``)
    then ``GET /openstack/latest/securitykey`` with ``X-securitykey-Token``; when the
    token call answers 404/405 or an empty token, the v1 flow (the GET alone).
    ``endpoint`` is configurable so tests can point it at loopback. ``timeout`` is
    the total time of one fetch, both steps and their retries included.
    """

    def __init__(
        self, *, endpoint: str = ECS_ENDPOINT, timeout: float = 5.0, token_ttl: int = 21600
    ) -> None:
        self.endpoint: str = endpoint.rstrip("/")
        self._timeout = timeout
        self._token_ttl = token_ttl

    async def get(self) -> Credentials:
        """Fetch temporary keys (bounded in time and size; secrets never in errors)."""
        found = await self._fetch()
        if isinstance(found, str):
            raise CredentialsError(found)
        return found

    async def _fetch(self) -> Credentials | str:
        deadline = asyncio.get_running_loop().time() + self._timeout
        async with aiohttp.ClientSession(trust_env=False) as session:
            answer = await _step(
                session,
                "PUT",
                self.endpoint + TOKEN_PATH,
                deadline,
                headers={"X-securitykey-Token-Ttl-Seconds": str(self._token_ttl)},
            )
            if isinstance(answer, str):
                return answer
            if answer.status not in (200, 404, 405):
                return f"the metadata token call answered {answer.status}"
            token = _Secret(answer.body.decode("utf-8", errors="replace").strip())
            if answer.status != 200:
                token = _Secret("")
            del answer
            answer = await _step(
                session,
                "GET",
                self.endpoint + SECURITY_KEY_PATH,
                deadline,
                secret_header=("X-securitykey-Token", token) if token else None,
                secrets=(token,),
            )
        if isinstance(answer, str):
            return answer
        if answer.status != 200:
            return f"the metadata security key call answered {answer.status}"
        return _parse(answer.body)

    def __repr__(self) -> str:
        return f"EcsMetadataProvider(endpoint={self.endpoint!r})"


def _read_token_file(path: Path, limit: int) -> _Secret | str:
    """The OIDC token (stripped), or why it cannot be used (runs in a thread)."""
    try:
        with path.open("rb") as file:
            raw = file.read(limit + 1)
    except OSError as error:
        return f"cannot read the OIDC token file {str(path)!r}: {error.strerror or error}"
    if len(raw) > limit:
        return f"the OIDC token file {str(path)!r} is larger than {limit} bytes"
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return f"the OIDC token file {str(path)!r} is not UTF-8"
    if not text:
        return f"the OIDC token file {str(path)!r} is empty"
    return _Secret(text)


class OidcProvider:
    """Temporary keys from an OIDC token (e.g. a CCE workload identity).

    ``idp_id`` defaults to ``HUAWEI_CLOUD_IDP_ID`` and ``token_file`` to
    ``OIDC_TOKEN_FILE`` (else ``/var/run/secrets/tokens/oidc-token``), both read in
    the constructor. The token file is read in a thread, never on the event loop.
    ``timeout`` is the total time of one fetch (both calls and their retries).
    """

    def __init__(
        self,
        *,
        idp_id: str | None = None,
        token_file: str | os.PathLike[str] | None = None,
        iam_endpoint: str = IAM_ENDPOINT,
        duration_seconds: int = 86400,
        timeout: float = 10.0,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        idp, path = _oidc_settings(idp_id, token_file, environ)
        del environ  # the environment stays out of this frame's locals
        if not idp:
            raise CredentialsError(f"OIDC needs an identity provider id ({ENV_IDP_ID})")
        self.idp_id = idp
        self.token_file: Path = Path(path)
        self.iam_endpoint: str = iam_endpoint.rstrip("/")
        self._duration = duration_seconds
        self._timeout = timeout

    @staticmethod
    def configured(environ: Mapping[str, str] | None = None) -> bool:
        """Whether the environment names an identity provider (``HUAWEI_CLOUD_IDP_ID``)."""
        env = os.environ if environ is None else environ
        return bool(env.get(ENV_IDP_ID))

    async def get(self) -> Credentials:
        """Fetch temporary keys (bounded in time and size; secrets never in errors)."""
        found = await self._fetch()
        if isinstance(found, str):
            raise CredentialsError(found)
        return found

    async def _fetch(self) -> Credentials | str:
        deadline = asyncio.get_running_loop().time() + self._timeout
        id_token = await asyncio.to_thread(_read_token_file, self.token_file, MAX_TOKEN_FILE_BYTES)
        if isinstance(id_token, str):
            return id_token
        request = _Secret(json.dumps({"auth": {"id_token": {"id": id_token.reveal()}}}))
        async with aiohttp.ClientSession(trust_env=False) as session:
            answer = await _step(
                session,
                "POST",
                self.iam_endpoint + "/v3.0/OS-AUTH/id-token/tokens",
                deadline,
                headers={"X-Idp-Id": self.idp_id, "Content-Type": "application/json"},
                body=request,
                keep_header="X-Subject-Token",
                secrets=(id_token,),
            )
            del request
            if isinstance(answer, str):
                return answer
            subject_token = answer.kept_header
            if answer.status not in (200, 201) or subject_token is None:
                return f"the OIDC token exchange answered {answer.status}"
            identity = {"methods": ["token"], "token": {"duration_seconds": self._duration}}
            answer = await _step(
                session,
                "POST",
                self.iam_endpoint + "/v3.0/OS-CREDENTIAL/securitytokens",
                deadline,
                headers={"Content-Type": "application/json"},
                secret_header=("X-Auth-Token", subject_token),
                body=_Secret(json.dumps({"auth": {"identity": identity}})),
                secrets=(id_token, subject_token),
            )
        if isinstance(answer, str):
            return answer
        if answer.status not in (200, 201):
            return f"the security token call answered {answer.status}"
        return _parse(answer.body)

    def __repr__(self) -> str:
        idp, path = getattr(self, "idp_id", None), getattr(self, "token_file", None)
        return f"OidcProvider(idp_id={idp!r}, token_file={str(path)!r})"


def _oidc_settings(
    idp_id: str | None,
    token_file: str | os.PathLike[str] | None,
    environ: Mapping[str, str] | None,
) -> tuple[str | None, str | os.PathLike[str]]:
    env = os.environ if environ is None else environ
    path = token_file or env.get(ENV_OIDC_TOKEN_FILE) or DEFAULT_OIDC_TOKEN_FILE
    return idp_id or env.get(ENV_IDP_ID), path
