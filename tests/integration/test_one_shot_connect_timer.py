"""``Timeout.connect`` still bounds connecting for starts on the one-shot session.

The one-shot connector (``OneShotConnector``) drops aiohttp's ``connect`` timer where
the ``sock_connect`` timer (same value) alone bounds opening the connection. These
attack that against real sockets on loopback: connects and TLS handshakes that never
complete, a DNS lookup that never ends, a name with several dead addresses, proxies,
per-call timeouts and deadlines. Every one must end at ``Timeout.connect``, "not
sent", and be retried as before.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import aiohttp.connector
import pytest

from obs_workflow_async import (
    AsyncWorkflowClient,
    RequestTimeoutError,
    Timeout,
    _connections,
    may_have_started,
)
from obs_workflow_async._connections import (
    OneShotConnector,
    _connect_timer_in_connector,
    failed_connecting,
)
from obs_workflow_async.testing import FakeWorkflowServer
from tests.support.blackhole import blackholes as blackholed_ports
from tests.support.blackhole import silent_server

DROPS = _connect_timer_in_connector()
"""Whether this aiohttp arms the connect timer in its connector (3.10.11 on)."""

CONNECT = 0.4
SLOW = Timeout(total=30.0, connect=30.0)


@pytest.fixture
def handed(monkeypatch: pytest.MonkeyPatch) -> list[float | None]:
    """The ``connect`` of every timeout the one-shot connector hands aiohttp."""
    seen: list[float | None] = []
    base_connect = _connections._base_connect

    def spy(self: Any, req: Any, traces: Any, timeout: aiohttp.ClientTimeout) -> Any:
        seen.append(timeout.connect)
        return base_connect(self, req, traces, timeout)

    monkeypatch.setattr(_connections, "_base_connect", spy)
    return seen


@pytest.fixture
def blackholes() -> Iterator[Callable[[], int]]:
    """Ports whose accept queue is full: new connections to them never complete."""
    with blackholed_ports() as blackholed:
        yield blackholed


@pytest.fixture
async def silent() -> AsyncIterator[tuple[int, list[bytes]]]:
    """Accepts connections and reads, never answers; (port, bytes received)."""
    async with silent_server(heads=False) as listening:
        yield listening


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


class Resolver(aiohttp.abc.AbstractResolver):
    """Every name resolves to ``ports`` on 127.0.0.1 (``None``: the lookup never ends)."""

    ports: list[int] | None = None
    lookups = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    async def resolve(self, host: str, port: int = 0, family: int = 0) -> list[Any]:
        type(self).lookups += 1
        if self.ports is None:
            await asyncio.Event().wait()
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": p,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": 0,
            }
            for p in self.ports or ()
        ]

    async def close(self) -> None:
        pass


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> type[Resolver]:
    """Our connectors resolve names with :class:`Resolver` (aiohttp's default one)."""

    class Fresh(Resolver):
        pass

    monkeypatch.setattr(aiohttp.connector, "DefaultResolver", Fresh)
    return Fresh


async def start_fails(client: AsyncWorkflowClient, **options: Any) -> tuple[float, Any]:
    began = time.monotonic()
    with pytest.raises(RequestTimeoutError) as caught:
        await client.start_workflow("g", "media", "k", **options)
    elapsed = time.monotonic() - began
    error = caught.value
    assert error.request_sent is False and may_have_started(error) is False
    assert "while connecting" in str(error)
    return elapsed, error


def client(server: str, **options: Any) -> AsyncWorkflowClient:
    options.setdefault("max_retries", 0)
    options.setdefault("timeout", Timeout(total=30.0, connect=CONNECT))
    return AsyncWorkflowClient(server=server, access_key_id="AK", secret_access_key="SK", **options)


# -- the timer dropped: sock_connect alone must bound connecting ----------------------


@pytest.mark.parametrize(
    ("options", "per_call"),
    [
        ({}, {}),  # the client's default timeout
        ({"timeout": SLOW}, {"timeout": Timeout(total=30.0, connect=CONNECT)}),
        ({"timeout": SLOW}, {"deadline": CONNECT}),  # the deadline's budget caps connect
        ({"timeout": SLOW, "deadline": CONNECT}, {}),
    ],
)
async def test_a_connect_that_never_completes_ends_at_connect(
    handed: list[float | None],
    blackholes: Callable[[], int],
    options: dict[str, Any],
    per_call: dict[str, Any],
) -> None:
    async with client(f"http://127.0.0.1:{blackholes()}", **options) as c:
        elapsed, _ = await start_fails(c, **per_call)
    assert CONNECT * 0.8 < elapsed < CONNECT + 1.0
    assert handed and all(connect is None for connect in handed) is DROPS


async def test_not_sent_connect_timeouts_are_retried_for_a_start(
    handed: list[float | None], blackholes: Callable[[], int]
) -> None:
    async with client(f"http://127.0.0.1:{blackholes()}", max_retries=2) as c:
        _, error = await start_fails(c)
    assert error.retries_taken == 2 and len(handed) == 3


async def test_a_tls_handshake_that_never_completes_ends_at_connect(
    handed: list[float | None], silent: tuple[int, list[bytes]]
) -> None:
    """sock_connect covers TCP and TLS: a server that never answers the ClientHello."""
    port, received = silent
    async with client(f"https://127.0.0.1:{port}", verify=False) as c:
        elapsed, _ = await start_fails(c)
    assert elapsed < CONNECT + 1.0
    assert received and all(not chunk.startswith(b"POST") for chunk in received)
    assert all(connect is None for connect in handed) is DROPS


@pytest.mark.skipif(not DROPS, reason="this aiohttp arms the connect timer in ClientSession")
async def test_the_total_expiring_with_the_timer_dropped_is_still_not_sent(
    blackholes: Callable[[], int],
) -> None:
    """The total firing first (its timer before sock_connect's): ``failed_connecting``
    still finds aiohttp's ``connect`` in the traceback (no frame of ours hides it)."""
    port = blackholes()
    timeout = aiohttp.ClientTimeout(total=0.2, connect=5.0, sock_connect=5.0)
    async with aiohttp.ClientSession(connector=OneShotConnector()) as session:
        with pytest.raises(asyncio.TimeoutError) as caught:
            await session.post(f"http://127.0.0.1:{port}/", timeout=timeout)
    assert not isinstance(caught.value, aiohttp.ConnectionTimeoutError)
    assert failed_connecting(caught.value)


async def test_a_cached_single_address_name_drops_the_timer(
    handed: list[float | None], blackholes: Callable[[], int], resolver: type[Resolver]
) -> None:
    port = blackholes()
    resolver.ports = [port]
    async with client(f"http://workflow.test:{port}") as c:
        first, _ = await start_fails(c)  # a lookup: the timer is kept
        second, _ = await start_fails(c)  # one cached address: dropped
    assert resolver.lookups == 1
    assert handed[0] == CONNECT and (handed[1] is None) is DROPS
    assert first < CONNECT + 1.0 and second < CONNECT + 1.0


# -- the timer kept: more than one sock_connect step -------------------------------


async def test_a_lookup_that_never_ends_ends_at_connect(
    handed: list[float | None], resolver: type[Resolver]
) -> None:
    resolver.ports = None
    async with client("http://workflow.test:8080", max_retries=1) as c:
        elapsed, error = await start_fails(c)
    assert error.retries_taken == 1
    assert elapsed < 2 * CONNECT + 1.5
    assert handed == [CONNECT, CONNECT]


async def test_a_name_with_several_dead_addresses_ends_at_connect(
    handed: list[float | None], blackholes: Callable[[], int], resolver: type[Resolver]
) -> None:
    """aiohttp tries each address under its own sock_connect: 3 x CONNECT unbounded."""
    resolver.ports = [blackholes(), blackholes(), blackholes()]
    async with client("http://workflow.test:8080") as c:
        first, _ = await start_fails(c)  # not cached yet
        second, _ = await start_fails(c)  # three cached addresses
    assert first < 2 * CONNECT and second < 2 * CONNECT
    assert resolver.lookups == 1
    assert handed == [CONNECT, CONNECT]


@pytest.mark.parametrize("how", ["explicit", "environment"])
async def test_a_proxy_that_never_answers_connect_ends_at_connect(
    handed: list[float | None],
    silent: tuple[int, list[bytes]],
    monkeypatch: pytest.MonkeyPatch,
    no_proxy_env: None,
    how: str,
) -> None:
    """The proxy's connection and its CONNECT are two steps: the timer is kept."""
    port, received = silent
    proxy = f"http://127.0.0.1:{port}"
    options: dict[str, Any] = {"verify": False}
    if how == "explicit":
        options["proxy"] = proxy
    else:
        monkeypatch.setenv("HTTPS_PROXY", proxy)
        options["trust_env"] = True
    async with client("https://192.0.2.1:8443", **options) as c:
        elapsed, _ = await start_fails(c)
    assert elapsed < CONNECT + 1.0
    assert received and received[0].startswith(b"CONNECT 192.0.2.1:8443")
    assert handed == [CONNECT]


async def test_the_pooled_session_keeps_aiohttps_connect(
    handed: list[float | None], no_proxy_env: None
) -> None:
    async with FakeWorkflowServer() as server, AsyncWorkflowClient(**server.client_kwargs()) as c:
        await c.start_workflow("g", "media", "k")
        assert len(handed) == 1 and (handed[0] is None) is DROPS
        await c.list_executions("g", limit=1)  # GET: the pooled session
        await c.list_executions("g", limit=1)
        assert len(handed) == 1
        await c.start_workflow("g", "media", "k2")
        assert len(handed) == 2 and len(server.executions) == 2
