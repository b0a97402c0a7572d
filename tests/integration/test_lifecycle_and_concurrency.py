"""Lifecycle (lazy pool, close, injected sessions) and behaviour under concurrency."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable

import aiohttp
import pytest

from obs_workflow_async import (
    AsyncWorkflowClient,
    ClientClosedError,
    InvalidRequestError,
    ObsWorkflowError,
    PermissionDeniedError,
)
from obs_workflow_async._config import Runtime
from obs_workflow_async.errors import LoopMismatchError
from obs_workflow_async.testing import FakeWorkflowServer, Fault
from tests.conftest import SECRET, TOKEN
from tests.support.inspect import session_of
from tests.support.waiting import until

MakeClient = Callable[..., AsyncWorkflowClient]


async def test_session_is_created_lazily_and_closed_once(make_client: MakeClient) -> None:
    client = make_client()
    assert session_of(client) is None
    await client.start_workflow("g", "my-bucket", "k")
    session = session_of(client)
    assert session is not None and not session.closed
    await client.aclose()
    await client.aclose()  # idempotent
    assert session.closed and client.closed


async def test_using_a_closed_client_raises_a_clear_error(make_client: MakeClient) -> None:
    client = make_client()
    async with client:
        await client.start_workflow("g", "my-bucket", "k")
    with pytest.raises(ClientClosedError, match="closed") as caught:
        await client.start_workflow("g", "my-bucket", "k")
    assert isinstance(caught.value, ObsWorkflowError)


async def test_an_injected_session_is_never_closed(fake: FakeWorkflowServer) -> None:
    async with aiohttp.ClientSession() as session:
        async with AsyncWorkflowClient(**fake.client_kwargs(), session=session) as client:  # type: ignore[arg-type]
            await client.start_workflow("g", "my-bucket", "k")
        assert not session.closed
        async with session.get(fake.url + "/nothing-here") as response:
            assert response.status in (404, 405)
    assert len(fake.executions) == 1


async def test_user_agent_and_keep_alive(fake: FakeWorkflowServer, make_client: MakeClient) -> None:
    client = make_client(user_agent="my-service/1.2")
    for _ in range(5):
        await client.list_workflows()
    assert len(fake.peers) == 1  # one pooled connection, reused by idempotent calls
    for i in range(5):
        await client.start_workflow("g", "my-bucket", f"k{i}")
    assert {r.headers["User-Agent"] for r in fake.requests} == {"my-service/1.2"}
    assert len(fake.peers) == 6  # each start on a connection of its own (issue 17)
    connection = [r.headers.get("Connection", "keep-alive") for r in fake.requests]
    assert connection == ["keep-alive"] * 5 + ["close"] * 5


async def test_disabling_tls_verification_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    client = AsyncWorkflowClient(
        server="https://obs.example.com", access_key_id="a", secret_access_key="b", verify=False
    )
    async with client:
        pass
    assert "verification is disabled" in caplog.text


async def test_two_clients_with_different_credentials_are_independent(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    good = make_client()
    bad = make_client(access_key_id="SOMEONEELSE000000001", secret_access_key="other")
    results = await asyncio.gather(
        good.start_workflow("g", "my-bucket", "k"),
        bad.start_workflow("g", "my-bucket", "k"),
        good.start_workflow("g", "my-bucket", "k"),
        return_exceptions=True,
    )
    assert [type(r).__name__ for r in results] == [
        "StartWorkflowResult",
        "PermissionDeniedError",
        "StartWorkflowResult",
    ]
    assert isinstance(results[1], PermissionDeniedError)
    assert results[1].code == "InvalidAccessKeyId"
    assert session_of(good) is not session_of(bad)


async def test_invalid_names_never_reach_the_server(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    client = make_client()
    cases = [
        ("", "my-bucket", "k", None),
        ("-g", "my-bucket", "k", None),
        ("g" * 65, "my-bucket", "k", None),
        ("g/../x", "my-bucket", "k", None),
        ("g", "MY-BUCKET", "k", None),
        ("g", "10.0.0.1", "k", None),
        ("g", "a..b", "k", None),
        ("g", "ab", "k", None),
        ("g", "my-bucket", "", None),
        ("g", "my-bucket", "x" * 1025, None),
        ("g", "my-bucket", "k", {"x": float("nan")}),
        ("g", "my-bucket", "k", {"x": {1, 2}}),
        ("g", "my-bucket", "k", ["not", "a", "mapping"]),
    ]
    for graph, bucket, key, inputs in cases:
        with pytest.raises(InvalidRequestError):
            await client.start_workflow(graph, bucket, key, inputs=inputs)  # type: ignore[arg-type]
    assert fake.requests == []
    assert session_of(client) is None  # not even a connection was opened


@pytest.mark.slow
async def test_2000_concurrent_starts_respect_the_pool_limit(
    make_client: MakeClient, fake: FakeWorkflowServer
) -> None:
    fake.record_requests = False
    fake.add_fault(Fault("delay", delay=0.005), times=None)  # so that calls overlap
    # keep-alive beyond the test's length: a starved machine can leave a pooled connection
    # idle past the default 1.5 s, and its replacement is a new peer; this is about the limit
    client = make_client(max_connections=40, keepalive_timeout=600)
    results = await asyncio.gather(
        *(client.start_workflow("g", "my-bucket", f"k/{i}") for i in range(2000))
    )
    assert len(results) == 2000
    assert len(fake.executions) == 2000
    assert len({e.object_key for e in fake.executions}) == 2000  # each exactly once
    assert len({r.execution_name for r in results}) == 2000
    assert fake.max_in_flight <= 40
    # each start on a connection of its own (issue 17; a closed port may come back)
    assert len(fake.peers) > 40
    assert fake.max_in_flight >= 20  # and the pool was actually used in parallel


async def test_cancelling_100_inflight_starts_leaves_a_usable_client(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    fake.add_fault(Fault("delay", delay=5.0), times=100)
    client = make_client()
    tasks = [
        asyncio.create_task(client.start_workflow("g", "my-bucket", f"k{i}")) for i in range(100)
    ]
    await until(lambda: fake.in_flight == 100, timeout=60)
    for task in tasks:
        task.cancel()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(o, asyncio.CancelledError) for o in outcomes)
    result = await client.start_workflow("g", "my-bucket", "after")
    assert result.execution_name
    await client.aclose()
    # the server notices the cancelled connections going away
    await until(lambda: fake.in_flight == 0, timeout=60)


async def test_cancellation_during_backoff_is_not_swallowed(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    fake.add_fault(Fault("status", status=503, retry_after="10"), times=None)
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        await asyncio.sleep(seconds)

    client = make_client(runtime=Runtime(sleep=sleep))
    task = asyncio.create_task(client.start_workflow("g", "my-bucket", "k"))
    await until(lambda: pauses == [10.0], timeout=60)  # in the backoff now
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_closing_leaves_nothing_unclosed(
    fake: FakeWorkflowServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="asyncio")
    async with AsyncWorkflowClient(**fake.client_kwargs()) as client:
        await asyncio.gather(*(client.start_workflow("g", "my-bucket", f"{i}") for i in range(20)))
    del client
    gc.collect()
    await asyncio.sleep(0)
    assert "Unclosed" not in caplog.text


async def test_client_from_another_loop_is_refused(fake: FakeWorkflowServer) -> None:
    client = AsyncWorkflowClient(**fake.client_kwargs())
    await client.start_workflow("g", "my-bucket", "k")

    def other_loop() -> None:
        with pytest.raises(LoopMismatchError, match="another event loop"):
            asyncio.run(client.start_workflow("g", "my-bucket", "k"))

    await asyncio.to_thread(other_loop)
    await client.aclose()


async def test_secrets_absent_from_logs_reprs_and_errors(
    fake: FakeWorkflowServer, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client()
    texts = [repr(client), str(client)]
    fake.add_fault(Fault("status", status=500))
    fake.add_fault(Fault("drop"))
    for _ in range(2):
        try:
            await client.start_workflow("g", "my-bucket", "k")
        except ObsWorkflowError as error:
            texts += [repr(error), str(error), repr(vars(error))]
    result = await client.start_workflow("g", "my-bucket", "k")
    texts += [repr(result), str(result), result.model_dump_json()]
    texts.append(caplog.text)
    assert "DEBUG" in caplog.text or caplog.records  # logging was on
    for text in texts:
        assert SECRET not in text
        assert TOKEN not in text
        assert "Authorization" not in text


async def test_starts_on_pooled_connections_when_asked(
    fake: FakeWorkflowServer, make_client: MakeClient
) -> None:
    """reuse_connections_for_starts=True: starts share the pooled connection (no
    ``Connection: close``), the documented opt-out of one connection per start."""
    client = make_client(reuse_connections_for_starts=True)
    for i in range(5):
        await client.start_workflow("g", "my-bucket", f"k{i}")
    assert len(fake.executions) == 5
    assert len(fake.peers) == 1
    assert all(r.headers.get("Connection", "keep-alive") != "close" for r in fake.requests)
