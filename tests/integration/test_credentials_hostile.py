"""The credentials cache and providers against hostile providers and a hostile metadata server.

Windows and back-off intervals run on an injected clock; the only wall-clock
figures are upper bounds on how long a failing fetch may take.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
import traceback
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Coroutine
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web

from obs_workflow_async import AsyncWorkflowClient, CredentialsError
from obs_workflow_async.credentials import (
    Credentials,
    CredentialsCache,
    EcsMetadataProvider,
    EnvironmentProvider,
    OidcProvider,
    parse_security_key,
    resolve_credentials,
)
from obs_workflow_async.testing import FakeWorkflowServer
from tests.conftest import ACCESS_KEY, SECRET, TOKEN

SESSION_TOKEN = "metadata-session-token-DO-NOT-LEAK-0003"
ID_TOKEN = "oidc-id-token-DO-NOT-LEAK-0004"
SUBJECT_TOKEN = "subject-token-DO-NOT-LEAK-0005"
ALL_SECRETS = (SECRET, TOKEN, SESSION_TOKEN, ID_TOKEN, SUBJECT_TOKEN)
MINUTE = 60.0

T = TypeVar("T")


class Clock:
    """The cache's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 2_000_000_000.0

    def __call__(self) -> float:
        return self.now


class Hostile:
    """A provider that counts calls and can wait on a gate, hang, or fail."""

    def __init__(self, clock: Clock, *, lifetime: float = 3600.0) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.calls = 0
        self.cancelled = 0
        self.gate: asyncio.Event | None = None
        self.hang = False
        self.fail: Exception | None = None

    async def get(self) -> Credentials:
        self.calls += 1
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self.hang:
                await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        if self.fail is not None:
            raise self.fail
        return keys(self.clock, self.lifetime)


def keys(clock: Clock, seconds_left: float) -> Credentials:
    expiry = datetime.fromtimestamp(clock.now + seconds_left, tz=timezone.utc)
    return Credentials(ACCESS_KEY, SECRET, TOKEN, expiry)


def without_waiting(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to its end without ever suspending it (fails if it would wait)."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    coro.close()
    raise AssertionError("the call waited")


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


# --- one shared fetch, back-off ----------------------------------------------------


async def test_stampede_of_1000_callers_makes_one_fetch() -> None:
    clock = Clock()
    provider = Hostile(clock)
    provider.gate = asyncio.Event()
    cache = CredentialsCache(provider, clock=clock)
    callers = [asyncio.ensure_future(cache.get()) for _ in range(1000)]
    await settle()
    assert provider.calls == 1
    provider.gate.set()
    results = await asyncio.gather(*callers)
    assert provider.calls == 1 and cache.refreshes == 1
    assert all(r is results[0] for r in results)


async def test_keys_arriving_inside_the_mandatory_window_are_fetched_once_per_interval() -> None:
    clock = Clock()
    provider = Hostile(clock, lifetime=5 * MINUTE)  # inside the 10-minute mandatory window
    cache = CredentialsCache(provider, clock=clock, min_refresh_interval=30.0)
    results = await asyncio.gather(*(cache.get() for _ in range(1000)))
    assert provider.calls == 1 and results[0].security_token == TOKEN
    for _ in range(200):  # later calls within the interval: no fetch, no wait
        assert without_waiting(cache.get()) is results[0]
    assert provider.calls == 1
    clock.now += 29.0
    without_waiting(cache.get())
    assert provider.calls == 1
    clock.now += 1.0  # the interval is over: one more fetch, shared again
    await asyncio.gather(*(cache.get() for _ in range(100)))
    assert provider.calls == 2


async def test_a_clock_running_backwards_does_not_stop_refreshes() -> None:
    clock = Clock()
    provider = Hostile(clock, lifetime=5 * MINUTE)
    cache = CredentialsCache(provider, clock=clock)
    await cache.get()
    clock.now -= 20  # keys still inside the mandatory window, last fetch 'in the future'
    await cache.get()
    assert provider.calls == 2


async def test_failing_refresh_keeps_valid_keys_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    provider = Hostile(clock)
    provider.fail = CredentialsError("the provider is down")
    current = keys(clock, 9 * MINUTE)  # mandatory window, but valid for 9 more minutes
    cache = CredentialsCache(provider, initial=current, clock=clock, min_refresh_interval=30.0)
    results = await asyncio.gather(*(cache.get() for _ in range(100)), return_exceptions=True)
    assert results == [current] * 100
    assert provider.calls == 1
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "still using the current ones" in warnings[0].getMessage()
    clock.now += 30.0  # one more attempt per interval; no second warning
    assert await asyncio.gather(*(cache.get() for _ in range(100))) == [current] * 100
    assert provider.calls == 2
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1
    clock.now += 9 * MINUTE  # expired: now the calls fail, all with the same error
    errors = await asyncio.gather(*(cache.get() for _ in range(50)), return_exceptions=True)
    assert all(isinstance(e, CredentialsError) for e in errors)
    assert {str(e) for e in errors} == {"the provider is down"}
    assert provider.calls == 3
    provider.fail = None  # the provider recovers: the next interval fetches again
    clock.now += 30.0
    assert (await cache.get()).expires_at != current.expires_at


async def test_a_failing_provider_fails_fast_within_the_interval() -> None:
    clock = Clock()
    provider = Hostile(clock)
    provider.fail = RuntimeError("boom")
    cache = CredentialsCache(provider, clock=clock)
    errors = await asyncio.gather(*(cache.get() for _ in range(200)), return_exceptions=True)
    assert provider.calls == 1
    assert all(isinstance(e, CredentialsError) for e in errors)
    assert len({str(e) for e in errors}) == 1 and "RuntimeError: boom" in str(errors[0])
    for _ in range(200):
        with pytest.raises(CredentialsError, match="boom"):
            without_waiting(cache.get())
    assert provider.calls == 1


# --- the advisory window, cancellation, aclose -------------------------------------


async def test_advisory_refresh_never_delays_a_caller() -> None:
    clock = Clock()
    provider = Hostile(clock)
    provider.hang = True  # the refresh never ends
    current = keys(clock, 12 * MINUTE)
    cache = CredentialsCache(provider, initial=current, clock=clock, fetch_timeout=None)
    for _ in range(100):
        assert without_waiting(cache.get()) is current
    await settle()
    assert provider.calls == 1  # one background refresh, hanging
    await cache.aclose()
    assert provider.cancelled == 1
    assert without_waiting(cache.get()) is current


async def test_a_cancelled_caller_does_not_cancel_the_fetch_for_the_others() -> None:
    clock = Clock()
    provider = Hostile(clock)
    provider.gate = asyncio.Event()
    cache = CredentialsCache(provider, clock=clock)
    first = asyncio.ensure_future(cache.get())
    others = [asyncio.ensure_future(cache.get()) for _ in range(10)]
    await settle()
    first.cancel()
    with pytest.raises(asyncio.TimeoutError):  # an outer timeout on another caller
        await asyncio.wait_for(cache.get(), 0.01)
    await settle()
    assert provider.cancelled == 0
    provider.gate.set()
    with pytest.raises(asyncio.CancelledError):
        await first
    results = await asyncio.gather(*others)
    assert all(r is results[0] for r in results) and provider.calls == 1


async def test_all_callers_cancelled_the_fetch_still_lands() -> None:
    clock = Clock()
    provider = Hostile(clock)
    provider.gate = asyncio.Event()
    cache = CredentialsCache(provider, clock=clock)
    callers = [asyncio.ensure_future(cache.get()) for _ in range(5)]
    await settle()
    for caller in callers:
        caller.cancel()
    results = await asyncio.gather(*callers, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)
    provider.gate.set()
    await settle()
    assert cache.current is not None and provider.calls == 1
    assert without_waiting(cache.get()) is cache.current


async def test_failure_nobody_awaits_is_retrieved(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    provider = Hostile(clock)
    provider.gate = asyncio.Event()
    provider.fail = RuntimeError("nobody listens")
    cache = CredentialsCache(provider, clock=clock)
    caller = asyncio.ensure_future(cache.get())
    await settle()
    caller.cancel()
    provider.gate.set()
    await settle()
    import gc

    gc.collect()
    assert "never retrieved" not in caplog.text
    assert "nobody listens" in caplog.text  # logged once by the cache


@pytest.mark.skipif(sys.version_info < (3, 11), reason="Task.cancelling() is 3.11+")
async def test_aclose_cancels_the_fetch_and_waiters_get_a_credentials_error() -> None:
    clock = Clock()
    provider = Hostile(clock)
    provider.hang = True
    cache = CredentialsCache(provider, clock=clock, fetch_timeout=None)
    waiter = asyncio.ensure_future(cache.get())
    await settle()
    await cache.aclose()
    with pytest.raises(CredentialsError, match="cancelled"):
        await waiter
    assert provider.cancelled == 1


async def test_a_hanging_provider_is_bounded_by_fetch_timeout() -> None:
    clock = Clock()
    provider = Hostile(clock)
    provider.hang = True
    cache = CredentialsCache(provider, clock=clock, fetch_timeout=0.05)
    with pytest.raises(CredentialsError, match=r"took more than 0\.05 s"):
        await cache.get()
    assert provider.cancelled == 1
    with pytest.raises(CredentialsError, match="took more than"):
        without_waiting(cache.get())  # within the back-off interval: fails fast
    assert provider.calls == 1


# --- a hostile metadata server -------------------------------------------------------


def _credential_body(token: str = TOKEN, expires_at: str = "2099-01-01T00:00:00Z") -> bytes:
    body = {
        "credential": {
            "access": ACCESS_KEY,
            "secret": SECRET,
            "securitytoken": token,
            "expires_at": expires_at,
        }
    }
    return json.dumps(body).encode()


class HostileServer:
    """Metadata and IAM endpoints with one behaviour per step, counting requests."""

    def __init__(self) -> None:
        self.token_mode = "ok"
        self.key_mode = "ok"
        self.exchange_mode = "ok"
        self.security_mode = "ok"
        self.hits: dict[str, int] = {}
        self.sent = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _act(self, request: web.Request, name: str, mode: str, ok: web.Response) -> Any:
        self.hits[name] = self.hits.get(name, 0) + 1
        if mode == "ok":
            return ok
        if mode.isdigit():
            # an error answer that echoes what it was sent (a hostile server may)
            echo = " ".join(f"{k}={v}" for k, v in request.headers.items())
            return web.Response(status=int(mode), text=echo)
        if mode == "hang":
            await asyncio.sleep(3600)
        if mode == "drop":
            assert request.transport is not None
            request.transport.abort()
            await asyncio.sleep(3600)
        if mode == "bad-expiry":
            return web.Response(body=_credential_body(expires_at="soon"))
        if mode == "bad-token":
            return web.Response(body=_credential_body(token=TOKEN + "\r\nX: y"))
        if mode in ("huge", "huge-declared"):
            headers = {"Content-Length": str(1 << 30)} if mode == "huge-declared" else {}
            response = web.StreamResponse(headers=headers)
            await response.prepare(request)
            chunk = b"x" * 65536
            try:
                for _ in range(1 << 14):  # 1 GiB
                    await response.write(chunk)
                    self.sent += len(chunk)
            except ConnectionError:
                pass
            return response
        raise AssertionError(mode)

    async def token(self, request: web.Request) -> Any:
        return await self._act(request, "token", self.token_mode, web.Response(text=SESSION_TOKEN))

    async def securitykey(self, request: web.Request) -> Any:
        if self.token_mode == "ok":
            assert request.headers["X-securitykey-Token"] == SESSION_TOKEN
        return await self._act(request, "key", self.key_mode, web.Response(body=_credential_body()))

    async def exchange(self, request: web.Request) -> Any:
        assert (await request.json())["auth"]["id_token"]["id"] == ID_TOKEN
        ok = web.Response(status=201, headers={"X-Subject-Token": SUBJECT_TOKEN})
        return await self._act(request, "exchange", self.exchange_mode, ok)

    async def security(self, request: web.Request) -> Any:
        assert request.headers["X-Auth-Token"] == SUBJECT_TOKEN
        ok = web.Response(status=201, body=_credential_body())
        return await self._act(request, "security", self.security_mode, ok)

    async def __aenter__(self) -> HostileServer:
        app = web.Application()
        app.router.add_put("/meta-data/latest/api/token", self.token)
        app.router.add_get("/openstack/latest/securitykey", self.securitykey)
        app.router.add_post("/v3.0/OS-AUTH/id-token/tokens", self.exchange)
        app.router.add_post("/v3.0/OS-CREDENTIAL/securitytokens", self.security)
        self._runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=0.1, handler_cancellation=True
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


@pytest.fixture
async def hostile() -> AsyncIterator[HostileServer]:
    async with HostileServer() as server:
        yield server


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "oidc-token"
    path.write_text(ID_TOKEN + "\n")
    return path


def oidc(server: HostileServer, token_file: Path, timeout: float = 10.0) -> OidcProvider:
    return OidcProvider(
        idp_id="my-idp", token_file=token_file, iam_endpoint=server.url, timeout=timeout
    )


async def test_providers_work_against_the_hostile_server_when_it_behaves(
    hostile: HostileServer, token_file: Path
) -> None:
    assert (await EcsMetadataProvider(endpoint=hostile.url).get()).security_token == TOKEN
    assert (await oidc(hostile, token_file).get()).security_token == TOKEN


async def test_metadata_500_with_200_concurrent_calls_fails_fast(hostile: HostileServer) -> None:
    hostile.key_mode = "500"
    cache = CredentialsCache(EcsMetadataProvider(endpoint=hostile.url))
    began = time.perf_counter()
    errors = await asyncio.gather(*(cache.get() for _ in range(200)), return_exceptions=True)
    elapsed = time.perf_counter() - began
    assert all(isinstance(e, CredentialsError) for e in errors)
    assert len({str(e) for e in errors}) == 1 and "500" in str(errors[0])
    assert hostile.hits["key"] == 3  # one shared fetch, three attempts
    # before: 62 s (200 sequential fetches of 3 attempts); the one shared fetch takes
    # 0.3 s of pauses, and 20 s leaves a starved machine room while catching that
    assert elapsed < 20.0
    again = await asyncio.gather(*(cache.get() for _ in range(200)), return_exceptions=True)
    assert all(isinstance(e, CredentialsError) for e in again)
    assert hostile.hits["key"] == 3  # the failure is remembered: no new fetch


# A hanging service must cost one total timeout, not one per attempt: before, it took
# 3 x the timeout plus the pauses between attempts (3.3 s here). The timeout is real
# (aiohttp's): the bound leaves a starved machine 1.5 s of delay and still catches that.
HANG_TIMEOUT = 1.0
WITHIN_TOTAL = 2.5


async def test_hanging_metadata_is_bounded_by_the_total_timeout(hostile: HostileServer) -> None:
    hostile.key_mode = "hang"
    began = time.perf_counter()
    with pytest.raises(CredentialsError, match="out of time"):
        await EcsMetadataProvider(endpoint=hostile.url, timeout=HANG_TIMEOUT).get()
    assert time.perf_counter() - began < WITHIN_TOTAL
    hostile.key_mode, hostile.token_mode = "ok", "hang"
    began = time.perf_counter()
    with pytest.raises(CredentialsError, match="out of time"):
        await EcsMetadataProvider(endpoint=hostile.url, timeout=HANG_TIMEOUT).get()
    assert time.perf_counter() - began < WITHIN_TOTAL


async def test_hanging_oidc_is_bounded_by_the_total_timeout(
    hostile: HostileServer, token_file: Path
) -> None:
    hostile.security_mode = "hang"
    began = time.perf_counter()
    with pytest.raises(CredentialsError, match="out of time"):
        await oidc(hostile, token_file, timeout=HANG_TIMEOUT).get()
    assert time.perf_counter() - began < WITHIN_TOTAL


@pytest.mark.parametrize("mode", ["huge", "huge-declared"])
async def test_a_1_gib_metadata_answer_is_refused_unread(hostile: HostileServer, mode: str) -> None:
    hostile.key_mode = mode
    tracemalloc.start()
    try:
        with pytest.raises(CredentialsError, match="larger than 65536 bytes"):
            await EcsMetadataProvider(endpoint=hostile.url, timeout=30).get()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024  # before: the whole answer (1 GB answer: 3.1 GB RSS)
    await settle()
    assert hostile.sent < 64 * 1024 * 1024  # the client stopped reading
    assert hostile.hits["key"] == 1  # an oversized answer is not retried


async def test_a_huge_oidc_answer_and_token_file_are_refused(
    hostile: HostileServer, token_file: Path, tmp_path: Path
) -> None:
    hostile.security_mode = "huge"
    with pytest.raises(CredentialsError, match="larger than 65536 bytes"):
        await oidc(hostile, token_file).get()
    big = tmp_path / "big-token"
    big.write_bytes(b"x" * (10 * 1024 * 1024))
    with pytest.raises(CredentialsError, match="larger than 65536 bytes"):
        await oidc(hostile, big).get()
    assert hostile.hits.get("exchange", 0) == 1  # the big file never reached IAM


# --- no secret in any error, chain, traceback locals or log --------------------------


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    stack = [error]
    while stack:
        item = stack.pop()
        if any(item is s for s in seen):
            continue
        seen.append(item)
        stack.extend(e for e in (item.__cause__, item.__context__) if e is not None)
    return seen


def assert_no_secret(error: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    texts = []
    for item in _chain(error):
        texts += [str(item), repr(item), *(repr(a) for a in item.args)]
        rendered = traceback.TracebackException.from_exception(item, capture_locals=True)
        texts.append("".join(rendered.format()))
    texts.append(caplog.text)
    texts += [str(r.args) for r in caplog.records]
    for secret in ALL_SECRETS:
        for text in texts:
            assert secret not in text, f"{secret} leaked: ...{text[:2000]}"


async def _error_of(call: Awaitable[object]) -> CredentialsError:
    with pytest.raises(CredentialsError) as caught:
        await call
    return caught.value


ECS_CASES = [
    ("key", "500"),
    ("key", "403"),
    ("key", "drop"),
    ("key", "hang"),
    ("key", "bad-expiry"),
    ("key", "bad-token"),
    ("key", "huge"),
    ("token", "500"),
    ("token", "drop"),
]
OIDC_CASES = [
    ("exchange", "401"),
    ("exchange", "500"),
    ("exchange", "drop"),
    ("security", "403"),
    ("security", "500"),
    ("security", "drop"),
    ("security", "hang"),
    ("security", "bad-expiry"),
    ("security", "bad-token"),
    ("security", "huge"),
]


@pytest.mark.parametrize(("step", "mode"), ECS_CASES)
async def test_no_secret_in_metadata_errors(
    hostile: HostileServer, caplog: pytest.LogCaptureFixture, step: str, mode: str
) -> None:
    setattr(hostile, f"{step}_mode", mode)
    provider = EcsMetadataProvider(endpoint=hostile.url, timeout=0.3)

    async def through_the_cache() -> list[CredentialsError]:
        # the same through the cache (shared fetch, fail-fast path)
        cache = CredentialsCache(provider, clock=Clock())
        return [await _error_of(cache.get()), await _error_of(cache.get())]

    async def through_a_refresh() -> list[CredentialsError]:
        clock = Clock()
        current = keys(clock, 9 * MINUTE)
        cache = CredentialsCache(provider, initial=current, clock=clock)
        assert await cache.get() is current  # the failed refresh was logged
        clock.now += 10 * MINUTE
        return [await _error_of(cache.get())]

    # The three paths are independent (each its own cache and clock): they run side by
    # side, each fetch paying the provider's retry pauses once, not one after the other.
    # Every error, and the log of all three, is checked after.
    direct, cached, refreshed = await asyncio.gather(
        _error_of(provider.get()), through_the_cache(), through_a_refresh()
    )
    for error in (direct, *cached, *refreshed):
        assert_no_secret(error, caplog)


@pytest.mark.parametrize(("step", "mode"), OIDC_CASES)
async def test_no_secret_in_oidc_errors(
    hostile: HostileServer,
    token_file: Path,
    caplog: pytest.LogCaptureFixture,
    step: str,
    mode: str,
) -> None:
    setattr(hostile, f"{step}_mode", mode)
    provider = oidc(hostile, token_file, timeout=0.3)
    cache = CredentialsCache(provider, clock=Clock())
    # directly and through the cache, side by side (independent fetches); both checked
    errors = await asyncio.gather(_error_of(provider.get()), _error_of(cache.get()))
    for error in errors:
        assert_no_secret(error, caplog)


async def test_no_secret_in_local_errors(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    # (A direct ``Credentials(...)`` call that is refused keeps its own arguments in
    # the dataclass __init__ frame: those are the caller's values, in the caller's
    # hands already. Every path where the library builds Credentials is below.)
    errors: list[BaseException] = []
    for call in (
        lambda: resolve_credentials(None, SECRET, TOKEN),
        lambda: resolve_credentials(ACCESS_KEY, SECRET, TOKEN + "\r\nX: y"),
        lambda: parse_security_key(_credential_body(expires_at="soon")),
        lambda: parse_security_key(_credential_body(token=TOKEN + "\r\n")),
        lambda: EnvironmentProvider(
            {
                "OBS_ACCESS_KEY_ID": ACCESS_KEY,
                "OBS_SECRET_ACCESS_KEY": SECRET,
                "OBS_SECURITY_TOKEN": TOKEN + "\0",
            }
        ).lookup(),
        lambda: OidcProvider(environ={"OBS_SECRET_ACCESS_KEY": SECRET, "X": ID_TOKEN}),
    ):
        with pytest.raises(CredentialsError) as caught:
            call()
        errors.append(caught.value)
    missing = OidcProvider(idp_id="idp", token_file=tmp_path / "missing")
    errors.append(await _error_of(missing.get()))
    for error in errors:
        assert_no_secret(error, caplog)


async def test_no_secret_when_a_call_fails_on_credentials(
    hostile: HostileServer, caplog: pytest.LogCaptureFixture
) -> None:
    hostile.key_mode = "500"
    async with FakeWorkflowServer(record_requests=False) as service:
        provider = EcsMetadataProvider(endpoint=hostile.url, timeout=0.3)
        async with AsyncWorkflowClient(server=service.url, credentials=provider) as client:
            error = await _error_of(client.start_workflow("g", "media", "k"))
        assert service.calls["start"] == 0
    assert_no_secret(error, caplog)
