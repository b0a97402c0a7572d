"""A start still waiting for a connection slot when its client closes was never sent:
it ends as ``ClientClosedError`` (safe to send again), while the start holding the
slot, already on the wire, stays may-have-started. Both APIs, one transport."""

from __future__ import annotations

import asyncio

import pytest

from obs_workflow_async import ClientClosedError, TransportError
from obs_workflow_async.errors import may_have_started
from tests.support.inspect import transport_of
from tests.support.scripted_server import Request, ScriptedServer, api_client
from tests.support.waiting import until


@pytest.mark.parametrize("api", ["v2", "v3"])
@pytest.mark.parametrize("retry_non_idempotent", [False, True])
async def test_a_start_queued_for_a_slot_at_close_is_not_sent(
    api: str, retry_non_idempotent: bool
) -> None:
    held = asyncio.Event()

    async def never_answer(request: Request) -> None:
        held.set()
        await asyncio.Event().wait()  # the first start stays on the wire

    async with ScriptedServer(never_answer) as server:
        client = api_client(
            api, server.url, max_connections=1, retry_non_idempotent=retry_non_idempotent
        )
        first = asyncio.ensure_future(client.start_workflow("g", "my-bucket", "first"))
        await held.wait()
        second = asyncio.ensure_future(client.start_workflow("g", "my-bucket", "second"))
        slots = transport_of(client).slots  # type: ignore[arg-type]
        await until(lambda: slots.waiting == 1)
        await client.aclose()
        results = await asyncio.gather(first, second, return_exceptions=True)

    on_the_wire, queued = results
    assert isinstance(on_the_wire, TransportError) and may_have_started(on_the_wire)
    assert isinstance(queued, ClientClosedError), repr(queued)
    assert not may_have_started(queued)
    assert server.received == {"first": 1}  # the queued start never reached the server
