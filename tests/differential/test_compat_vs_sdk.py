"""``compat.WorkflowClient`` against the official SDK: the same answer gives the same GetResult.

A scripted HTTP server (no signature checks: the answers are what matters here) gives
both clients the same bytes; for each of the 16 calls we compare every ``GetResult``
field for a success answer and for error answers in the SDK's two error formats.

Documented differences (docs/migration.md), asserted here rather than hidden:
- a JSON error sent as ``application/json;charset=UTF-8``: the SDK reads it as XML and
  gets nothing (``errorCode``/``body`` ``None``); we read it as JSON;
- an empty 2xx answer to a delete: the SDK's ``body`` is its header dict; ours is ``""``;
- a time sent as an epoch number: the SDK drops it (``None``); we give the ISO text;
- ``requestId`` when only ``X-Request-ID`` is sent: the SDK has ``None``; we use it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from obs_workflow_async.compat import GetResult, WorkflowClient
from tests.conftest import ACCESS_KEY, SECRET
from tests.differential.conftest import sdk_client

Answer = tuple[int, list[tuple[str, str]], bytes]


class _Scripted(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    answer: Answer = (200, [], b"")

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        status, headers, body = self.answer
        self.send_response_only(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Date", "Mon, 01 Jan 2024 00:00:00 GMT")  # the same for both clients
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _reply  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def scripted() -> Iterator[tuple[str, type[_Scripted]]]:
    handler = type("Handler", (_Scripted,), {})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


class _Url:
    """Stands in for the fake server in ``sdk_client`` (it only reads ``url``)."""

    def __init__(self, url: str) -> None:
        self.url = url


RULE = {"id": "r", "graph_urn": "urn:fgs:cn-north-4:p:graph:wf", "events": ["ObjectCreated:*"]}
STATES = [{"type": "END", "state_name": "end", "start": True}]
# (method, args, success body or None for the raw-text calls)
CALLS: list[tuple[str, tuple[Any, ...], bytes | None]] = [
    ("createWorkflowTemplate", ("tpl", "d", STATES), b'{"template_name": "tpl"}'),
    (
        "getWorkflowTemplate",
        ("tpl",),
        b'{"template_name": "tpl", "description": "d", "states": '
        b'[{"type": "END"}], "inputs": [], "tags": [{"key": "k", "value": "v"}], "create_time": '
        b'"2024-01-01T00:00:00Z", "last_modify_time": 1704067200000}',
    ),
    ("deleteWorkflowTemplate", ("tpl",), None),
    (
        "listWorkflowTemplate",
        ("t", 2, 5),
        b'{"templates": [{"template_name": "tpl"}], '
        b'"count": 1, "next_start": 3, "is_truncated": true}',
    ),
    (
        "createWorkflow",
        ("tpl", "wf", "agency"),
        b'{"graph_name": "wf", "graph_urn": "u", "created_at": "2024-01-01T00:00:00Z"}',
    ),
    (
        "getWorkflow",
        ("wf",),
        b'{"name": "wf", "created_at": 1704067200123, "definition": '
        b'{"states": []}, "graph_urn": "u", "description": "d", "extra": 1}',
    ),
    ("deleteWorkflow", ("wf",), None),
    (
        "updateWorkflow",
        ("wf", None, "d2"),
        b'{"graph_name": "wf", "graph_urn": "u", "last_modified": "2024-01-02T00:00:00Z"}',
    ),
    (
        "listWorkflow",
        ("w", 1, 3),
        b'{"graphs": [{"name": "wf"}], "count": 1, "next_start": 2, "is_truncated": false}',
    ),
    (
        "asyncAPIStartWorkflow",
        ("wf", "bkt", "a.mp4", {"x": 1}),
        b'{"execution_urn": "e-urn", '
        b'"started_at": "2024-01-01T00:00:00.123Z", "execution_name": "e1"}',
    ),
    (
        "listWorkflowExecution",
        ("wf", "APICALL", "m", 10),
        b'{"count": 1, "next_marker": "n", '
        b'"is_truncated": true, "executions": [{"execution_name": "e1"}]}',
    ),
    (
        "getWorkflowExecution",
        ("e1", "wf"),
        b'{"execution_info": {"execution_name": "e1", "execution_state": "FAILED"}}',
    ),
    (
        "restoreFailedWorkflowExecution",
        ("e1", "wf"),
        b'{"execution_urn": "e-urn", '
        b'"restored_at": "2024-01-01T00:00:01Z", "execution_name": "e1"}',
    ),
    ("putTriggerPolicy", ("photos", [RULE]), None),
    ("getTriggerPolicy", ("photos",), b'{"rules": [{"id": "r", "events": ["ObjectCreated:*"]}]}'),
    ("deleteTriggerPolicy", ("photos",), None),
]

# Headers every answer carries: the header list's prefix stripping, decoding, allow-list
# and "last duplicate wins" are compared on them.
COMMON_HEADERS = [
    ("x-obs-request-id", "obs-rid"),
    ("X-Request-ID", "x-rid"),
    ("x-obs-id-2", "host-2"),
    ("x-reserved-indicator", "ind"),
    ("x-obs-meta-caf%C3%A9", "v%20x"),
    ("x-amz-meta-k%2Fk", "a%2Fb"),
    ("X-Obs-Dup", "first"),
    ("x-obs-dup", "last"),
    ("ETag", '"e%20t"'),
    ("X-Custom", "dropped"),
]
JSON_ERROR = b'{"code": "WorkflowNotFound", "message": "no &amp; such", "request_id": "body-rid"}'
XML_ERROR = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error xmlns="http://obs.example/doc/2015-06-30/">'
    b"<Code>NoSuchBucket</Code><Message>A &amp; B &lt;x&gt; &#233;</Message>"
    b"<RequestId>xml-rid</RequestId><HostId>xml-host</HostId><Resource>/photos</Resource></Error>"
)


def _answers(success: bytes | None) -> dict[str, Answer]:
    ok_body = success if success is not None else b'{"echo": "raw text"}'
    return {
        "success": (200, [("Content-Type", "application/json"), *COMMON_HEADERS], ok_body),
        "json-error": (404, [("Content-Type", "application/json"), *COMMON_HEADERS], JSON_ERROR),
        "xml-error": (409, [("Content-Type", "application/xml"), *COMMON_HEADERS], XML_ERROR),
        "empty-error": (403, COMMON_HEADERS, b""),
        "text-error": (
            400,
            [("Content-Type", "application/xml"), *COMMON_HEADERS],
            b"<html><body>Bad request</body></html>",
        ),
    }


NUMERIC_TIMES = {
    ("getWorkflowTemplate", "lastModifyTime"): "2024-01-01T00:00:00Z",
    ("getWorkflow", "createdAt"): "2024-01-01T00:00:00.123Z",
}
FIELDS = (
    "status",
    "reason",
    "errorCode",
    "errorMessage",
    "requestId",
    "hostId",
    "resource",
    "indicator",
    "header",
)


def _call_both(url: str, name: str, args: tuple[Any, ...]) -> tuple[Any, GetResult[Any]]:
    theirs = getattr(sdk_client(_Url(url), "obs", max_retry_count=0), name)(*args)  # type: ignore[arg-type]

    async def ours() -> GetResult[Any]:
        async with WorkflowClient(
            access_key_id=ACCESS_KEY, secret_access_key=SECRET, server=url, max_retry_count=0
        ) as client:
            result: GetResult[Any] = await getattr(client, name)(*args)
            return result

    return theirs, asyncio.run(ours())


@pytest.mark.parametrize(
    "answer", ["success", "json-error", "xml-error", "empty-error", "text-error"]
)
@pytest.mark.parametrize(("name", "args", "success"), CALLS, ids=[c[0] for c in CALLS])
def test_same_get_result_as_the_sdk(
    scripted: tuple[str, type[_Scripted]],
    name: str,
    args: tuple[Any, ...],
    success: bytes | None,
    answer: str,
) -> None:
    url, handler = scripted
    handler.answer = _answers(success)[answer]
    theirs, ours = _call_both(url, name, args)

    for field in FIELDS:
        assert getattr(ours, field) == getattr(theirs, field), field
    assert ("caf\u00e9", "v x") in ours.header and ("dup", "last") in ours.header
    if answer != "success":
        assert ours.body == theirs.body  # the error text, as the SDK carries it
    elif success is None:
        assert ours.body == theirs.body == '{"echo": "raw text"}'
    else:
        assert ours.body is not None and theirs.body is not None
        for field in type(ours.body).model_fields:
            if (name, field) in NUMERIC_TIMES:  # the SDK drops a number where it wants text
                assert getattr(theirs.body, field) is None
                assert getattr(ours.body, field) == NUMERIC_TIMES[name, field]
            else:
                assert getattr(ours.body, field) == getattr(theirs.body, field), field
    if answer == "xml-error":
        assert ours.errorMessage == "A & B <x> \u00e9"
        assert ours.body is not None and "xmlns" not in ours.body


@pytest.mark.parametrize("name", ["getWorkflow", "deleteWorkflow"])
def test_documented_differences(scripted: tuple[str, type[_Scripted]], name: str) -> None:
    url, handler = scripted
    # A JSON error with a charset: the SDK parses it as XML and finds nothing.
    handler.answer = (404, [("Content-Type", "application/json;charset=UTF-8")], JSON_ERROR)
    theirs, ours = _call_both(url, name, ("wf",))
    assert (theirs.errorCode, theirs.body, theirs.requestId) == (None, None, None)
    assert (ours.errorCode, ours.errorMessage) == ("WorkflowNotFound", "no &amp; such")
    assert (ours.requestId, ours.body) == ("body-rid", JSON_ERROR.decode())

    # Only X-Request-ID: the SDK ignores it; we fill requestId from it.
    handler.answer = (200, [("X-Request-ID", "only")], b'{"name": "wf"}')
    theirs, ours = _call_both(url, name, ("wf",))
    assert (theirs.requestId, ours.requestId) == (None, "only")

    # A body that is neither JSON nor XML: the SDK drops it, we keep the text.
    handler.answer = (400, [("Content-Type", "text/html")], b"<html>Bad request</html")
    theirs, ours = _call_both(url, name, ("wf",))
    assert (theirs.body, theirs.errorCode) == (None, None)
    assert (ours.body, ours.errorCode) == ("<html>Bad request</html", None)

    if name == "deleteWorkflow":
        handler.answer = (204, [], b"")
        theirs, ours = _call_both(url, name, ("wf",))
        assert isinstance(theirs.body, dict) and ours.body == ""
