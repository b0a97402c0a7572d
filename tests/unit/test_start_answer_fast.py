"""The common start answer is read with ``json.loads`` (``read_start_answer``) instead of
pydantic's validator; for any body and headers the client's result (or its
``ResponseParseError``) must equal what the full validation gives. The common ISO
timestamp is read without the regex, to the same datetime."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy
from pydantic import ValidationError

from obs_workflow_async import ResponseParseError
from obs_workflow_async._core.answers import parse_error
from obs_workflow_async._pipeline import RawResponse
from obs_workflow_async.models import StartWorkflowResult
from obs_workflow_async.models._answers import STARTED_NOTE, parse_answer
from obs_workflow_async.models._timestamps import _TIME, _from_common_iso, _from_match


def full(raw: RawResponse) -> object:
    """The validation every answer went through before the fast reading."""
    context: dict[str, object] = {"headers": raw.headers, "retries_taken": raw.retries_taken}
    if raw.request_id is not None:
        context["request_id"] = raw.request_id
    try:
        return StartWorkflowResult.__pydantic_validator__.validate_json(raw.body, context=context)
    except ValidationError as exc:
        return ("error", str(parse_error(raw, StartWorkflowResult, exc, STARTED_NOTE)))


def ours(raw: RawResponse) -> object:
    try:
        return parse_answer(StartWorkflowResult, raw)
    except ResponseParseError as exc:
        return ("error", str(exc))


def same(a: object, b: object) -> None:
    assert a == b
    if isinstance(a, StartWorkflowResult) and isinstance(b, StartWorkflowResult):
        assert a.model_dump() == b.model_dump()
        assert a.model_dump(exclude_unset=True) == b.model_dump(exclude_unset=True)
        assert a.model_fields_set == b.model_fields_set
        assert a.model_extra == b.model_extra
        assert dict(a.headers) == dict(b.headers)
        assert type(a.headers) is type(b.headers)
        assert repr(a) == repr(b)


times = st.one_of(
    st.datetimes().map(lambda d: d.isoformat(timespec="milliseconds") + "Z"),
    st.datetimes().map(lambda d: d.isoformat()),
    st.from_regex(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{0,11})?Z?", fullmatch=True),
    st.sampled_from(["", " 2020-04-23T13:37:43Z", "2020-04-23T13:37:43+08:00", "1587649063000"]),
    st.sampled_from(["2020-02-30T00:00:00Z", "٢٠٢٠-04-23T13:37:43Z", "2020-04-23T24:00:00"]),
    st.from_regex(
        r"[0-9+ a-]{4}-[0-9+ ]{2}-[0-9 ]{2}T[0-9 +]{2}:[0-9 ]{2}:[0-9 +]{2}(\.[0-9 ]{1,3})?Z?",
        fullmatch=True,
    ),
)
ids = st.one_of(
    st.text(max_size=8),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)
answers = st.fixed_dictionaries(
    {},
    optional={
        "execution_urn": ids,
        "execution_name": ids,
        "started_at": st.one_of(times, st.integers(), st.none(), st.floats()),
        "request_id": st.one_of(st.text(max_size=4), st.integers()),
        "extra": st.integers(),
        "headers": st.just({"x": "y"}),
    },
)


def encode(answer: dict[str, Any]) -> bytes:
    return json.dumps(answer, ensure_ascii=False).encode("utf-8", "surrogatepass")


bodies = st.one_of(
    answers.map(encode),
    st.sampled_from(
        [
            b"",
            b"null",
            b"[]",
            b'"text"',
            b'{"execution_name": NaN}',
            b'{"execution_name": Infinity}',
            b'{"execution_name": 1e400}',
            b'{"execution_name": "\\ud800"}',
            b'{"execution_name": "a", "started_at": "\\udfff"}',
            b'{"execution_name": "a", "execution_name": "b"}',
            b'\xef\xbb\xbf{"execution_name": "a"}',
            b'{"execution_name": "\xff"}',
            '{"execution_name": "a"}'.encode("utf-16"),
            b'{"execution_name": "a"} x',
        ]
    ),
)
header_sets = st.lists(
    st.tuples(
        st.sampled_from(["Date", "date", "X-Request-ID", "Server", "x-obs-request-id"]),
        st.one_of(times, st.sampled_from(["Thu, 23 Apr 2020 13:37:43 GMT", "garbage"])),
    ),
    max_size=4,
).map(lambda pairs: CIMultiDictProxy(CIMultiDict(pairs)))


@settings(max_examples=400, deadline=None)
@given(
    body=bodies,
    headers=header_sets,
    request_id=st.one_of(st.none(), st.just("REQ1")),
    retries=st.integers(0, 3),
)
def test_fast_reading_equals_the_full_validation(
    body: bytes, headers: CIMultiDictProxy[str], request_id: str | None, retries: int
) -> None:
    raw = RawResponse(200, "OK", headers, body, request_id, retries)
    same(ours(raw), full(raw))


@settings(max_examples=400, deadline=None)
@given(text=times)
def test_common_iso_reading_equals_the_regex(text: str) -> None:
    common = _from_common_iso(text)
    if common is not None:
        match = _TIME.fullmatch(text.strip())
        assert match is not None
        assert common == _from_match(match)
        assert common.tzinfo == _from_match(match).tzinfo
