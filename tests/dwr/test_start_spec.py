"""The v3 start's spec (:meth:`DwrCalls.start_spec`, issue 20) is the general
:meth:`DwrCalls.spec` of ``execute``: equal specs, the project id known or pending."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from obs_workflow_async.dwr.project import DwrCalls, ProjectIds


@given(
    pid=st.one_of(st.none(), st.from_regex(r"[0-9a-f]{32}", fullmatch=True)),
    graph=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", fullmatch=True),
    body=st.binary(max_size=40),
)
def test_the_start_spec_is_the_general_one(pid: str | None, graph: str, body: bytes) -> None:
    core: Any = None
    dialect: Any = None
    calls = DwrCalls(core, dialect, ProjectIds(pid, "region", None))
    general = calls.spec(
        "POST", f"workflows/{graph}/execute", "start_workflow", body=body, graph_name=graph
    )
    fast = calls.start_spec(graph, body)
    assert fast == general and type(fast) is type(general)
    assert fast._asdict() == general._asdict()
