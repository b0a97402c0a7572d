"""``benchmarks/hand_signing.py``, the one hand-written signer of the benchmarks'
hand-written clients, signs exactly what this client signs: for the same start (the
same date text) its headers equal the client's, v2 (OBS signature) and v3, so the
benchmarks compare the client against the same requests. Its ``GET`` variants (the
hand-written settle sweep) sign fewer headers than the client, and are checked against
the fake server's verification instead. It stays hand-written: it imports nothing of
this package."""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import json
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from obs_workflow_async import AsyncWorkflowClient
from obs_workflow_async.dwr import AsyncDwrClient
from obs_workflow_async.dwr import signing as dwr_signing
from obs_workflow_async.testing.signature import verify_signature
from obs_workflow_async.transport import Answer, PreparedRequest

PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "hand_signing.py"
AK, SK = "AKIDEXAMPLEBENCH0001", "secret-key-for-the-bench-0123456789"
PID = "0123456789abcdef0123456789abcdef"
ANSWER = json.dumps(
    {
        "execution_urn": "urn:fgs:cn-north-4:0123456789abcdef:function:default:g:0001",
        "execution_name": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "started_at": "2026-12-03T17:28:50.123Z",
    }
).encode()


def _hand_signing() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_bench_hand_signing_under_test", PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hand = _hand_signing()


class Recorder:
    """A transport that signs each request as the client's would, keeps what it
    would send, and answers 200 with a start answer."""

    def __init__(self) -> None:
        self.sent: list[tuple[PreparedRequest, dict[str, str]]] = []

    @property
    def closed(self) -> bool:
        return False

    async def open(self) -> None:
        pass

    async def send(self, request: PreparedRequest, timeout: Any, deadline_at: Any) -> Answer:
        self.sent.append((request, request.sign()))
        return Answer(200, "OK", {"Content-Type": "application/json"}, ANSWER)

    async def aclose(self) -> None:
        pass


def test_the_hand_written_signer_imports_nothing_of_this_package() -> None:
    tree = ast.parse(PATH.read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert imported <= {"__future__", "base64", "hashlib", "hmac", "time", "email"}, imported


def test_every_benchmark_signs_with_the_shared_signer() -> None:
    """No benchmark keeps a copy of its own: ``hmac`` appears in the shared module only."""
    benchmarks = PATH.parent
    copies = [
        path.name
        for path in sorted(benchmarks.glob("*.py"))
        if path != PATH and "hmac" in path.read_text()
    ]
    assert copies == []


STARTS = [
    ("g", "bkt", "k", None),
    ("bench-graph", "bench-bucket", "objects/0000001.mp4", None),
    ("bench-graph", "bench-bucket", "objects/0000001.mp4", {"quality": "high", "n": 2}),
    ("Graph-2", "bucket-2", "a b/ü/%2F?x=1#y", {"tags": ["a", "b"]}),
]
SERVERS = ["http://127.0.0.1:8080", "https://obs.example.com", "http://localhost:9000"]


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("start", STARTS)
def test_v2_start_headers_equal_the_clients(server: str, start: tuple[Any, ...]) -> None:
    recorder = Recorder()

    async def run() -> None:
        async with AsyncWorkflowClient(
            server=server,
            access_key_id=AK,
            secret_access_key=SK,
            transport=recorder,
        ) as client:
            await client.start_workflow(*start)

    asyncio.run(run())
    [(request, ours)] = recorder.sent
    host = server.split("://", 1)[1]
    theirs = hand.obs_headers(
        AK, SK.encode(), "POST", request.url.raw_path, host, date=ours["Date"]
    )
    # aiohttp adds Content-Length to the hand-written client's request
    assert request.body is not None
    assert ours.pop("Content-Length") == str(len(request.body))
    assert ours == theirs


@pytest.mark.parametrize("user_agent", ["bench", None])
@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("start", STARTS)
def test_v3_start_headers_equal_the_clients(
    server: str, start: tuple[Any, ...], user_agent: str | None
) -> None:
    recorder = Recorder()

    async def run() -> None:
        async with AsyncDwrClient(
            endpoint=server,
            project_id=PID,
            access_key_id=AK,
            secret_access_key=SK,
            user_agent=user_agent,
            transport=recorder,
        ) as client:
            await client.start_workflow(*start)

    asyncio.run(run())
    [(request, ours)] = recorder.sent
    host = server.split("://", 1)[1]
    assert request.body is not None
    theirs = hand.v3_headers(
        AK,
        SK.encode(),
        "POST",
        request.url.raw_path,
        host,
        PID,
        request.body,
        user_agent=ours["User-Agent"],
        date=ours["X-Sdk-Date"],
    )
    assert ours == theirs
    assert ours["Authorization"].split("SignedHeaders=")[1].startswith(hand.V3_SIGNED + ",")


def test_the_default_dates_are_now_in_each_apis_format() -> None:
    now = datetime.now(timezone.utc)
    v2 = parsedate_to_datetime(hand.obs_headers(AK, b"k", "POST", "/p", "h")["Date"])
    v3 = datetime.strptime(
        hand.v3_headers(AK, b"k", "POST", "/p", "h", PID)["X-Sdk-Date"], "%Y%m%dT%H%M%SZ"
    ).replace(tzinfo=timezone.utc)
    assert abs((v2 - now).total_seconds()) < 5
    assert abs((v3 - now).total_seconds()) < 5
    assert hand.http_date().endswith(" GMT") and hand.sdk_date().endswith("Z")


GET_QUERIES = [
    [("x-workflow-graph-name", "bench")],
    [
        ("x-workflow-graph-name", "bench"),
        ("x-workflow-limit", "1000"),
        ("x-workflow-execution-type", "APICALL"),
        ("x-workflow-next-marker", "m1"),
    ],
]


@pytest.mark.parametrize("query", GET_QUERIES)
def test_the_v2_get_of_the_settle_sweep_is_accepted_by_the_fake(query: list[Any]) -> None:
    """``bench_settle_cpu``'s hand-written ``GET``: no ``Content-Type`` (the client sends
    one), the query signed sorted; the fake server's check accepts it."""
    path = "/v2/workflowexecutions"
    signed = "&".join(f"{k}={v}" for k, v in sorted(query))
    headers = hand.obs_headers(
        AK, SK.encode(), "GET", f"{path}?{signed}", "127.0.0.1:8080", content_type=False
    )
    assert list(headers) == ["Date", "Host", "Authorization"]
    text = "&".join(f"{k}={v}" for k, v in query)
    refused = verify_signature(
        method="GET",
        raw_path=f"{path}?{text}",
        headers=headers,
        access_key_id=AK,
        secret_access_key=SK,
        security_token=None,
        region="cn-north-4",
        now=parsedate_to_datetime(headers["Date"]),
    )
    assert refused is None


@pytest.mark.parametrize("query", GET_QUERIES)
def test_the_v3_get_of_the_settle_sweep_signs_as_the_sdk(query: list[Any]) -> None:
    """``bench_settle_cpu``'s hand-written v3 ``GET``: ``Host``, ``X-Project-Id`` and
    ``X-Sdk-Date`` signed (the client also signs ``Content-Type`` and ``User-Agent``),
    the same signature as the SDK's algorithm over those headers."""
    from urllib.parse import quote

    path = f"/v3/{PID}/workflows/bench/executions"
    text = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(query))
    headers = hand.v3_headers(
        AK, SK.encode(), "GET", path, "127.0.0.1:8080", PID, query=text, user_agent=None
    )
    unsigned = {k: v for k, v in headers.items() if k != "Authorization"}
    sent = sorted(query)  # the sweep sends its query sorted, and the SDK signs it as sent
    expected = dwr_signing.sign(
        "GET", path, sent, unsigned, None, access_key_id=AK, secret_access_key=SK
    )
    assert headers["Authorization"] == expected.authorization
