"""start_many / start_all on the v3 client: the v2 batch engine, v3 starts (server counts)."""

from __future__ import annotations

from obs_workflow_async.dwr import AsyncDwrClient
from obs_workflow_async.testing import FakeDwrServer, Fault


async def test_start_many_through_the_shared_batch_engine(dwr_fake_server: FakeDwrServer) -> None:
    dwr_fake_server.throttle(3, operation="start")
    dwr_fake_server.add_fault(Fault("drop"), graph="g-drop", operation="start")
    items = [{"graph_name": "g", "bucket": "bkt", "object_key": f"in/{n}.mp4"} for n in range(40)]
    items.append({"graph_name": "g-drop", "bucket": "bkt", "object_key": "lost.mp4"})
    items.append({"graph_name": "bad/name", "bucket": "bkt", "object_key": "x"})
    async with AsyncDwrClient(**dwr_fake_server.dwr_client_kwargs()) as client:
        outcomes = await client.start_all(items, concurrency=8)
    ok = [o for o in outcomes if o.result is not None]
    assert len(ok) == 40
    assert sorted(
        e.object_key for e in dwr_fake_server.executions if e.graph_name == "g"
    ) == sorted(f"in/{n}.mp4" for n in range(40))
    dropped = outcomes[40]
    assert dropped.error is not None and dropped.ambiguous
    assert dwr_fake_server.attempts["g-drop"] == 1  # an execute that may have run: not resent
    invalid = outcomes[41]
    assert invalid.error is not None and not invalid.ambiguous
    assert dwr_fake_server.attempts["g"] == 43  # 40 starts + 3 throttled (refused) attempts
