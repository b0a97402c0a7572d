"""The fault suite at load: 10,000 starts through a fault-injecting proxy, with a restart.

Latency spikes, connections reset before and after the request is relayed, slow-loris
answers, and the endpoint restarting mid-run. Every start must end started exactly
once or with a typed error that says whether the service may have started it; no
object may be started twice; the pool must recover; nothing may leak.

The starts go out on both kinds of connection at once, through the same proxy and the
same restart (when each has had 800 outcomes): 2,000 on a client that sends each
start on a connection of its own (the default), 8,000 on one that sends them on pooled
connections (``reuse_connections_for_starts=True``; the proxy's faults are per request,
so a pooled connection meets them as often). A pooled start costs half the CPU of one
on a connection of its own (the connection's set-up and teardown on the client, the
proxy and the fake): the 10,000 starts take about two thirds of the CPU they took all
on connections of their own.
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections import Counter
from collections.abc import Iterator

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from obs_workflow_async import (
    APIStatusError,
    AsyncWorkflowClient,
    BatchRun,
    StartOutcome,
    StartRequest,
    Timeout,
    TransportError,
)
from obs_workflow_async._config import Runtime
from obs_workflow_async.testing import FakeWorkflowServer
from obs_workflow_async.testing.faultproxy import FaultPlan, FaultProxy
from tests.support.open_sockets import open_sockets, sockets_left_open
from tests.support.waiting import RecordedPauses, until

PLAN = FaultPlan(
    reset_before=0.004,
    reset_after=0.004,
    slow=0.002,
    latency=0.02,
    latency_seconds=0.2,
    drip_seconds=0.05,
    drip_bytes=16,
)


def _requests(n: int, prefix: str) -> Iterator[StartRequest]:
    for i in range(n):
        yield StartRequest(graph_name="g", bucket="media", object_key=f"{prefix}/{i:05d}")


@pytest.mark.slow
async def test_10000_starts_under_faults_and_a_restart() -> None:
    """Asserted as invariants, not rates: how many starts succeed depends on how fast the
    machine is (a starved one turns more answers into read timeouts, which are
    ambiguous outcomes), what each outcome says about the service never does."""
    sockets_before = open_sockets()
    server = FakeWorkflowServer(record_requests=False)
    await server.start()
    proxy = await FaultProxy(server.host, server.port, PLAN, seed=7).start()
    outcomes: list[StartOutcome] = []
    restarted = asyncio.Event()
    halfway = asyncio.Event()
    runs: list[BatchRun] = []
    # starts per client, by reuse_connections_for_starts; 32 in flight on each
    starts = {False: 2_000, True: 8_000}
    done: Counter[bool] = Counter()

    pauses: list[float] = []  # every backoff pause the retry loop takes (then slept)

    async def pause(seconds: float) -> None:
        pauses.append(seconds)
        await asyncio.sleep(seconds)

    async def restart_halfway() -> None:
        await halfway.wait()
        await proxy.stop()
        await server.close()
        # Down until a client has had to retry a refused connection, however long
        # that takes on this machine: each of the 64 calls in flight (32 per client)
        # can take at most one pause for an attempt made before the stop, so the 65th
        # pause after it follows an attempt the stopped proxy refused. (Waiting for a
        # retried item to finish instead kept the service down until a call's 5 s
        # total ran out.)
        before = len(pauses)
        await until(lambda: len(pauses) > before + 64, timeout=120)
        await server.start()
        await proxy.start()
        restarted.set()

    async def start_many(client: AsyncWorkflowClient, pooled: bool) -> None:
        prefix = "load/pooled" if pooled else "load/own"
        async with client.start_many(_requests(starts[pooled], prefix), concurrency=32) as run:
            runs.append(run)
            async for outcome in run:
                outcomes.append(outcome)
                done[pooled] += 1
                if len(done) == 2 and min(done.values()) >= 800:
                    halfway.set()  # both clients are mid-run: restart

    try:
        clients = [
            AsyncWorkflowClient(
                server=proxy.url,
                access_key_id=server.access_key_id,
                secret_access_key=server.secret_access_key,
                timeout=Timeout(total=5.0, connect=1.0, read=2.0),
                max_retries=8,
                reuse_connections_for_starts=pooled,
                runtime=Runtime(sleep=pause),
            )
            for pooled in (False, True)
        ]
        async with clients[0], clients[1]:
            restart = asyncio.create_task(restart_halfway())
            await asyncio.gather(*(start_many(c, c is clients[1]) for c in clients))
            await restart
            assert restarted.is_set()
            # The pools have recovered: a clean batch after the storm all succeeds (with
            # a timeout a starved machine meets: a broken pool fails at once, not late).
            proxy.plan = FaultPlan()
            for client, name in zip(clients, ("own", "pooled"), strict=True):
                after = await client.start_all(_requests(50, f"after/{name}"), timeout=60)
                assert all(o.ok for o in after), [o.error for o in after if not o.ok][:3]
    finally:
        await proxy.stop()
        await server.close()

    assert len(outcomes) == 10_000
    started = Counter(e.object_key for e in server.executions)
    assert max(started.values()) == 1  # zero duplicates
    kinds: Counter[str] = Counter()
    for outcome in outcomes:
        assert outcome.request is not None
        key = outcome.request.object_key
        if outcome.ok:
            kinds["ok"] += 1
            assert started[key] == 1  # every success was started once, on the service
            continue
        assert isinstance(outcome.error, TransportError | APIStatusError), outcome.error
        if outcome.ambiguous:
            kinds["ambiguous"] += 1
            assert started[key] <= 1
        else:
            kinds["not started"] += 1
            assert started[key] == 0  # a definite failure never started anything
    # every start the service made is reported: as a success or as may-have-started
    assert sum(started[k] for k in started if k.startswith("load/")) <= (
        kinds["ok"] + kinds["ambiguous"]
    )
    # the fault mix the proxy applied (counted on its side) had every kind of fault
    assert set(proxy.injected) == {"reset_before", "reset_after", "slow", "latency"}
    retries = [run.stats.retried for run in runs]
    retried = sum(retries)
    print("fault suite:", dict(kinds), dict(proxy.injected), "retried", retries)
    # an answer cut after the start (reset_after) can only be reported as ambiguous
    assert kinds["ambiguous"] > 0, (kinds, proxy.injected)
    assert retried > 0  # the restart's refused connections were retried
    # nothing leaks: every socket the test opened is closed (the proxy's stop() waits
    # for it; aiohttp closes the client's as the loop turns), no task is left
    assert await sockets_left_open(sockets_before) == frozenset()
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


class FailingResolver(AbstractResolver):
    """A resolver that knows no name: DNS failures without touching the network."""

    def __init__(self) -> None:
        self.lookups = 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups += 1
        raise OSError(socket.EAI_NONAME, "Name or service not known")

    async def close(self) -> None:
        return None


async def test_dns_failures_are_typed_not_sent_and_retried() -> None:
    resolver = FailingResolver()
    pauses = RecordedPauses()  # the backoff is not what this is about: no waiting it out
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=resolver)) as session:
        client = AsyncWorkflowClient(
            server="https://obs.unresolvable.example",
            access_key_id="a",
            secret_access_key="b",
            session=session,
            max_retries=2,
            runtime=Runtime(random=random.Random(1).random, sleep=pauses),
        )
        with pytest.raises(TransportError, match="cannot connect") as caught:
            await client.start_workflow("g", "media", "k")
        await client.aclose()
    assert caught.value.request_sent is False
    assert caught.value.retries_taken == 2 and resolver.lookups == 3
    assert len(pauses.seconds) == 2  # a backoff pause before each retry
