"""Cancellation is exact, "not sent" is exact, and deadlines cover every wait.

Real sockets throughout: the fake service (delayed answers), a listener whose
accept queue is full (a connect that never completes), a proxy that refuses
CONNECT, and credential providers that hang.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping

import pytest

from obs_workflow_async import (
    AsyncWorkflowClient,
    Credentials,
    ObsWorkflowError,
    RequestTimeoutError,
    StartRequest,
    Timeout,
    TransportError,
    may_have_started,
)
from obs_workflow_async.credentials import CredentialsCache
from obs_workflow_async.errors import StartCancelledError
from obs_workflow_async.hooks import RequestEvent
from obs_workflow_async.testing import FakeWorkflowServer, Fault
from obs_workflow_async.testing.mock import MockRequest, MockResponse, MockTransport
from tests.support.blackhole import blackholes
from tests.support.inspect import free_slots
from tests.support.scripted_server import api_client
from tests.support.waiting import until

MakeClient = Callable[..., AsyncWorkflowClient]


class _Events:
    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()

    def __call__(self, event: RequestEvent) -> None:
        self.kinds[event.kind] += 1
        if event.kind == "call_finished":
            self.outcomes[str(event.outcome)] += 1


@pytest.mark.parametrize("with_hook", [False, True])
async def test_cancelling_queued_and_sending_calls_raises_only_cancelled(
    fake: FakeWorkflowServer,
    make_client: MakeClient,
    with_hook: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Calls queue behind 2 connections; random ones are cancelled at random moments.
    Only CancelledError escapes; every call_started has its call_finished."""
    fake.add_fault(Fault("delay", delay=0.003), times=None)
    events = _Events()
    client = make_client(max_connections=2, hooks=[events] if with_hook else [])
    rng = random.Random(3)
    tasks = [asyncio.create_task(client.start_workflow("g", "media", f"k{i}")) for i in range(400)]
    for _ in range(40):
        await asyncio.sleep(rng.choice([0, 0.001, 0.002]))
        for task in rng.sample(tasks, 8):
            task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    kinds = Counter(type(r).__name__ for r in results)
    assert set(kinds) <= {"StartWorkflowResult", "CancelledError"}, kinds
    assert kinds["CancelledError"] > 0
    # a cancelled call never goes on to start: the service saw at most the calls that
    # succeeded plus those cancelled after they were sent
    assert len(fake.executions) <= len(results)
    assert len(fake.executions) >= kinds["StartWorkflowResult"]
    if with_hook:
        assert events.kinds["call_started"] == events.kinds["call_finished"] == 400
        assert events.outcomes["cancelled"] == kinds["CancelledError"]
    assert "never retrieved" not in caplog.text
    assert free_slots(client) == 2


async def test_a_deadline_while_queued_is_a_timeout_and_nothing_is_sent(
    fake: FakeWorkflowServer, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    fake.add_fault(Fault("delay", delay=0.05), times=None)
    client = make_client(max_connections=1)
    results = await asyncio.gather(
        *(client.start_workflow("g", "media", f"k{i}", deadline=0.02) for i in range(50)),
        return_exceptions=True,
    )
    assert all(isinstance(r, RequestTimeoutError) for r in results), results
    queued = [r for r in results if isinstance(r, RequestTimeoutError) and not r.request_sent]
    assert len(queued) >= 45  # all but the one(s) that reached the connection
    assert all("deadline" in str(r) for r in queued)
    assert any("waiting for a free connection" in str(r) for r in queued)
    await asyncio.sleep(0.1)
    # nothing queued was ever sent: only calls that may have started reached the service
    assert len(fake.executions) <= sum(1 for r in results if may_have_started(r))  # type: ignore[arg-type]
    assert "never retrieved" not in caplog.text


@pytest.fixture
def full_backlog() -> Iterator[int]:
    """A port whose accept queue is full: new connections never complete."""
    with blackholes() as blackholed:
        yield blackholed()


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": 0.3},  # a float: connect = total
        {"timeout": 5.0, "deadline": 0.3},  # a deadline under the connect timeout
        {"timeout": Timeout(total=None, connect=0.3)},
    ],
)
async def test_a_connect_that_never_completes_is_not_sent(
    full_backlog: int, options: dict[str, object]
) -> None:
    async with AsyncWorkflowClient(
        server=f"http://127.0.0.1:{full_backlog}",
        access_key_id="AK",
        secret_access_key="SK",
        max_retries=0,
        **options,  # type: ignore[arg-type]
    ) as client:
        with pytest.raises(RequestTimeoutError) as caught:
            await client.start_workflow("g", "media", "k")
    assert caught.value.request_sent is False
    assert may_have_started(caught.value) is False


@pytest.mark.parametrize("api", ["v2", "v3"])
@pytest.mark.parametrize("timeout", [0.3, 0.6])
async def test_a_connect_that_never_completes_is_not_sent_when_the_loop_stalls_past_both_timers(
    full_backlog: int, timeout: float, api: str
) -> None:
    """A loop blocked mid-connect past the connect bound AND the total (a busy machine,
    a blocking call elsewhere) fires both timers in one iteration: the total's
    ``TimeoutError`` must still be judged from where it left (connecting: not sent),
    never as a start that may have happened (aiohttp 3.10.6 and 3.10.7 fail this)."""
    loop = asyncio.get_running_loop()
    # time.sleep on the loop: nothing runs until both deadlines are behind
    loop.call_later(0.05, time.sleep, timeout + 0.1)
    url = f"http://127.0.0.1:{full_backlog}"
    async with api_client(api, url, max_retries=0, timeout=timeout) as client:
        with pytest.raises(RequestTimeoutError) as caught:
            await client.start_workflow("g", "media", "k")
    assert caught.value.request_sent is False
    assert may_have_started(caught.value) is False
    assert "connecting" in str(caught.value)


@pytest.mark.parametrize("status", [407, 502])
async def test_a_proxy_refusing_connect_is_not_sent(status: int) -> None:
    """An https endpoint through a proxy that answers CONNECT with an error."""
    seen: list[str] = []

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append((await reader.readuntil(b"\r\n\r\n")).decode().split(" ")[0])
        writer.write(f"HTTP/1.1 {status} Nope\r\nContent-Length: 0\r\n\r\n".encode())
        await writer.drain()
        writer.close()

    proxy = await asyncio.start_server(refuse, "127.0.0.1", 0)
    port = proxy.sockets[0].getsockname()[1]
    try:
        async with AsyncWorkflowClient(
            server="https://obs.example.invalid",
            access_key_id="AK",
            secret_access_key="SK",
            proxy=f"http://user:proxy-pa55word-DO-NOT-LEAK@127.0.0.1:{port}",
            max_retries=1,
        ) as client:
            client = client.with_options(max_retries=1)
            with pytest.raises(TransportError) as caught:
                await client.start_workflow("g", "media", "k")
    finally:
        proxy.close()
        await proxy.wait_closed()
    error = caught.value
    assert error.request_sent is False and not may_have_started(error)
    assert set(seen) == {"CONNECT"}
    # 502 is retried under the not-sent policy; 407 is final
    assert len(seen) == (1 if status == 407 else 2)


class _HangingProvider:
    def __init__(self) -> None:
        self.calls = 0

    async def get(self) -> Credentials:
        self.calls += 1
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")  # pragma: no cover


async def test_the_deadline_covers_a_hanging_credentials_provider(
    fake: FakeWorkflowServer, caplog: pytest.LogCaptureFixture
) -> None:
    provider = _HangingProvider()
    async with AsyncWorkflowClient(server=fake.url, credentials=provider) as client:
        loop = asyncio.get_running_loop()
        began = loop.time()
        results = await asyncio.gather(
            *(client.start_workflow("g", "media", f"k{i}", deadline=0.1) for i in range(20)),
            return_exceptions=True,
        )
        took = loop.time() - began
    assert all(isinstance(r, RequestTimeoutError) for r in results)
    assert all("credentials" in str(r) and not r.request_sent for r in results)  # type: ignore[union-attr]
    # the deadline is 0.1 s, the provider hangs for an hour: 10 s leaves a starved
    # machine room and still catches a wait that the deadline does not cut
    assert took < 10.0
    assert fake.executions == []
    assert "never retrieved" not in caplog.text


async def test_without_a_deadline_the_attempt_timeout_bounds_the_credentials_wait(
    fake: FakeWorkflowServer,
) -> None:
    async with AsyncWorkflowClient(
        server=fake.url, credentials=_HangingProvider(), timeout=0.1
    ) as client:
        with pytest.raises(RequestTimeoutError, match="credentials"):
            await client.start_workflow("g", "media", "k")


async def test_cancelling_a_caller_waiting_for_credentials_raises_cancelled(
    fake: FakeWorkflowServer,
) -> None:
    provider = _HangingProvider()
    cache = CredentialsCache(provider)
    async with AsyncWorkflowClient(server=fake.url, credentials=cache) as client:
        task = asyncio.create_task(client.start_workflow("g", "media", "k", deadline=30))
        await until(lambda: provider.calls == 1, timeout=60)  # waiting for credentials now
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_leaving_a_batch_early_accounts_for_every_item(fake: FakeWorkflowServer) -> None:
    """break (with and without ``async with``), an exception in the loop body, a
    cancelled consumer: every object the service started is reported, either as a
    yielded success or in ``run.unreported`` as may-have-started."""
    fake.add_fault(Fault("delay", delay=0.01), times=None)

    def items(tag: str) -> Iterator[StartRequest]:
        for i in range(500):
            yield StartRequest(graph_name="g", bucket="media", object_key=f"{tag}/{i}")

    async with AsyncWorkflowClient(**fake.client_kwargs()) as client:
        reported: dict[str, set[str]] = {}
        runs = {}

        async def consume(tag: str, how: str) -> None:
            run = client.start_many(items(tag), concurrency=32)
            runs[tag] = run
            seen = reported.setdefault(tag, set())
            if how == "with":
                async with run:
                    async for outcome in run:
                        seen.add(outcome.request.object_key)  # type: ignore[union-attr]
                        if len(seen) == 5:
                            break
            elif how == "bare":
                async for outcome in run:
                    seen.add(outcome.request.object_key)  # type: ignore[union-attr]
                    if len(seen) == 5:
                        break
            elif how == "raise":
                async for outcome in run:
                    seen.add(outcome.request.object_key)  # type: ignore[union-attr]
                    if len(seen) == 5:
                        raise KeyError("the consumer fails")
            else:  # consumes until it is cancelled
                async with run:
                    async for outcome in run:
                        seen.add(outcome.request.object_key)  # type: ignore[union-attr]

        await consume("with", "with")
        await consume("bare", "bare")
        with pytest.raises(KeyError):
            await consume("raise", "raise")
        task = asyncio.create_task(consume("cancel", "until-cancelled"))
        await until(lambda: len(reported.get("cancel", ())) >= 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        for run in runs.values():
            await run.aclose()
        await asyncio.sleep(0.05)  # anything still on the wire lands now
    for tag, run in runs.items():
        started = {e.object_key for e in fake.executions if e.object_key.startswith(tag + "/")}
        unreported_ok = {o.request.object_key for o in run.unreported if o.ok}  # type: ignore[union-attr]
        possibly = {o.request.object_key for o in run.unreported if o.ambiguous}  # type: ignore[union-attr]
        assert started <= reported[tag] | unreported_ok | possibly, tag
        cancelled = [o for o in run.unreported if isinstance(o.error, StartCancelledError)]
        assert run.stats.cancelled == len(cancelled)
        assert run.stats.done == len(reported[tag]) + len(run.unreported), tag
        assert run.stats.in_flight == 0


async def test_an_exception_at_any_stage_of_an_item_is_its_outcome(
    fake: FakeWorkflowServer,
) -> None:
    """Inject an arbitrary exception at each stage; the iteration always ends."""

    class BoomError(Exception):
        pass

    class HostileMapping(Mapping[str, object]):
        def __init__(self, **values: object) -> None:
            self._values = values

        def __getitem__(self, key: str) -> object:
            raise BoomError("getitem")

        def __iter__(self) -> Iterator[str]:
            return iter(self._values)

        def __len__(self) -> int:
            return len(self._values)

    async with AsyncWorkflowClient(**fake.client_kwargs()) as client:
        calls = 0

        def progress(_stats: object) -> None:
            nonlocal calls
            calls += 1
            raise BoomError("progress")

        items: list[object] = [
            {"graph_name": "g", "bucket": "media", "object_key": "a"},
            HostileMapping(graph_name="g", bucket="media", object_key="b"),
            {"graph_name": "g", "bucket": "media", "object_key": "c", 1: 2},
            object(),
            {"graph_name": "g", "bucket": "media", "object_key": "d"},
        ]
        outcomes = await asyncio.wait_for(
            client.start_all(items, on_progress=progress),  # type: ignore[arg-type]
            10,
        )
        assert calls == 5
        assert [o.ok for o in outcomes] == [True, False, False, False, True]
        assert all(o.invalid for o in outcomes[1:4])

    # an exception from inside the start call itself: a transport (the wire) that breaks
    # in a way nobody foresaw, for object "x" only
    started = {
        "execution_urn": "urn:x",
        "execution_name": "e",
        "started_at": "2026-01-01T00:00:00Z",
    }

    def wire(request: MockRequest) -> MockResponse:
        if request.json() == {"bucket": "media", "object": "x"}:
            raise BoomError("inside the call")
        return MockResponse(200, json=started)

    async with AsyncWorkflowClient(
        server="https://obs.example.com",
        access_key_id="ak",
        secret_access_key="sk",
        transport=MockTransport(wire),
    ) as client:
        outcomes = await asyncio.wait_for(
            client.start_all(
                [
                    StartRequest(graph_name="g", bucket="media", object_key=k)
                    for k in ("w", "x", "y")
                ]
            ),
            10,
        )
        assert [o.ok for o in outcomes] == [True, False, True]
        error = outcomes[1].error
        assert isinstance(error, ObsWorkflowError) and isinstance(error.__cause__, BoomError)
        assert outcomes[1].ambiguous  # unknown: may have started
