"""One rule for "may have started", checked against a hostile service of our own.

Every answer class of the rule (4xx, 429/503 exhausted, every other 5xx, 3xx, 2xx
with any body, 204, a body cut short, a dropped or hung connection, garbage) is
answered by ``tests/support/hostile_server.py``, which counts on its side which
objects it started. The client's verdict (``may_have_started``, single calls and
batch outcomes alike) must never call a started object safe to resend; a "resume"
that resends exactly the definite failures must start no object twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from obs_workflow_async import (
    AsyncWorkflowClient,
    ObsWorkflowError,
    StartRequest,
    Timeout,
    may_have_started,
)
from tests.support.hostile_server import CASES, EXPECTED_STARTED_AT, HostileServer

PER_CASE = 4


@pytest.fixture
async def hostile() -> AsyncIterator[HostileServer]:
    async with HostileServer() as server:
        yield server


def _client(server: HostileServer, total: float = 3.0) -> AsyncWorkflowClient:
    return AsyncWorkflowClient(
        server=server.url,
        access_key_id="AK",
        secret_access_key="SK",
        # ends the hanging cases; long enough that a starved machine's answers are not
        # cut (a cut answer is ambiguous, which the resume below must never see)
        timeout=Timeout(total=total, connect=3.0),
        max_retries=1,
    )


@pytest.mark.parametrize("case", sorted(CASES))
async def test_single_call_verdict(hostile: HostileServer, case: str) -> None:
    expected = CASES[case]
    # a hanging service never answers: any total ends it, the verdict is the same
    async with _client(hostile, total=0.5 if expected.hang else 3.0) as client:
        if expected.ok:
            result = await client.start_workflow("g", "media", f"{case}/0")
            assert result.execution_name == "NAME" or result.execution_urn == "urn:dgr:x"
            if case in EXPECTED_STARTED_AT:
                assert result.started_at is not None
                assert result.started_at.isoformat() == EXPECTED_STARTED_AT[case]
            assert hostile.acted[f"{case}/0"] == 1
            return
        with pytest.raises(ObsWorkflowError) as caught:
            await client.start_workflow("g", "media", f"{case}/0")
    error = caught.value
    assert may_have_started(error) is expected.may_have_started, repr(error)
    assert error.may_have_started is expected.may_have_started
    # the server's side: a start it acted on was never sent twice
    assert hostile.acted[f"{case}/0"] <= 1
    if expected.may_have_started:
        assert hostile.received[f"{case}/0"] == 1  # a possible start is never retried


async def test_batch_verdicts_and_resume_start_nothing_twice(hostile: HostileServer) -> None:
    keys = [f"{case}/{n}" for case in sorted(CASES) for n in range(PER_CASE)]
    items = [StartRequest(graph_name="g", bucket="media", object_key=k, key=k) for k in keys]
    resend: list[StartRequest] = []
    async with _client(hostile) as client:
        async with client.start_many(items, concurrency=32) as run:
            async for outcome in run:
                assert outcome.request is not None
                key = outcome.request.object_key
                case = CASES[key.split("/")[0]]
                if case.ok:
                    assert outcome.ok, outcome.error
                    continue
                assert not outcome.ok
                assert outcome.ambiguous is case.may_have_started, (key, outcome.error)
                if not outcome.ambiguous:
                    resend.append(outcome.request)
        assert run.stats.ambiguous == sum(
            PER_CASE for c in CASES.values() if c.may_have_started and not c.ok
        )
        # a resume resends the definite failures only
        outcomes = await client.start_all(resend, concurrency=32)
        assert all(not o.ambiguous for o in outcomes)
    started_twice = [k for k, n in hostile.acted.items() if n > 1]
    assert started_twice == []
    # every object is either started (once) or was definitely refused
    for key in keys:
        assert hostile.acted[key] == (1 if CASES[key.split("/")[0]].acts else 0)
