"""Bucket calls to a named endpoint go to ``<bucket>.<host>`` (virtual-host style), end to
end: a resolver maps every ``*.obs.test`` name to loopback, and the fake service
reads the bucket from the Host header and checks the signature made for it."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from obs_workflow_async import AsyncWorkflowClient, TriggerRule
from obs_workflow_async.testing import FakeWorkflowServer

DOMAIN = "obs.test"


class LoopbackResolver(AbstractResolver):
    """Resolves ``obs.test`` and every name under it to 127.0.0.1; records what it saw."""

    def __init__(self) -> None:
        self.names: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.names.append(host)
        assert host == DOMAIN or host.endswith("." + DOMAIN), host
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        return None


@pytest.fixture
async def server() -> AsyncIterator[FakeWorkflowServer]:
    async with FakeWorkflowServer(domain=DOMAIN) as fake:
        yield fake


async def test_trigger_policy_calls_use_the_bucket_host(server: FakeWorkflowServer) -> None:
    resolver = LoopbackResolver()
    connector = aiohttp.TCPConnector(resolver=resolver)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        AsyncWorkflowClient(
            server=f"http://{DOMAIN}:{server.port}",
            access_key_id=server.access_key_id,
            secret_access_key=server.secret_access_key,
            session=session,
        ) as client,
    ):
        rule = TriggerRule(
            id="r1",
            graph_urn=server.store.graph_urn("g"),
            events=["ObjectCreated:*"],
            prefix="in/",
            suffix=".mp4",
        )
        server.store.ensure_workflow_record("g")
        await client.put_trigger_policy("media-bucket", [rule])
        policy = await client.get_trigger_policy("media-bucket")
        await client.delete_trigger_policy("media-bucket")
        await client.start_workflow("g", "media-bucket", "k")  # not bucket-addressed
    assert [r.id for r in policy.rules] == ["r1"]
    assert "media-bucket." + DOMAIN in resolver.names  # the bucket's own host name
    hosts = {r.headers["Host"] for r in server.requests}
    assert f"media-bucket.{DOMAIN}:{server.port}" in hosts  # signed and checked for it
    assert f"{DOMAIN}:{server.port}" in hosts
