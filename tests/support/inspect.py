"""The one place tests look inside a client (read-only): its aiohttp session and slots.

Tests never write private attributes: clocks, sleeps and randomness are injected
with ``runtime=Runtime(...)`` and the wire with ``transport=``.
"""

from __future__ import annotations

import aiohttp

from obs_workflow_async import AsyncWorkflowClient
from obs_workflow_async._aiohttp_transport import AiohttpTransport


def transport_of(client: AsyncWorkflowClient) -> AiohttpTransport:
    transport = client._core.transport
    assert isinstance(transport, AiohttpTransport)
    return transport


def session_of(client: AsyncWorkflowClient) -> aiohttp.ClientSession | None:
    return transport_of(client).session


def free_slots(client: AsyncWorkflowClient) -> int:
    return transport_of(client).slots.free
