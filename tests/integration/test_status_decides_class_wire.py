"""Over the wire, both APIs: a start answered ``500`` + ``APIG.0308`` after the service
*acted* is a ``ServerError`` that may have started, so code that resends on
``RateLimitError`` does not start it twice; a ``429`` + ``APIG.0308`` (refused before
acting) is still a ``RateLimitError``, retried by the client. The server counts what it
started. Issue 17, point 4."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from aiohttp import web

from obs_workflow_async import AsyncWorkflowClient, errors
from obs_workflow_async.dwr import AsyncDwrClient
from tests.support.scripted_server import api_client


class CountingGateway:
    """Every start is answered ``statuses`` in turn (then 200); a 2xx or a 5xx other than
    503 comes *after* the start was acted on (counted in ``started``), a 4xx or 503
    before."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.started: Counter[str] = Counter()
        self.requests = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _start(self, request: web.Request) -> web.Response:
        self.requests += 1
        await request.read()
        status = self.statuses.pop(0) if self.statuses else 200
        if not (400 <= status < 500 or status == 503):  # 4xx and 503: refused, not acted on
            self.started[request.path] += 1
        if status == 200:
            body = {"execution_urn": "urn:x", "execution_name": f"e{self.requests}"}
            return web.json_response(body)
        error = {"error_code": "APIG.0308", "error_msg": "throttled", "request_id": "r"}
        return web.Response(status=status, text=json.dumps(error), content_type="application/json")

    async def __aenter__(self) -> CountingGateway:
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", self._start)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


@pytest.fixture(params=["v2", "v3"])
def api(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def _start_resending_on_rate_limit(client: AsyncWorkflowClient | AsyncDwrClient) -> None:
    """What users write: resend while throttled."""
    for _ in range(4):
        try:
            await client.start_workflow("g", "bkt", "o")
            return
        except errors.RateLimitError:
            continue


async def test_500_with_the_throttling_code_is_not_resent(api: str) -> None:
    async with (
        CountingGateway(500, 500, 500) as gateway,
        api_client(api, gateway.url, environ={}) as client,
    ):
        with pytest.raises(errors.ServerError) as info:
            await _start_resending_on_rate_limit(client)
    error = info.value
    assert not isinstance(error, errors.RateLimitError)
    assert error.status == 500 and error.code == "APIG.0308" and error.may_have_started
    assert gateway.requests == 1 and sum(gateway.started.values()) == 1  # started once


async def test_429_with_the_throttling_code_is_still_a_rate_limit(api: str) -> None:
    async with (
        CountingGateway(429, 429) as gateway,
        api_client(api, gateway.url, environ={}) as client,
    ):
        with pytest.raises(errors.RateLimitError) as info:
            await client.start_workflow("g", "bkt", "o", max_retries=1)
        assert not info.value.may_have_started
        await client.start_workflow("g", "bkt", "o")  # refused before acting: safe to send
    assert gateway.requests == 3 and sum(gateway.started.values()) == 1


async def test_503_with_the_throttling_code_is_retried_and_starts_once(api: str) -> None:
    async with CountingGateway(503) as gateway, api_client(api, gateway.url, environ={}) as client:
        await client.start_workflow("g", "bkt", "o")
    assert gateway.requests == 2 and sum(gateway.started.values()) == 1


async def test_batch_500_with_the_throttling_code_is_ambiguous(api: str) -> None:
    item = {"graph_name": "g", "bucket": "bkt", "object_key": "o"}
    async with CountingGateway(500) as gateway, api_client(api, gateway.url, environ={}) as client:
        (outcome,) = await client.start_all([item])
    assert isinstance(outcome.error, errors.ServerError) and outcome.ambiguous
    assert not isinstance(outcome.error, errors.RateLimitError)
    assert gateway.requests == 1 and sum(gateway.started.values()) == 1
