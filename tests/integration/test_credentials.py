"""Credential providers against fake metadata and IAM services on loopback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from aiohttp import web

from obs_workflow_async import (
    AsyncWorkflowClient,
    ChainProvider,
    Credentials,
    CredentialsError,
    EcsMetadataProvider,
    EnvironmentProvider,
    OidcProvider,
    default_chain,
)
from obs_workflow_async.credentials import CredentialsCache
from obs_workflow_async.testing import FakeWorkflowServer
from tests.conftest import ACCESS_KEY, SECRET, TOKEN
from tests.support.waiting import until


def _expiry(seconds: float) -> str:
    when = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class FakeMetadata:
    """ECS metadata (v2 token flow or v1 only) and the IAM OIDC endpoints, counting calls."""

    def __init__(
        self, *, v1_only: bool = False, lifetime: float = 3600, hold: bool = False
    ) -> None:
        self.v1_only = v1_only
        self.lifetime = lifetime
        self.released = asyncio.Event()
        """The security key is answered once this is set (at once unless ``hold``)."""
        if not hold:
            self.released.set()
        self.fail_with: int | None = None
        self.fetches = 0
        self.token_calls = 0
        self.seen_tokens: list[str | None] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    def _credential(self) -> web.Response:
        return web.json_response(
            {
                "credential": {
                    "access": ACCESS_KEY,
                    "secret": SECRET,
                    "securitytoken": TOKEN,
                    "expires_at": _expiry(self.lifetime),
                }
            }
        )

    async def token(self, request: web.Request) -> web.Response:
        self.token_calls += 1
        if self.v1_only:
            return web.Response(status=404)
        assert request.headers["X-securitykey-Token-Ttl-Seconds"] == "21600"
        return web.Response(text="session-token-1")

    async def securitykey(self, request: web.Request) -> web.Response:
        self.fetches += 1
        self.seen_tokens.append(request.headers.get("X-securitykey-Token"))
        await self.released.wait()
        if self.fail_with is not None:
            return web.Response(status=self.fail_with)
        return self._credential()

    async def id_token(self, request: web.Request) -> web.Response:
        body = await request.json()
        assert request.headers["X-Idp-Id"] == "my-idp"
        assert body == {"auth": {"id_token": {"id": "jwt-from-file"}}}
        return web.Response(status=201, headers={"X-Subject-Token": "subject-token"})

    async def security_tokens(self, request: web.Request) -> web.Response:
        assert request.headers["X-Auth-Token"] == "subject-token"
        body = await request.json()
        assert body["auth"]["identity"]["token"]["duration_seconds"] == 86400
        self.fetches += 1
        return self._credential()

    async def __aenter__(self) -> FakeMetadata:
        app = web.Application()
        app.router.add_put("/meta-data/latest/api/token", self.token)
        app.router.add_get("/openstack/latest/securitykey", self.securitykey)
        app.router.add_post("/v3.0/OS-AUTH/id-token/tokens", self.id_token)
        app.router.add_post("/v3.0/OS-CREDENTIAL/securitytokens", self.security_tokens)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


@pytest.fixture
async def metadata() -> AsyncIterator[FakeMetadata]:
    async with FakeMetadata() as fake:
        yield fake


@pytest.fixture
async def service() -> AsyncIterator[FakeWorkflowServer]:
    async with FakeWorkflowServer(
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET,
        security_token=TOKEN,
        record_requests=False,
    ) as fake:
        yield fake


async def test_ecs_v2_token_flow(metadata: FakeMetadata) -> None:
    credentials = await EcsMetadataProvider(endpoint=metadata.url).get()
    assert (credentials.access_key_id, credentials.security_token) == (ACCESS_KEY, TOKEN)
    assert credentials.expires_at is not None and credentials.expires_at.tzinfo is not None
    assert metadata.seen_tokens == ["session-token-1"]
    assert SECRET not in repr(credentials) and TOKEN not in str(credentials)


async def test_ecs_v1_fallback() -> None:
    async with FakeMetadata(v1_only=True) as fake:
        credentials = await EcsMetadataProvider(endpoint=fake.url).get()
    assert credentials.access_key_id == ACCESS_KEY
    assert fake.seen_tokens == [None]


async def test_ecs_failures_are_credentials_errors(metadata: FakeMetadata) -> None:
    metadata.fail_with = 503
    with pytest.raises(CredentialsError, match="503"):
        await EcsMetadataProvider(endpoint=metadata.url).get()
    assert metadata.fetches == 3  # three attempts, as the SDK makes
    metadata.fail_with = 403
    with pytest.raises(CredentialsError, match="403"):
        await EcsMetadataProvider(endpoint=metadata.url).get()


async def test_oidc_flow_reads_the_token_file(metadata: FakeMetadata, tmp_path: Path) -> None:
    token_file = tmp_path / "oidc-token"
    token_file.write_text("jwt-from-file\n")
    provider = OidcProvider(
        environ={"HUAWEI_CLOUD_IDP_ID": "my-idp", "OIDC_TOKEN_FILE": str(token_file)},
        iam_endpoint=metadata.url,
    )
    credentials = await provider.get()
    assert credentials.security_token == TOKEN
    with pytest.raises(CredentialsError, match="HUAWEI_CLOUD_IDP_ID"):
        OidcProvider(environ={})
    missing = OidcProvider(idp_id="my-idp", token_file=tmp_path / "nope", iam_endpoint=metadata.url)
    with pytest.raises(CredentialsError, match="token file"):
        await missing.get()


async def test_chain_order_and_errors(metadata: FakeMetadata) -> None:
    env = {"OBS_ACCESS_KEY_ID": "ENVKEY", "OBS_SECRET_ACCESS_KEY": "envsecret"}
    chain = default_chain(environ=env, ecs_endpoint=metadata.url)
    assert (await chain.get()).access_key_id == "ENVKEY"
    assert metadata.fetches == 0  # the environment answered first
    chain = default_chain(environ={}, ecs_endpoint=metadata.url)
    assert (await chain.get()).access_key_id == ACCESS_KEY
    metadata.fail_with = 500
    broken = ChainProvider([EnvironmentProvider({}), EcsMetadataProvider(endpoint=metadata.url)])
    with pytest.raises(CredentialsError) as caught:
        await broken.get()
    assert "EnvironmentProvider" in str(caught.value) and "EcsMetadataProvider" in str(caught.value)


@pytest.mark.slow
async def test_1000_starts_at_expiry_fetch_once(
    metadata: FakeMetadata, service: FakeWorkflowServer
) -> None:
    expired = Credentials(
        ACCESS_KEY, SECRET, TOKEN, datetime.now(timezone.utc) - timedelta(seconds=1)
    )
    cache = CredentialsCache(EcsMetadataProvider(endpoint=metadata.url), initial=expired)
    async with AsyncWorkflowClient(server=service.url, credentials=cache) as client:
        results = await asyncio.gather(
            *(client.start_workflow("g", "media", f"k{i}") for i in range(1000))
        )
    assert len(results) == 1000
    assert metadata.fetches == 1 and cache.refreshes == 1
    assert len(service.executions) == 1000


async def test_advisory_window_refreshes_in_the_background(
    service: FakeWorkflowServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with FakeMetadata(hold=True) as slow:
        soon = datetime.now(timezone.utc) + timedelta(minutes=12)  # advisory, not mandatory
        cache = CredentialsCache(
            EcsMetadataProvider(endpoint=slow.url),
            initial=Credentials(ACCESS_KEY, SECRET, TOKEN, soon),
        )
        async with AsyncWorkflowClient(server=service.url, credentials=cache) as client:
            # The metadata service holds its answer until told: the 51 starts finish while
            # the refresh is still waiting (nobody waited for it). Had a start waited, it
            # would wait forever; the 60 s bound only turns that hang into a failure.
            results = await asyncio.wait_for(
                asyncio.gather(*(client.start_workflow("g", "media", f"k{i}") for i in range(51))),
                60,
            )
            assert cache.current is not None and cache.current.expires_at == soon
        assert len(results) == 51 and cache.refreshes == 1
        slow.released.set()  # now the one background refresh lands
        await until(lambda: cache.current is not None and cache.current.expires_at != soon, 60)
        assert slow.fetches == 1
        assert cache.current is not None and cache.current.expires_at is not None
        assert cache.current.expires_at > soon  # refreshed
        await cache.aclose()

        slow.fail_with = 500  # a failed advisory refresh is logged, calls go on
        cache2 = CredentialsCache(
            EcsMetadataProvider(endpoint=slow.url),
            initial=Credentials(ACCESS_KEY, SECRET, TOKEN, soon),
        )
        async with AsyncWorkflowClient(server=service.url, credentials=cache2) as client:
            await client.start_workflow("g", "media", "still-works")
            await until(lambda: "refreshing credentials failed" in caplog.text, 60)
        await cache2.aclose()
        assert "refreshing credentials failed" in caplog.text


async def test_mandatory_refresh_failure_raises_before_sending(
    metadata: FakeMetadata, service: FakeWorkflowServer
) -> None:
    metadata.fail_with = 500
    provider = EcsMetadataProvider(endpoint=metadata.url)
    async with AsyncWorkflowClient(server=service.url, credentials=provider) as client:
        with pytest.raises(CredentialsError, match="500"):
            await client.start_workflow("g", "media", "k")
    assert service.calls["start"] == 0


def test_credentials_reject_header_injection() -> None:
    with pytest.raises(CredentialsError, match="CR, LF"):
        Credentials("AK", "SK", "token\r\nX-Injected: yes")
    with pytest.raises(CredentialsError):
        Credentials("AK\n", "SK")
    with pytest.raises(CredentialsError, match="timezone"):
        Credentials("AK", "SK", None, datetime(2030, 1, 1))


def test_provider_and_keys_together_are_refused() -> None:
    with pytest.raises(ValueError, match="either"):
        AsyncWorkflowClient(
            server="h.example",
            access_key_id="a",
            secret_access_key="b",
            credentials=EnvironmentProvider({}),
        )


def test_provider_results_are_json_strict() -> None:
    from obs_workflow_async.credentials import parse_security_key

    for body in (
        b"",
        b"[]",
        b'{"credential": {}}',
        json.dumps(
            {
                "credential": {
                    "access": "a",
                    "secret": "s",
                    "securitytoken": "t",
                    "expires_at": "soon",
                }
            }
        ).encode(),
    ):
        with pytest.raises(CredentialsError):
            parse_security_key(body)
