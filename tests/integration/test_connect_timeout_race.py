"""The attempt's total timeout expiring mid-connect is still "not sent".

aiohttp bounds the connect phase below the total (``aiohttp_timeout``), but on a
late-waking (busy) loop both timers are due together and the total's may fire
first: aiohttp then reports a bare timeout, as for a read timeout. The transport knows
whether the attempt was handed a connection, so the race cannot make a start that
was never sent look "maybe started". Here the race is forced: no connect timeout
at all, only the total, against a connect that never completes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from obs_workflow_async import (
    AsyncWorkflowClient,
    RequestTimeoutError,
    _aiohttp_transport,
    may_have_started,
)
from tests.support.blackhole import blackholes
from tests.support.blackhole import silent_server as silent


@pytest.fixture
def total_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """aiohttp gets the total only: a hanging connect always ends by the total timer."""

    def timeout(
        total: float | None, connect: float | None, read: float | None
    ) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(total=total, sock_read=read, ceil_threshold=float("inf"))

    monkeypatch.setattr(_aiohttp_transport, "aiohttp_timeout", timeout)


@pytest.fixture
def hanging_connect() -> Iterator[int]:
    """A port whose accept queue is full: new connections never complete."""
    with blackholes() as blackholed:
        yield blackholed()


@pytest.fixture
async def silent_server() -> AsyncIterator[tuple[int, list[bytes]]]:
    """Accepts and reads requests, never answers; yields (port, requests received)."""
    async with silent(heads=True) as listening:
        yield listening


OPTIONS = [{"timeout": 0.2}, {"timeout": 5.0, "deadline": 0.2}]


@pytest.mark.parametrize("options", OPTIONS)
async def test_the_total_expiring_mid_connect_is_not_sent(
    total_only: None, hanging_connect: int, options: dict[str, float]
) -> None:
    async with AsyncWorkflowClient(
        server=f"http://127.0.0.1:{hanging_connect}",
        access_key_id="AK",
        secret_access_key="SK",
        max_retries=0,
        **options,  # type: ignore[arg-type]
    ) as client:
        with pytest.raises(RequestTimeoutError) as caught:
            await client.start_workflow("g", "media", "k")
    assert caught.value.request_sent is False
    assert may_have_started(caught.value) is False
    assert "while connecting" in str(caught.value)


async def test_a_not_sent_timeout_is_retried_for_a_start(
    total_only: None, hanging_connect: int
) -> None:
    """NOT_SENT is retryable even for a start: every attempt is made, none sent."""
    async with AsyncWorkflowClient(
        server=f"http://127.0.0.1:{hanging_connect}",
        access_key_id="AK",
        secret_access_key="SK",
        max_retries=2,
        timeout=0.1,
    ) as client:
        with pytest.raises(RequestTimeoutError) as caught:
            await client.start_workflow("g", "media", "k")
    assert caught.value.request_sent is False
    assert caught.value.retries_taken == 2


@pytest.mark.parametrize("options", OPTIONS)
async def test_the_total_expiring_after_connecting_may_have_started(
    total_only: None, silent_server: tuple[int, list[bytes]], options: dict[str, float]
) -> None:
    """The other half: once the attempt had a connection, the request may be in."""
    port, received = silent_server
    async with AsyncWorkflowClient(
        server=f"http://127.0.0.1:{port}",
        access_key_id="AK",
        secret_access_key="SK",
        max_retries=0,
        **options,  # type: ignore[arg-type]
    ) as client:
        with pytest.raises(RequestTimeoutError) as caught:
            await client.start_workflow("g", "media", "k")
    assert caught.value.request_sent is True
    assert may_have_started(caught.value) is True
    assert len(received) == 1  # it was sent, counted on the server


async def test_a_borrowed_session_keeps_the_conservative_answer(
    total_only: None, hanging_connect: int
) -> None:
    """A session the caller owns has a connector we cannot watch: maybe sent, as before."""
    async with (
        aiohttp.ClientSession() as session,
        AsyncWorkflowClient(
            server=f"http://127.0.0.1:{hanging_connect}",
            access_key_id="AK",
            secret_access_key="SK",
            max_retries=0,
            timeout=0.2,
            session=session,
        ) as client,
    ):
        with pytest.raises(RequestTimeoutError) as caught:
            await client.start_workflow("g", "media", "k")
    assert caught.value.request_sent is True
