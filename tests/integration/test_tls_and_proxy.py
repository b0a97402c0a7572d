"""TLS verification against a real TLS server on loopback, plain-HTTP warnings, proxies."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
import trustme
from aiohttp import web

from obs_workflow_async import AsyncWorkflowClient, TransportError
from obs_workflow_async.errors import RedactedCause
from obs_workflow_async.testing import FakeWorkflowServer
from tests.conftest import PROXY_PASSWORD


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def server_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return context


@pytest.fixture
async def tls_server(ca: trustme.CA) -> AsyncIterator[FakeWorkflowServer]:
    async with FakeWorkflowServer(ssl_context=server_context(ca, "127.0.0.1", "localhost")) as s:
        yield s


async def test_untrusted_certificate_fails_clearly_and_is_not_retried(
    tls_server: FakeWorkflowServer,
) -> None:
    assert tls_server.url.startswith("https://")
    async with AsyncWorkflowClient(**tls_server.client_kwargs()) as client:  # system CAs
        with pytest.raises(TransportError, match="certificate verification failed") as caught:
            await client.start_workflow("g", "media", "k")
    assert caught.value.request_sent is False and caught.value.retries_taken == 0
    cause = caught.value.__cause__
    assert isinstance(cause, RedactedCause)
    assert cause.type_name == "ClientConnectorCertificateError"
    assert "CERTIFICATE_VERIFY_FAILED" in str(cause)
    assert tls_server.calls["start"] == 0


async def test_trusted_ca_bundle_and_context_work(
    tls_server: FakeWorkflowServer, ca: trustme.CA, tmp_path: Path
) -> None:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    async with AsyncWorkflowClient(**tls_server.client_kwargs(), verify=str(bundle)) as client:
        assert (await client.start_workflow("g", "media", "a")).execution_name
    context = ssl.create_default_context()
    ca.configure_trust(context)
    async with AsyncWorkflowClient(**tls_server.client_kwargs(), verify=context) as client:
        assert (await client.start_workflow("g", "media", "b")).execution_name
    assert len(tls_server.executions) == 2


async def test_hostname_is_checked(ca: trustme.CA, tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    async with FakeWorkflowServer(ssl_context=server_context(ca, "obs.example.org")) as server:
        async with AsyncWorkflowClient(**server.client_kwargs(), verify=str(bundle)) as client:
            with pytest.raises(TransportError, match="certificate verification failed"):
                await client.start_workflow("g", "media", "k")
        assert server.calls["start"] == 0


async def test_plain_http_to_a_remote_host_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="obs_workflow_async")
    client = AsyncWorkflowClient(
        server="http://obs.example.com", access_key_id="a", secret_access_key="b"
    )
    async with client:  # opening the pool makes no request
        pass
    assert caplog.text.count("plain HTTP") == 1
    caplog.clear()
    async with AsyncWorkflowClient(
        server="http://127.0.0.1:9", access_key_id="a", secret_access_key="b"
    ):
        pass
    assert "plain HTTP" not in caplog.text  # loopback is fine


class ForwardProxy:
    """A tiny HTTP forward proxy on loopback that insists on Basic auth."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        auth = request.headers.get("Proxy-Authorization")
        self.seen.append((str(request.url), auth))
        if auth is None:
            return web.Response(status=407)
        assert self._session is not None
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in ("proxy-authorization", "proxy-connection")
        }
        async with self._session.request(
            request.method, str(request.url), headers=headers, data=await request.read()
        ) as upstream:
            body = await upstream.read()
            return web.Response(
                status=upstream.status,
                body=body,
                headers={
                    k: v
                    for k, v in upstream.headers.items()
                    if k.lower() not in ("content-length", "transfer-encoding", "connection")
                },
            )

    async def __aenter__(self) -> ForwardProxy:
        self._session = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None and self._session is not None
        await self._runner.cleanup()
        await self._session.close()


@pytest.fixture
async def proxy() -> AsyncIterator[ForwardProxy]:
    async with ForwardProxy() as running:
        yield running


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "no_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    yield


async def test_explicit_proxy_with_credentials_never_shown(
    proxy: ForwardProxy, no_proxy_env: None, caplog: pytest.LogCaptureFixture
) -> None:
    async with FakeWorkflowServer() as server:
        proxy_url = proxy.url.replace("http://", f"http://ops:{PROXY_PASSWORD}@")
        client = AsyncWorkflowClient(**server.client_kwargs(), proxy=proxy_url)
        async with client:
            result = await client.start_workflow("g", "media", "via-proxy")
            with pytest.raises(ValueError):
                AsyncWorkflowClient(**server.client_kwargs(), proxy="socks5://h:1")
        texts = [repr(client), str(client), repr(result), caplog.text]
        server_url = server.url
    assert proxy.seen and proxy.seen[0][0].startswith(server_url + "/v2/workflows/g")
    assert proxy.seen[0][1] is not None and proxy.seen[0][1].startswith("Basic ")
    assert all(PROXY_PASSWORD not in text for text in texts)
    assert "authorization=***" in repr(client)


async def test_trust_env_uses_the_proxy_variables(
    proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch, no_proxy_env: None
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url.replace("http://", "http://ops:secret@"))
    async with FakeWorkflowServer() as server:
        async with AsyncWorkflowClient(**server.client_kwargs(), trust_env=True) as client:
            await client.start_workflow("g", "media", "env-proxy")
        assert len(proxy.seen) == 1
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with AsyncWorkflowClient(**server.client_kwargs(), trust_env=True) as client:
            await client.start_workflow("g", "media", "bypass")
        assert len(proxy.seen) == 1  # NO_PROXY honoured
        async with AsyncWorkflowClient(**server.client_kwargs()) as client:
            await client.start_workflow("g", "media", "no-env")
        assert len(server.executions) == 3 and len(proxy.seen) == 1
    await asyncio.sleep(0)
