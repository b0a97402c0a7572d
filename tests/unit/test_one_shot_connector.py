"""When the one-shot connector drops aiohttp's ``connect`` timer, and when it keeps it.

``OneShotConnector.connect`` hands aiohttp ``timeout`` without ``connect`` only where
opening the connection is one ``sock_connect`` step (``sock_connect <= connect``): no
proxy, no trace hooks, a free slot, an IP literal or one fresh cached address. Every
other case, and every aiohttp whose internals differ, keeps the timeout unchanged.
The network-level attacks are in tests/integration/test_one_shot_connect_timer.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.client_reqrep import ClientRequest
from yarl import URL

from obs_workflow_async import _connections
from obs_workflow_async._connections import (
    GuardedConnector,
    OneShotConnector,
    _connect_timer_in_connector,
)

INF = float("inf")
TIMEOUT = aiohttp.ClientTimeout(
    total=5.0, connect=2.0, sock_connect=2.0, sock_read=3.0, ceil_threshold=INF
)


def request(url: str, proxy: str | None = None) -> ClientRequest:
    return ClientRequest(
        "POST",
        URL(url),
        loop=asyncio.get_running_loop(),
        proxy=URL(proxy) if proxy else None,
    )


def address(host: str, port: int) -> dict[str, Any]:
    return {"hostname": host, "host": host, "port": port, "family": 2, "proto": 0, "flags": 0}


@pytest.fixture
def handed(monkeypatch: pytest.MonkeyPatch) -> list[aiohttp.ClientTimeout]:
    """The timeouts the connector hands aiohttp's own ``connect`` (not run)."""
    seen: list[aiohttp.ClientTimeout] = []

    def base_connect(
        self: Any, req: Any, traces: Any, timeout: aiohttp.ClientTimeout
    ) -> aiohttp.ClientTimeout:
        seen.append(timeout)
        return timeout

    monkeypatch.setattr(_connections, "_base_connect", base_connect)
    return seen


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connectors made from now on decide (the logic, also on an aiohttp before 3.10.11)."""
    monkeypatch.setattr(_connections, "_connect_timer_in_connector", lambda: True)


@pytest.fixture
async def connector(checked: None) -> AsyncIterator[OneShotConnector]:
    connector = OneShotConnector(limit=4)
    yield connector
    await connector.close()


def dropped(connector: OneShotConnector, req: ClientRequest, traces: Any = ()) -> bool:
    """Whether ``connect`` handed aiohttp TIMEOUT without its connect timer."""
    handed = connector.connect(req, list(traces), TIMEOUT)
    assert isinstance(handed, aiohttp.ClientTimeout)
    if handed is TIMEOUT:
        return False
    # Only the connect timer differs.
    assert handed.connect is None
    assert (handed.total, handed.sock_connect, handed.sock_read, handed.ceil_threshold) == (
        5.0,
        2.0,
        3.0,
        INF,
    )
    return True


def test_the_timer_is_dropped_only_where_aiohttp_arms_it_in_the_connector() -> None:
    version = tuple(int(part) for part in aiohttp.__version__.split(".")[:3])
    assert _connect_timer_in_connector() is ((3, 10, 11) <= version < (3, 15))


async def test_an_ip_literal_drops_the_timer(
    connector: OneShotConnector, handed: list[aiohttp.ClientTimeout]
) -> None:
    assert dropped(connector, request("http://127.0.0.1:8080/v2/workflows/g"))
    assert dropped(connector, request("https://[::1]:8443/v2/workflows/g"))
    # The derived timeout is reused for the same source object.
    connector.connect(request("http://127.0.0.1:8080/"), [], TIMEOUT)
    assert handed[-1] is handed[0]


async def test_a_proxy_keeps_the_timer(
    connector: OneShotConnector, handed: list[aiohttp.ClientTimeout]
) -> None:
    assert not dropped(connector, request("http://127.0.0.1:8080/", proxy="http://127.0.0.1:3128"))
    assert not dropped(connector, request("https://127.0.0.1:8443/", proxy="http://10.0.0.1:3128"))


async def test_trace_hooks_keep_the_timer(
    connector: OneShotConnector, handed: list[aiohttp.ClientTimeout]
) -> None:
    assert not dropped(connector, request("http://127.0.0.1:8080/"), traces=[object()])


async def test_a_full_pool_or_a_per_host_limit_keeps_the_timer(
    connector: OneShotConnector, handed: list[aiohttp.ClientTimeout]
) -> None:
    req = request("http://127.0.0.1:8080/")
    for _ in range(4):
        connector._acquired.add(object())  # type: ignore[arg-type]
    # private: aiohttp's own answer, which the connector's check mirrors
    assert connector._available_connections(req.connection_key) <= 0
    assert not dropped(connector, req)
    connector._acquired.clear()
    assert dropped(connector, req)
    per_host = OneShotConnector(limit=4, limit_per_host=4)
    try:
        assert not dropped(per_host, req)
    finally:
        await per_host.close()


async def test_a_hostname_drops_the_timer_only_with_one_fresh_cached_address(
    connector: OneShotConnector, handed: list[aiohttp.ClientTimeout]
) -> None:
    req = request("https://obs.example.com/v2/workflows/g")
    assert not dropped(connector, req)  # not cached: a lookup, unbounded by sock_connect
    key = ("obs.example.com", 443)
    cache = connector._cached_hosts
    cache.add(key, [address("192.0.2.1", 443), address("192.0.2.2", 443)])
    assert not dropped(connector, req)  # two addresses: up to 2 x sock_connect
    cache.add(key, [address("192.0.2.1", 443)])
    assert dropped(connector, req)
    ttl = cache._ttl
    assert ttl is not None  # aiohttp's default: 10 s
    cache._timestamps[key] = time.monotonic() - ttl - 1  # expired: a new lookup
    assert not dropped(connector, req)
    cache._timestamps[key] = time.monotonic() - ttl + 0.5  # expires within the margin
    assert not dropped(connector, req)
    cache._timestamps[key] = time.monotonic() - ttl + 5
    assert dropped(connector, req)
    cache.remove(key)
    assert not dropped(connector, req)
    assert not dropped(connector, request("https://other.example.com/"))


async def test_the_cache_key_is_aiohttps(
    connector: OneShotConnector, handed: list[aiohttp.ClientTimeout]
) -> None:
    """Port and trailing dots as aiohttp's ``_create_direct_connection`` keys them."""
    connector._cached_hosts.add(("obs.example.com.", 8443), [address("192.0.2.1", 8443)])
    assert dropped(connector, request("https://obs.example.com..:8443/"))
    assert dropped(connector, request("https://obs.example.com.:8443/"))
    assert not dropped(connector, request("https://obs.example.com:8443/"))
    assert not dropped(connector, request("https://obs.example.com./"))


async def test_no_dns_cache_ttl_means_never_stale(
    handed: list[aiohttp.ClientTimeout], checked: None
) -> None:
    connector = OneShotConnector(ttl_dns_cache=None)
    connector._cached_hosts.add(("obs.example.com", 443), [address("192.0.2.1", 443)])
    assert dropped(connector, request("https://obs.example.com/"))
    await connector.close()
    connector = OneShotConnector(use_dns_cache=False)
    connector._cached_hosts.add(("obs.example.com", 443), [address("192.0.2.1", 443)])
    assert not dropped(connector, request("https://obs.example.com/"))  # always a lookup
    assert dropped(connector, request("https://192.0.2.1/"))
    await connector.close()


@pytest.mark.parametrize(
    "timeout",
    [
        aiohttp.ClientTimeout(total=5.0, connect=2.0, sock_connect=None, ceil_threshold=INF),
        aiohttp.ClientTimeout(total=5.0, connect=2.0, sock_connect=2.5, ceil_threshold=INF),
        aiohttp.ClientTimeout(total=5.0, connect=2.0, sock_connect=0, ceil_threshold=INF),
        aiohttp.ClientTimeout(total=5.0, connect=None, sock_connect=2.0, ceil_threshold=INF),
    ],
)
async def test_only_a_sock_connect_within_connect_replaces_it(
    connector: OneShotConnector,
    handed: list[aiohttp.ClientTimeout],
    timeout: aiohttp.ClientTimeout,
) -> None:
    connector.connect(request("http://127.0.0.1:8080/"), [], timeout)
    assert handed == [timeout]


async def test_a_shorter_sock_connect_drops_the_timer(
    connector: OneShotConnector, handed: list[aiohttp.ClientTimeout]
) -> None:
    timeout = aiohttp.ClientTimeout(total=5.0, connect=2.0, sock_connect=1.0, ceil_threshold=INF)
    connector.connect(request("http://127.0.0.1:8080/"), [], timeout)
    assert handed[0].connect is None and handed[0].sock_connect == 1.0


@pytest.mark.parametrize("missing", ["_cached_hosts", "_use_dns_cache", "_limit", "_acquired"])
async def test_missing_internals_keep_the_timer(
    connector: OneShotConnector, handed: list[aiohttp.ClientTimeout], missing: str
) -> None:
    connector._cached_hosts.add(("obs.example.com", 443), [address("192.0.2.1", 443)])
    req = request("https://obs.example.com/")
    assert dropped(connector, req)
    kept = getattr(connector, missing)
    delattr(connector, missing)
    try:
        assert not dropped(connector, req)
    finally:
        setattr(connector, missing, kept)


@pytest.mark.parametrize("missing", ["_addrs_rr", "_timestamps", "_ttl"])
async def test_a_different_dns_cache_keeps_the_timer(
    connector: OneShotConnector,
    handed: list[aiohttp.ClientTimeout],
    monkeypatch: pytest.MonkeyPatch,
    missing: str,
) -> None:
    cache = connector._cached_hosts
    cache.add(("obs.example.com", 443), [address("192.0.2.1", 443)])
    req = request("https://obs.example.com/")
    assert dropped(connector, req)
    if missing == "_addrs_rr":
        monkeypatch.setattr(cache, missing, {("obs.example.com", 443): "surprise"})
    else:
        monkeypatch.delattr(cache, missing)
    assert not dropped(connector, req)
    assert dropped(connector, request("https://192.0.2.1/"))  # IP literals need no cache


async def test_an_aiohttp_without_the_timer_in_its_connector_keeps_everything(
    handed: list[aiohttp.ClientTimeout], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before 3.10.11 (and for any aiohttp not checked) ``connect`` is aiohttp's."""
    for version in ("3.9.5", "3.15.0", "4.0.0", "3.x"):
        monkeypatch.setattr(aiohttp, "__version__", version)
        assert not _connect_timer_in_connector()
    monkeypatch.undo()
    monkeypatch.setattr(_connections, "_is_ip_address", None)
    assert not _connect_timer_in_connector()
    monkeypatch.undo()
    monkeypatch.setattr(aiohttp.TCPConnector, "connect", lambda *args: None)
    assert not _connect_timer_in_connector()
    monkeypatch.undo()
    monkeypatch.setattr(_connections, "_connect_timer_in_connector", lambda: False)
    connector = OneShotConnector()
    try:
        monkeypatch.setattr(_connections, "_base_connect", lambda s, r, t, timeout: timeout)
        assert connector.connect(request("http://127.0.0.1:8080/"), [], TIMEOUT) is TIMEOUT
    finally:
        await connector.close()


async def test_the_one_shot_connector_closes_every_connection() -> None:
    connector = OneShotConnector(limit=3)
    try:
        assert connector.force_close and connector.limit == 3
        assert isinstance(connector, GuardedConnector) and connector.guarded
        assert type(connector).connect is not aiohttp.BaseConnector.connect
        assert GuardedConnector.connect is aiohttp.BaseConnector.connect  # pooled: aiohttp's
    finally:
        await connector.close()
