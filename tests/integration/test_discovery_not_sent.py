"""DWR v3 project-id discovery that fails is "not sent", never "may have started".

IAM is a raw asyncio server on loopback that misbehaves as each test says (500, a
hang, a reset, a 20 MB answer, a project named for another region); DWR is the
shipped ``FakeDwrServer``, whose own count of starts must stay 0. Issue 17, point 4.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from obs_workflow_async import errors
from obs_workflow_async.dwr import AsyncDwrClient, DiscoveryError, ProjectIdError
from obs_workflow_async.testing import FakeDwrServer

Behaviour = Callable[[asyncio.StreamWriter, "FakeIam"], Awaitable[None]]


class FakeIam:
    """Answers every request as ``behaviour`` says; counts the requests it read."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.requests = 0
        self.release = asyncio.Event()
        self._writers: list[asyncio.StreamWriter] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> FakeIam:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.append(writer)
        try:
            await reader.readuntil(b"\r\n\r\n")
            self.requests += 1
            await self.behaviour(writer, self)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            self._tasks.discard(task)

    async def __aexit__(self, *exc: object) -> None:
        self.release.set()
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()


def _answer(status: str, body: bytes, *, length: int | None = None) -> bytes:
    size = len(body) if length is None else length
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n\r\n"
    return head.encode() + body


async def _iam_500(writer: asyncio.StreamWriter, _: FakeIam) -> None:
    body = json.dumps({"error_code": "IAM.0001", "error_msg": "boom"}).encode()
    writer.write(_answer("500 Internal Server Error", body))


async def _hang(_: asyncio.StreamWriter, iam: FakeIam) -> None:
    await iam.release.wait()  # never answers while the client waits


async def _reset(writer: asyncio.StreamWriter, _: FakeIam) -> None:
    writer.transport.abort()


async def _twenty_mb(writer: asyncio.StreamWriter, iam: FakeIam) -> None:
    """A 20 MB project list, streamed until the client gives up on it."""
    writer.write(_answer("200 OK", b'{"projects": [', length=20 * 1024 * 1024))
    chunk = b" " * 65536
    while not iam.release.is_set() and not writer.is_closing():
        writer.write(chunk)
        await writer.drain()


async def _twenty_mb_chunked(writer: asyncio.StreamWriter, iam: FakeIam) -> None:
    """The same without a Content-Length: the cap is met while reading."""
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    writer.write(head + b'e\r\n{"projects": [\r\n')
    chunk = b"10000\r\n" + b" " * 65536 + b"\r\n"
    for _ in range(20 * 16):  # 20 MB
        if iam.release.is_set() or writer.is_closing():
            return
        writer.write(chunk)
        await writer.drain()


async def _other_region(writer: asyncio.StreamWriter, _: FakeIam) -> None:
    body = json.dumps({"projects": [{"id": "0123abcd", "name": "cn-east-3"}]}).encode()
    writer.write(_answer("200 OK", body))


def _client(dwr: FakeDwrServer, iam: FakeIam, **options: object) -> AsyncDwrClient:
    kwargs = dict(dwr.dwr_client_kwargs())
    del kwargs["project_id"]
    return AsyncDwrClient(
        **kwargs,  # type: ignore[arg-type]
        region=dwr.region,
        iam_endpoint=iam.url,
        environ={},
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
async def iam_500() -> AsyncIterator[FakeIam]:
    async with FakeIam(_iam_500) as iam:
        yield iam


@pytest.mark.parametrize(
    ("behaviour", "cause"),
    [
        (_iam_500, errors.ServerError),
        (_hang, errors.RequestTimeoutError),
        (_reset, errors.TransportError),
        (_twenty_mb, errors.TransportError),
        (_twenty_mb_chunked, errors.TransportError),
    ],
    ids=["500", "hang", "reset", "20MB", "20MB-chunked"],
)
async def test_failed_discovery_is_not_sent(
    dwr_fake_server: FakeDwrServer, behaviour: Behaviour, cause: type[Exception]
) -> None:
    async with (
        FakeIam(behaviour) as iam,
        _client(dwr_fake_server, iam, timeout=0.5, max_retries=0) as client,
    ):
        with pytest.raises(DiscoveryError) as info:
            await client.start_workflow("g", "bkt", "o")
    error = info.value
    assert isinstance(error.__cause__, cause) and error.cause is error.__cause__
    assert error.request_sent is False
    assert not error.may_have_started and not errors.may_have_started(error)
    assert "not sent" in str(error) and "project id" in str(error)
    assert iam.requests >= 1
    assert dwr_fake_server.attempts["g"] == 0  # the server's own count: nothing started


async def test_a_hanging_iam_is_bounded_by_the_calls_deadline(
    dwr_fake_server: FakeDwrServer,
) -> None:
    # The client's defaults would wait 60 s per attempt and retry 3 times; the call's
    # deadline bounds the discovery as it bounds the call.
    async with FakeIam(_hang) as iam, _client(dwr_fake_server, iam) as client:
        with pytest.raises(DiscoveryError) as info:
            await client.start_workflow("g", "bkt", "o", deadline=0.3)
        assert not info.value.may_have_started
        # a second caller, with its own deadline, waits on the same discovery
        with pytest.raises(DiscoveryError):
            await client.get_workflow("g", deadline=0.2)
    assert dwr_fake_server.attempts["g"] == 0


async def test_a_hanging_iam_is_bounded_by_the_calls_timeout(
    dwr_fake_server: FakeDwrServer,
) -> None:
    async with FakeIam(_hang) as iam, _client(dwr_fake_server, iam) as client:
        with pytest.raises(DiscoveryError) as info:
            await client.start_workflow("g", "bkt", "o", timeout=0.3, max_retries=0)
    assert isinstance(info.value.__cause__, errors.RequestTimeoutError)
    assert dwr_fake_server.attempts["g"] == 0


async def test_project_named_for_another_region_is_refused(dwr_fake_server: FakeDwrServer) -> None:
    async with FakeIam(_other_region) as iam, _client(dwr_fake_server, iam) as client:
        with pytest.raises(ProjectIdError, match="cn-east-3") as info:
            await client.start_workflow("g", "bkt", "o")
    assert dwr_fake_server.region in str(info.value) and "project_id=" in str(info.value)
    assert not info.value.may_have_started
    assert dwr_fake_server.attempts["g"] == 0 and dwr_fake_server.requests == []


async def test_batch_items_are_definite_failures_and_resend_safely(
    dwr_fake_server: FakeDwrServer, iam_500: FakeIam
) -> None:
    items = [{"graph_name": "g", "bucket": "bkt", "object_key": f"o{n}"} for n in range(5)]
    async with _client(dwr_fake_server, iam_500, max_retries=0) as client:
        outcomes = await client.start_all(items, concurrency=2)
    assert all(isinstance(o.error, DiscoveryError) and not o.ambiguous for o in outcomes)
    assert dwr_fake_server.attempts["g"] == 0


async def test_discovery_after_a_failure_asks_again_and_starts_once(
    dwr_fake_server: FakeDwrServer,
) -> None:
    answers = iter([_iam_500])

    async def first_500_then_ok(writer: asyncio.StreamWriter, iam: FakeIam) -> None:
        behaviour = next(answers, None)
        if behaviour is not None:
            await behaviour(writer, iam)
            return
        body = json.dumps(
            {"projects": [{"id": FakeDwrServer.PROJECT_ID, "name": dwr_fake_server.region}]}
        ).encode()
        writer.write(_answer("200 OK", body))

    async with (
        FakeIam(first_500_then_ok) as iam,
        _client(dwr_fake_server, iam, max_retries=0) as client,
    ):
        with pytest.raises(DiscoveryError):
            await client.start_workflow("g", "bkt", "o")
        await client.start_workflow("g", "bkt", "o")
        await client.start_workflow("g", "bkt", "o2")
    assert iam.requests == 2
    assert dwr_fake_server.attempts["g"] == 2
