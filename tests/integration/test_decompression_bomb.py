"""Compressed answers are decoded within the body cap (issue 17).

A gzip of 64 MiB of zeros is about 64 KiB on the wire, far under the 10 MiB cap on
the wire: it must be refused once the *decoded* size passes the cap, streamed
(never inflated whole), and for a start the refusal may have started (the service
answered 2xx). Legitimate gzip / deflate answers still parse.
"""

from __future__ import annotations

import gzip
import zlib

import pytest
from yarl import URL

from obs_workflow_async import ObsWorkflowError, Timeout, may_have_started
from obs_workflow_async._aiohttp_transport import AiohttpTransport
from obs_workflow_async._body import MAX_RESPONSE_BYTES, BodyTooLarge, _Inflater
from obs_workflow_async._config import parse_endpoint
from obs_workflow_async._retry import Failure
from obs_workflow_async.transport import PreparedRequest, SendError
from tests.support.scripted_server import STARTED, Request, ScriptedServer, answer, api_client

BOMB = gzip.compress(bytes(64 * 1024 * 1024), compresslevel=9)


def _raw_deflate(data: bytes) -> bytes:
    encoder = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return encoder.compress(data) + encoder.flush()


ENCODED = {
    "gzip": ("gzip", gzip.compress(STARTED)),
    "x-gzip": ("x-gzip", gzip.compress(STARTED)),
    "deflate-zlib": ("deflate", zlib.compress(STARTED)),
    "deflate-raw": ("deflate", _raw_deflate(STARTED)),
    "identity": ("identity", STARTED),
}


def _serving(body: bytes, encoding: str, status: str = "200 OK") -> ScriptedServer:
    async def script(request: Request) -> None:
        request.writer.write(answer(status, body, f"Content-Encoding: {encoding}\r\n"))

    return ScriptedServer(script)


def test_the_bomb_is_small_on_the_wire() -> None:
    assert len(BOMB) < MAX_RESPONSE_BYTES // 100


@pytest.mark.parametrize("api", ["v2", "v3"])
async def test_a_compressed_bomb_start_answer_is_refused_and_may_have_started(api: str) -> None:
    async with _serving(BOMB, "gzip") as server, api_client(api, server.url) as client:
        with pytest.raises(ObsWorkflowError) as caught:
            await client.start_workflow("g", "media", "k")
    error = caught.value
    assert "decompressed" in str(error)
    assert may_have_started(error)
    assert server.received["k"] == 1  # refused, not retried


@pytest.mark.parametrize("status", ["200 OK", "503 Service Unavailable"])
async def test_a_compressed_bomb_on_a_get_is_refused_as_final(status: str) -> None:
    async with _serving(BOMB, "gzip", status) as server:
        transport = AiohttpTransport(
            endpoint=parse_endpoint(server.url),
            verify=True,
            max_connections=2,
            keepalive_timeout=60,
            user_agent="test",
        )
        try:
            with pytest.raises(SendError) as caught:
                await transport.send(
                    PreparedRequest("GET", URL(server.url + "/x"), None, dict),
                    Timeout(total=10),
                    None,
                )
        finally:
            await transport.aclose()
    assert caught.value.failure is Failure.FINAL  # as any answer over the cap
    assert caught.value.request_sent
    assert "decompressed" in caught.value.message
    assert len(server.requests) == 1


def test_inflating_stops_at_the_cap() -> None:
    """The decoder never produces more than the cap plus one byte, whatever it is fed."""
    inflater = _Inflater("gzip", 1024 * 1024)
    with pytest.raises(BodyTooLarge):
        for start in range(0, len(BOMB), 65536):
            inflater.feed(BOMB[start : start + 65536])
    assert inflater._size <= 1024 * 1024 + 1


@pytest.mark.parametrize("case", sorted(ENCODED))
@pytest.mark.parametrize("api", ["v2", "v3"])
async def test_a_legitimate_compressed_start_answer_still_parses(api: str, case: str) -> None:
    encoding, body = ENCODED[case]
    async with _serving(body, encoding) as server, api_client(api, server.url) as client:
        result = await client.start_workflow("g", "media", "k")
    assert result.execution_name == "e1"
    assert server.received["k"] == 1


@pytest.mark.parametrize(
    ("encoding", "body"),
    [("gzip", b"not gzip at all"), ("gzip", gzip.compress(STARTED)[:-12]), ("br", b"\x0b\x02\x80")],
    ids=["corrupt", "truncated", "not-asked-for"],
)
async def test_an_unreadable_compressed_start_answer_may_have_started(
    encoding: str, body: bytes
) -> None:
    async with _serving(body, encoding) as server, api_client("v2", server.url) as client:
        with pytest.raises(ObsWorkflowError) as caught:
            await client.start_workflow("g", "media", "k")
    assert may_have_started(caught.value)
    assert server.received["k"] == 1


async def test_we_ask_only_for_encodings_we_decode_within_the_cap() -> None:
    async with _serving(STARTED, "identity") as server, api_client("v2", server.url) as client:
        await client.start_workflow("g", "media", "k")
    assert server.requests[0].headers["accept-encoding"] == "gzip, deflate"
