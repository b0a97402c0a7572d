"""Temporary credentials fetched over HTTP: ECS/CCE instance metadata, and OIDC federation.

Both open a short-lived ``aiohttp`` session per fetch (fetches are hours apart) and
retry each step three times (0.1 s, 0.2 s), as the official SDK does.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

import aiohttp

from ..errors import CredentialsError
from .base import Credentials

__all__ = ["EcsMetadataProvider", "OidcProvider", "parse_security_key"]

ECS_ENDPOINT = "http://169.254.169.254"
TOKEN_PATH = "/meta-data/latest/api/token"
SECURITY_KEY_PATH = "/openstack/latest/securitykey"
IAM_ENDPOINT = "https://iam.myhuaweicloud.com"
DEFAULT_OIDC_TOKEN_FILE = "/var/run/secrets/tokens/oidc-token"
ENV_IDP_ID = "HUAWEI_CLOUD_IDP_ID"
ENV_OIDC_TOKEN_FILE = "OIDC_TOKEN_FILE"
_ATTEMPT_SLEEPS = (0.1, 0.2)


def _parse_expiry(text: object) -> datetime:
    if not isinstance(text, str):
        raise CredentialsError("expires_at is missing")
    for pattern in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    raise CredentialsError(f"expires_at is not a time: {text[:40]!r}")


def parse_security_key(body: bytes) -> Credentials:
    """``{"credential": {"access", "secret", "securitytoken", "expires_at"}}`` (all required)."""
    try:
        data = json.loads(body)
    except ValueError:
        raise CredentialsError("the credentials answer is not JSON") from None
    credential = data.get("credential") if isinstance(data, dict) else None
    if not isinstance(credential, dict):
        raise CredentialsError("the credentials answer has no 'credential' object")
    fields = [credential.get(k) for k in ("access", "secret", "securitytoken")]
    if not all(isinstance(f, str) and f for f in fields):
        raise CredentialsError("the credentials answer lacks access, secret or securitytoken")
    access, secret, token = (str(f) for f in fields)
    return Credentials(access, secret, token, _parse_expiry(credential.get("expires_at")))


async def _attempts(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    data: bytes | None = None,
) -> tuple[int, bytes, Mapping[str, str]]:
    """One HTTP step, tried up to three times on connection errors and 5xx."""
    last: Exception | None = None
    for sleep in (*_ATTEMPT_SLEEPS, None):
        try:
            async with session.request(method, url, headers=headers, data=data) as response:
                body = await response.read()
                if response.status < 500:
                    return response.status, body, response.headers
                last = CredentialsError(f"{method} {url} answered {response.status}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            last = error
        if sleep is not None:
            await asyncio.sleep(sleep)
    raise CredentialsError(f"{method} {url} failed: {last}") from last


class EcsMetadataProvider:
    """Temporary keys of the ECS/CCE instance's agency, from the metadata service.

    v2 flow: ``PUT /meta-data/latest/api/token`` (``X-securitykey-Token-Ttl-Seconds``)
    then ``GET /openstack/latest/securitykey`` with ``X-securitykey-Token``; when the
    token call answers 404/405 or an empty token, the v1 flow (the GET alone).
    ``endpoint`` is configurable so tests can point it at loopback.
    """

    def __init__(
        self, *, endpoint: str = ECS_ENDPOINT, timeout: float = 5.0, token_ttl: int = 21600
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._token_ttl = token_ttl

    async def get(self) -> Credentials:
        async with aiohttp.ClientSession(timeout=self._timeout, trust_env=False) as session:
            status, body, _ = await _attempts(
                session, "PUT", self.endpoint + TOKEN_PATH,
                headers={"X-securitykey-Token-Ttl-Seconds": str(self._token_ttl)},
            )  # fmt: skip
            token = body.decode("utf-8", errors="replace").strip() if status == 200 else ""
            if status not in (200, 404, 405):
                raise CredentialsError(f"the metadata token call answered {status}")
            headers = {"X-securitykey-Token": token} if token else None
            status, body, _ = await _attempts(
                session, "GET", self.endpoint + SECURITY_KEY_PATH, headers=headers
            )
            if status != 200:
                raise CredentialsError(f"the metadata security key call answered {status}")
        return parse_security_key(body)

    def __repr__(self) -> str:
        return f"EcsMetadataProvider(endpoint={self.endpoint!r})"


class OidcProvider:
    """Temporary keys from an OIDC token (e.g. a CCE workload identity).

    ``idp_id`` defaults to ``HUAWEI_CLOUD_IDP_ID`` and ``token_file`` to
    ``OIDC_TOKEN_FILE`` (else ``/var/run/secrets/tokens/oidc-token``), both read in
    the constructor. The token file is read in a thread, never on the event loop.
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
        env = os.environ if environ is None else environ
        idp = idp_id or env.get(ENV_IDP_ID)
        if not idp:
            raise CredentialsError(f"OIDC needs an identity provider id ({ENV_IDP_ID})")
        self.idp_id = idp
        self.token_file = Path(
            token_file or env.get(ENV_OIDC_TOKEN_FILE) or DEFAULT_OIDC_TOKEN_FILE
        )
        self.iam_endpoint = iam_endpoint.rstrip("/")
        self._duration = duration_seconds
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    @staticmethod
    def configured(environ: Mapping[str, str] | None = None) -> bool:
        env = os.environ if environ is None else environ
        return bool(env.get(ENV_IDP_ID))

    async def get(self) -> Credentials:
        try:
            id_token = (await asyncio.to_thread(self.token_file.read_text, "utf-8")).strip()
        except OSError as error:
            raise CredentialsError(f"cannot read the OIDC token file: {error}") from None
        async with aiohttp.ClientSession(timeout=self._timeout, trust_env=False) as session:
            status, _, headers = await _attempts(
                session, "POST", self.iam_endpoint + "/v3.0/OS-AUTH/id-token/tokens",
                headers={"X-Idp-Id": self.idp_id, "Content-Type": "application/json"},
                data=json.dumps({"auth": {"id_token": {"id": id_token}}}).encode(),
            )  # fmt: skip
            subject_token = headers.get("X-Subject-Token")
            if status not in (200, 201) or not subject_token:
                raise CredentialsError(f"the OIDC token exchange answered {status}")
            identity = {"methods": ["token"], "token": {"duration_seconds": self._duration}}
            body = {"auth": {"identity": identity}}
            status, answer, _ = await _attempts(
                session, "POST", self.iam_endpoint + "/v3.0/OS-CREDENTIAL/securitytokens",
                headers={"X-Auth-Token": subject_token, "Content-Type": "application/json"},
                data=json.dumps(body).encode(),
            )  # fmt: skip
            if status not in (200, 201):
                raise CredentialsError(f"the security token call answered {status}")
        return parse_security_key(answer)

    def __repr__(self) -> str:
        return f"OidcProvider(idp_id={self.idp_id!r}, token_file={str(self.token_file)!r})"
