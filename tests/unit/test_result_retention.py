"""A result keeps no aiohttp object (issue 10.8): its headers are a plain dict copy.

A gather over 200,000 starts grew 502 MB because each result pinned its aiohttp
response headers; ``benchmarks/bench_retained.py`` measures bytes per kept result.
"""

from __future__ import annotations

import gc
import pickle

from multidict import CIMultiDict, CIMultiDictProxy

from obs_workflow_async import AsyncWorkflowClient
from obs_workflow_async.models import StartWorkflowResult
from obs_workflow_async.models._base import Headers, copy_headers
from obs_workflow_async.testing import FakeWorkflowServer

BODY = b'{"execution_urn": "u", "execution_name": "e", "started_at": "2020-04-23T13:37:43Z"}'


def _reachable_modules(root: object) -> set[str]:
    """Modules of every object reachable from ``root`` (classes and modules excluded)."""
    seen: set[int] = set()
    stack = [root]
    modules: set[str] = set()
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, type):
            continue
        seen.add(id(item))
        modules.add(type(item).__module__)
        stack.extend(gc.get_referents(item))
    return modules


async def test_a_result_from_the_wire_holds_no_aiohttp_or_multidict_object() -> None:
    async with (
        FakeWorkflowServer() as server,
        AsyncWorkflowClient(**server.client_kwargs()) as client,
    ):
        result = await client.start_workflow("g", "bkt", "k.mp4")
    modules = _reachable_modules(result)
    assert not {m for m in modules if m.startswith(("aiohttp", "multidict", "yarl"))}, modules
    assert type(result.headers) is Headers and isinstance(result.headers, dict)
    assert result.headers["x-request-id"] == result.headers["X-Request-ID"] == result.request_id
    assert "Content-Type" in result.headers and "content-type" in dict(result.headers)
    assert all(name == name.lower() for name in result.headers)


def test_headers_copy_lower_cases_and_looks_up_in_any_case() -> None:
    pairs = [("X-Request-ID", "r1"), ("Set-Cookie", "a"), ("Set-Cookie", "b")]
    raw = CIMultiDictProxy(CIMultiDict([*pairs, ("X-Obs-Request-Id", "r1")]))
    headers = copy_headers(raw)
    assert dict(headers) == {"x-request-id": "r1", "set-cookie": "b", "x-obs-request-id": "r1"}
    assert headers.get("X-REQUEST-ID") == "r1" and headers.get("nope", "d") == "d"
    assert headers["x-obs-request-id"] is headers["x-request-id"]  # one string, not two
    assert 1 not in headers  # type: ignore[comparison-overlap]


def test_results_are_built_from_any_mapping_and_dump_as_a_dict() -> None:
    result = StartWorkflowResult.model_validate_json(
        BODY, context={"headers": CIMultiDictProxy(CIMultiDict({"Date": "d"}))}
    )
    assert type(result.headers) is Headers and result.headers["DATE"] == "d"
    assert result.model_dump()["headers"] == {"date": "d"}
    assert pickle.loads(pickle.dumps(result)).headers["Date"] == "d"


def test_shared_fields_set_is_never_changed_through_a_copy() -> None:
    first = StartWorkflowResult.model_validate_json(BODY)
    second = StartWorkflowResult.model_validate_json(BODY)
    assert first.model_fields_set == second.model_fields_set
    before = set(first.model_fields_set)
    copied = first.model_copy(update={"retries_taken": 3})
    assert copied.retries_taken == 3 and "retries_taken" in copied.model_fields_set
    assert first.model_fields_set == before == second.model_fields_set
    assert first.model_dump(exclude_unset=True) == second.model_dump(exclude_unset=True)
