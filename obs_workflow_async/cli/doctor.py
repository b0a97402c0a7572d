"""``obs-workflow doctor``: everything a first call depends on, checked in one run.

Five checks, in order, each printed as one line ``ok``, ``WARN`` or ``FAIL`` (with
the fix for a failure); a check whose prerequisite failed is ``skip``:

1. ``endpoint``: the URL answers: TCP connect, TLS for https, an HTTP answer (any
   status: an unsigned request is refused by design);
2. ``credentials``: the keys resolve, and from where (the ``--credentials`` source:
   the environment variable, the instance metadata, OIDC, or the chain's winner);
   the access key id is shown masked, the secret never;
3. ``clock``: the offset between this machine's clock and the service's ``Date``
   header (WARN above 5 minutes, FAIL above 15: signatures expire there);
4. ``signature``: a cheap signed read (listing one workflow) is accepted;
5. ``authorization``: v3: the workflow authorization (``check_workflow_authentication``)
   exists; v2: the API has no call to read the agency, so this is the signed listing's
   permission (a 403 that is not a signature error).

Exit 0 when no check fails (WARN included), 1 otherwise. The rules (:func:`clock_check`,
:func:`signed_check`, :func:`endpoint_failure`, :func:`authorization_check`) are pure
functions; :func:`doctor_command` does the I/O.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import ssl
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Literal

import aiohttp

from .. import AsyncWorkflowClient
from ..credentials import (
    ECS_ENDPOINT,
    Credentials,
    CredentialsCache,
    CredentialsProvider,
    EcsMetadataProvider,
    EnvironmentProvider,
    OidcProvider,
    StaticProvider,
)
from ..errors import (
    APIStatusError,
    CredentialsError,
    InvalidRequestError,
    NotFoundError,
    ObsWorkflowError,
)
from .commands import EXIT_FAILED, EXIT_OK, AnyClient
from .output import json_text

__all__ = [
    "CLOCK_FAIL_SECONDS",
    "CLOCK_WARN_SECONDS",
    "Check",
    "authorization_check",
    "clock_check",
    "doctor_command",
    "endpoint_failure",
    "signed_check",
]

Status = Literal["ok", "WARN", "FAIL", "skip"]
CLOCK_WARN_SECONDS = 300.0
CLOCK_FAIL_SECONDS = 900.0
"""Both services refuse a signature whose time is 15 minutes off."""
_CONNECT_TIMEOUT = 10.0

_SIGNATURE_CODES = frozenset(
    {"SignatureDoesNotMatch", "InvalidAccessKeyId", "APIGW.0301", "InvalidSecurityToken"}
)
_CLOCK_CODES = frozenset({"RequestTimeTooSkewed", "APIGW.0303"})


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    status: Status
    detail: str
    fix: str | None = None

    def line(self) -> str:
        text = f"{self.status:<4} {self.name:<13} {self.detail}"
        return text + (f"\n     fix: {self.fix}" if self.fix else "")


# -- the rules ------------------------------------------------------------------------------


def clock_check(offset: float) -> Check:
    """``offset``: the service's clock minus ours, in seconds."""
    shown = f"offset {round(offset):+d}s against the service's Date header"
    if abs(offset) > CLOCK_FAIL_SECONDS:
        return Check(
            "clock",
            "FAIL",
            shown,
            "set this machine's clock (NTP: 'timedatectl set-ntp true' or chrony); signatures "
            "more than 15 minutes off are refused",
        )
    if abs(offset) > CLOCK_WARN_SECONDS:
        return Check("clock", "WARN", shown + " (over 5 minutes: at 15 signatures are refused)")
    return Check("clock", "ok", shown)


def endpoint_failure(url: str, error: BaseException) -> Check:
    """Which layer of the endpoint failed (TCP, TLS, HTTP) and what to try."""
    https = url.startswith("https://")
    if isinstance(error, aiohttp.ClientConnectorCertificateError | ssl.SSLError) or (
        isinstance(error, aiohttp.ClientConnectorError) and isinstance(error.os_error, ssl.SSLError)
    ):
        fix = "check the certificate (or SSL_CERT_FILE for a private CA)"
        if "WRONG_VERSION_NUMBER" in str(error):
            fix = "the endpoint does not speak TLS: is it http://?"
        return Check("endpoint", "FAIL", f"{url}: TLS handshake failed ({error})", fix)
    if isinstance(error, aiohttp.ClientConnectorError | OSError):
        return Check(
            "endpoint",
            "FAIL",
            f"{url}: TCP connect failed ({type(error).__name__}: {error})",
            "check --server (or $OBS_SERVER / --region for v3), DNS, a proxy "
            "(HTTPS_PROXY), and that the service is up",
        )
    if isinstance(error, asyncio.TimeoutError):
        return Check(
            "endpoint",
            "FAIL",
            f"{url}: no answer within {_CONNECT_TIMEOUT:g}s",
            "check the network path (firewall, proxy) to the endpoint",
        )
    hint = " (is the endpoint http?)" if https else ""
    return Check(
        "endpoint",
        "FAIL",
        f"{url}: no HTTP answer ({type(error).__name__}: {error})",
        f"check that the URL is the workflow service's endpoint{hint}",
    )


def signed_check(error: ObsWorkflowError | None) -> Check:
    """The signed read: accepted, or why not (a signature, a clock, or another answer)."""
    if error is None:
        return Check("signature", "ok", "a signed request (list 1 workflow) was accepted")
    if isinstance(error, InvalidRequestError):
        return Check(
            "signature", "FAIL", str(error), "pass --project-id or --region (v3), or fix the option"
        )
    if isinstance(error, APIStatusError):
        what = f"HTTP {error.status} {error.code}: {error.message}"
        if error.code in _CLOCK_CODES:
            return Check("signature", "FAIL", what, "set this machine's clock (NTP)")
        if error.code in _SIGNATURE_CODES or error.status == 401:
            return Check(
                "signature",
                "FAIL",
                what,
                "the keys are wrong or do not match: check the access key id and secret (and "
                "the token for temporary keys); for v2 try --signature v4 with --region",
            )
        if error.status == 403:
            return Check("signature", "ok", f"accepted, but refused: {what}")
        return Check("signature", "FAIL", what, "see the error code in the service's docs")
    return Check(
        "signature",
        "FAIL",
        f"{type(error).__name__}: {error}",
        "the request did not get an answer: see the endpoint check",
    )


def authorization_check(api: str, error: ObsWorkflowError | None) -> Check:
    """v3: the ``check_workflow_authentication`` answer; v2: the signed listing's."""
    if api == "v3":
        if error is None:
            return Check("authorization", "ok", "the workflow authorization (agency) exists")
        if isinstance(error, NotFoundError):
            return Check(
                "authorization",
                "FAIL",
                "no workflow authorization for this project",
                "authorize the workflow service once: the DWR console, or "
                "AsyncDwrClient.create_authorization()",
            )
    elif error is None:
        return Check(
            "authorization",
            "ok",
            "listing workflows is permitted (v2 cannot read the agency: it is set per workflow)",
        )
    if isinstance(error, APIStatusError) and error.status == 403:
        return Check(
            "authorization",
            "FAIL",
            f"HTTP 403 {error.code}: {error.message}",
            "grant this IAM user the workflow permissions (e.g. the DWR/OBS Data+ policies) "
            "in the project",
        )
    return Check("authorization", "FAIL", f"{type(error).__name__}: {error}", "see the error above")


def _mask(access_key_id: str) -> str:
    return access_key_id[:4] + "…" if len(access_key_id) > 4 else "…"


def _skip(name: str, needs: str) -> Check:
    return Check(name, "skip", f"needs {needs}")


# -- the I/O --------------------------------------------------------------------------------


def _endpoint_url(args: argparse.Namespace) -> str | None:
    server: str | None = args.server or os.environ.get("OBS_SERVER")
    if not server and args.api == "v3" and args.region:
        from ..dwr.dialect import dwr_endpoint_for_region

        server = dwr_endpoint_for_region(args.region)
    if not server:
        return None
    return server if "://" in server else "https://" + server


async def _probe(url: str) -> tuple[Check, datetime | None]:
    """An unsigned GET of the endpoint's root: any HTTP answer will do."""
    timeout = aiohttp.ClientTimeout(total=_CONNECT_TIMEOUT)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url + "/", allow_redirects=False) as response,
        ):
            await response.read()
            date = response.headers.get("Date")
    except (aiohttp.ClientError, OSError, asyncio.TimeoutError, ssl.SSLError) as error:
        return endpoint_failure(url, error), None
    layers = "TCP, TLS, HTTP" if url.startswith("https://") else "TCP, HTTP"
    served = _parse_date(date)
    return Check("endpoint", "ok", f"{url} answers ({layers}: status {response.status})"), served


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _sources(args: argparse.Namespace) -> list[tuple[str, CredentialsProvider]]:
    """The providers ``--credentials`` names, each with the name ``doctor`` shows."""
    endpoint = args.ecs_endpoint or os.environ.get("OBS_ECS_METADATA_ENDPOINT") or ECS_ENDPOINT
    env: list[tuple[str, CredentialsProvider]] = []
    if args.api == "v3" and os.environ.get("HUAWEICLOUD_SDK_AK"):
        env.append(
            (
                "env (HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK)",
                EnvironmentProvider(
                    {
                        "OBS_ACCESS_KEY_ID": os.environ.get("HUAWEICLOUD_SDK_AK", ""),
                        "OBS_SECRET_ACCESS_KEY": os.environ.get("HUAWEICLOUD_SDK_SK", ""),
                        "OBS_SECURITY_TOKEN": os.environ.get("HUAWEICLOUD_SDK_SECURITY_TOKEN", ""),
                    }
                ),
            )
        )
    env.append(("env (OBS_ACCESS_KEY_ID/OBS_SECRET_ACCESS_KEY)", EnvironmentProvider()))
    ecs = ("ecs (instance metadata)", EcsMetadataProvider(endpoint=endpoint))
    oidc: list[tuple[str, CredentialsProvider]] = (
        [("oidc (HUAWEI_CLOUD_IDP_ID)", OidcProvider())] if OidcProvider.configured() else []
    )
    kind = args.credentials
    if kind == "env":
        return env
    if kind == "ecs":
        return [ecs]
    if kind == "oidc":
        return oidc
    return [(f"chain: {name}", provider) for name, provider in (*env, ecs, *oidc)]


async def _resolve(args: argparse.Namespace) -> tuple[Check, Credentials | None]:
    problems: list[str] = []
    for name, provider in _sources(args):
        try:
            found = await provider.get()
        except CredentialsError as error:
            problems.append(f"{name}: {error}")
            continue
        finally:
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()
        token = ", with a security token" if found.security_token else ""
        detail = f"from {name}: access key id {_mask(found.access_key_id)}{token}"
        return Check("credentials", "ok", detail), found
    return (
        Check(
            "credentials",
            "FAIL",
            f"none from --credentials {args.credentials}"
            + (f" ({'; '.join(problems)})" if problems else ""),
            "set OBS_ACCESS_KEY_ID and OBS_SECRET_ACCESS_KEY (and OBS_SECURITY_TOKEN for "
            "temporary keys), or pass --credentials chain|ecs|oidc",
        ),
        None,
    )


def _client(args: argparse.Namespace, url: str, cache: CredentialsCache) -> AnyClient:
    if args.api == "v3":
        from ..dwr import AsyncDwrClient

        return AsyncDwrClient(
            endpoint=url,
            region=args.region,
            project_id=args.project_id,
            timeout=args.request_timeout,
            max_retries=0,
            credentials=cache,
        )
    return AsyncWorkflowClient(
        server=url,
        signature=args.signature,
        region=args.region,
        timeout=args.request_timeout,
        max_retries=0,
        credentials=cache,
    )


async def _attempt(call: Callable[[], Awaitable[object]]) -> ObsWorkflowError | None:
    try:
        await call()
    except ObsWorkflowError as error:
        return error
    return None


async def _signed_checks(
    args: argparse.Namespace, url: str, credentials: Credentials
) -> list[Check]:
    cache = CredentialsCache(StaticProvider(credentials))
    try:
        async with _client(args, url, cache) as client:

            async def listing() -> None:
                async for _ in client.iter_workflows(max_items=1, page_size=1):
                    break

            listed = await _attempt(listing)
            signed = signed_check(listed)
            if signed.status == "FAIL":
                return [signed, _skip("authorization", "a signed request accepted")]
            if args.api == "v3":
                from ..dwr import AsyncDwrClient

                assert isinstance(client, AsyncDwrClient)
                return [signed, authorization_check("v3", await _attempt(client.get_authorization))]
            return [signed, authorization_check("v2", listed)]
    except ObsWorkflowError as error:  # the client could not be made (a bad option)
        return [Check("signature", "FAIL", str(error), "check the connection options")]
    finally:
        await cache.aclose()


async def _checks(args: argparse.Namespace) -> list[Check]:
    url = _endpoint_url(args)
    if url is None:
        where = "--server URL or OBS_SERVER" + (" (or --region)" if args.api == "v3" else "")
        endpoint = Check("endpoint", "FAIL", "no endpoint given", f"pass {where}")
        served = None
    else:
        endpoint, served = await _probe(url)
    credentials_check, credentials = await _resolve(args)
    checks = [endpoint, credentials_check]
    if served is not None:
        checks.append(clock_check((served - datetime.now(timezone.utc)).total_seconds()))
    elif endpoint.status == "ok":
        checks.append(Check("clock", "WARN", "the service sent no Date header to compare"))
    else:
        checks.append(_skip("clock", "an endpoint that answers"))
    if url is None or endpoint.status != "ok" or credentials is None:
        checks += [
            _skip("signature", "an endpoint and credentials"),
            _skip("authorization", "a signed request accepted"),
        ]
    else:
        checks += await _signed_checks(args, url, credentials)
    return checks


async def doctor_command(args: argparse.Namespace) -> int:
    """Not run through :func:`~.commands.run_command` (it reports what that refuses):
    one line per check (``--output text``, the default here), or one JSON object."""
    checks = await _checks(args)
    failed = [check for check in checks if check.status == "FAIL"]
    fmt = getattr(args, "output", None) or "text"
    quiet = getattr(args, "quiet", False)
    if fmt == "json" and not quiet:
        rows = [
            {"check": c.name, "status": c.status, "detail": c.detail, "fix": c.fix} for c in checks
        ]
        print(json_text({"api": args.api, "ok": not failed, "checks": rows}, indent=2))
    elif not quiet:
        for check in checks:
            print(check.line())
    else:
        for check in failed:
            print(check.line(), file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK
