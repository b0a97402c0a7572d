"""The one place tests look inside a client (read-only): its aiohttp session and slots.

Tests never write private attributes: clocks, sleeps and randomness are injected
with ``runtime=Runtime(...)`` and the wire with ``sender=``.
"""

from __future__ import annotations

import aiohttp

from obs_workflow_async import AsyncWorkflowClient
from obs_workflow_async._sender import AiohttpSender


def sender_of(client: AsyncWorkflowClient) -> AiohttpSender:
    sender = client._transport.sender
    assert isinstance(sender, AiohttpSender)
    return sender


def session_of(client: AsyncWorkflowClient) -> aiohttp.ClientSession | None:
    return sender_of(client).session


def free_slots(client: AsyncWorkflowClient) -> int:
    return sender_of(client).slots.free
