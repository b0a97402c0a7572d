"""Arbitrary and hostile input to every parser and validator: only our errors escape.

Every response parser gets arbitrary bytes, truncated JSON and JSON of the wrong
shapes; every validator gets arbitrary strings and must agree with the documented
rule; every value that can reach a header is checked for CR/LF injection.
"""

from __future__ import annotations

import contextlib
import json
import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from obs_workflow_async import (
    AsyncWorkflowClient,
    CredentialsError,
    InvalidRequestError,
    ResponseParseError,
    compat,
    models,
    validation,
)
from obs_workflow_async._pipeline import RawResponse
from obs_workflow_async._retry import parse_retry_after
from obs_workflow_async.cli.manifest import ManifestError, read_manifest
from obs_workflow_async.cli.results import read_results
from obs_workflow_async.credentials import Credentials, parse_security_key
from obs_workflow_async.errors import APIStatusError, error_for_status, parse_error_body
from obs_workflow_async.models._answers import parse_answer

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=15), inner, max_size=6)
    ),
    max_leaves=25,
)
VALID_BODIES = [
    b'{"execution_urn": "u", "execution_name": "e", "started_at": "2020-04-23T13:37:43.847Z"}',
    b'{"count": 1, "executions": [{"execution_name": "e", "execution_state": "RUNNING"}], '
    b'"is_truncated": true, "next_marker": "m"}',
    b'{"execution_info": {"execution_name": "e", "execution_state": "FAILED", "state_map": {}}}',
    b'{"rules": [{"id": "r", "graph_urn": "u", "events": ["ObjectCreated:*"]}]}',
]
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.tuples(st.sampled_from(VALID_BODIES), st.integers(0, 200)).map(lambda t: t[0][: t[1]]),
)
RESULT_MODELS = [  # the package's exports are lazy: read them by name
    m
    for m in (getattr(models, name) for name in models.__all__)
    if isinstance(m, type) and issubclass(m, models.ResultModel)
]
SDK_BODIES = [
    m
    for m in vars(compat).values()
    if isinstance(m, type) and issubclass(m, compat._SdkBody) and m is not compat._SdkBody
]


@settings(max_examples=400, deadline=None)
@given(model=st.sampled_from(RESULT_MODELS), body=bodies, status=st.integers(200, 299))
def test_every_result_parser_gives_a_model_or_our_error(
    model: type[models.ResultModel], body: bytes, status: int
) -> None:
    raw = RawResponse(status, None, {}, body, None, 0)
    try:
        result = parse_answer(model, raw)
    except ResponseParseError:
        return  # the one error a 2xx body that does not fit may give
    assert isinstance(result, model)


_names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,20}", fullmatch=True)
_times = st.sampled_from(
    [
        "2026-11-27T08:00:00Z",
        "2026-11-27T08:00:00.123+08:00",
        "Thu, 23 Apr 2020 13:37:43 GMT",
        "2020/04/23 13:37:43",
        1587649063000,
        "1587649063000",
    ]
)


@settings(max_examples=200, deadline=None)
@given(name=_names, urn=_names, started_at=_times, extra=st.dictionaries(_names, st.integers()))
def test_valid_start_answers_always_parse(
    name: str, urn: str, started_at: object, extra: dict[str, int]
) -> None:
    """The twin of the test above: well-formed answers are never refused."""
    payload = {**extra, "execution_name": name, "execution_urn": urn, "started_at": started_at}
    raw = RawResponse(200, None, {}, json.dumps(payload).encode(), None, 0)
    result = parse_answer(models.StartWorkflowResult, raw)
    assert (result.execution_name, result.execution_urn) == (name, urn)
    assert result.started_at is not None and result.started_at.tzinfo is not None


@settings(max_examples=100, deadline=None)
@given(names=st.lists(_names, max_size=5), marker=st.none() | _names, started_at=_times)
def test_valid_execution_pages_always_parse(
    names: list[str], marker: str | None, started_at: object
) -> None:
    executions = [
        {
            "execution_name": n,
            "execution_state": "RUNNING",
            "started_at": started_at,
            "execution_type": "APICALL",
            "graph_urn": "urn:g",
        }
        for n in names
    ]
    body = {"executions": executions, "next_marker": marker, "is_truncated": marker is not None}
    raw = RawResponse(200, None, {}, json.dumps(body).encode(), None, 0)
    page = parse_answer(models.ExecutionPage, raw)
    assert [e.execution_name for e in page.executions] == names
    assert page.next_marker == marker


@settings(max_examples=200, deadline=None)
@given(model=st.sampled_from(SDK_BODIES), body=bodies)
def test_sdk_compat_bodies_raise_only_validation_errors(
    model: type[BaseModel], body: bytes
) -> None:
    # must not raise: anything but a ValidationError escapes the suppress and fails
    with contextlib.suppress(
        ValidationError
    ):  # the compat layer turns this into ResponseParseError
        model.model_validate_json(body)


@settings(max_examples=400, deadline=None)
@given(
    status=st.integers(300, 599),
    body=st.text(max_size=400) | bodies.map(lambda b: b.decode("utf-8", "replace")),
    headers=st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=5),
)
def test_error_answers_always_give_a_status_error(
    status: int, body: str, headers: dict[str, str]
) -> None:
    error = error_for_status(
        status=status,
        reason=None,
        headers=headers,
        body=body,
        request_id=None,
        retries_taken=0,
        retry_after=None,
    )
    assert isinstance(error, APIStatusError) and error.status == status
    assert str(error).startswith(f"HTTP {status} ")
    parse_error_body(body)  # never raises


@given(st.text(max_size=60))
def test_retry_after_is_a_delay_or_nothing(value: str) -> None:
    delay = parse_retry_after({"retry-after": value})
    assert delay is None or delay >= 0


@given(bodies)
def test_security_key_answers(body: bytes) -> None:
    with contextlib.suppress(CredentialsError):
        assert isinstance(parse_security_key(body), Credentials)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.text(max_size=80).map(lambda t: t.replace("\r", " ")), max_size=8),
    st.sampled_from([".csv", ".jsonl", ".txt"]),
)
def test_manifests_and_results_files(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str], suffix: str
) -> None:
    folder = tmp_path_factory.mktemp("m")
    manifest = folder / f"m{suffix}"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for item in read_manifest(manifest):
        assert item.problem is not None or (
            isinstance(item.bucket, str) and item.object_key is not None
        )
    with contextlib.suppress(ManifestError):
        read_results(manifest)


# -- validators agree with the documented rules -----------------------------------------------


def _utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


REFERENCES = {
    validation.check_graph_name: lambda v: (
        re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", v) is not None
    ),
    validation.check_object_key: lambda v: 1 <= len(v) <= 1024 and _utf8(v),
    validation.check_execution_name: lambda v: (
        1 <= len(v) <= 256 and "/" not in v and v.isprintable() and v not in (".", "..")
    ),
    validation.check_description: lambda v: (
        len(v) <= 256 and all(c.isalnum() or c in ",.:-_ " for c in v)
    ),
    validation.check_trigger_rule_id: lambda v: (
        re.fullmatch(r"[A-Za-z0-9_-]{1,256}", v) is not None
    ),
    validation.check_header_value: lambda v: not any(c in v for c in "\r\n\x00") and _utf8(v),
}


@settings(max_examples=300, deadline=None)
@given(
    check=st.sampled_from(list(REFERENCES)),
    value=st.one_of(
        st.text(max_size=300),
        st.text(alphabet=string.ascii_letters + "_-./ \r\n", max_size=70),
        st.text(alphabet="a.\udce9", max_size=4),  # surrogates, dot-segments
    ),
)
def test_validators_never_raise_and_match_their_rule(check: object, value: str) -> None:
    verdict = check(value)  # type: ignore[operator]
    assert verdict is None or isinstance(verdict, str)
    assert (verdict is None) == REFERENCES[check](value)  # type: ignore[index]


# -- header injection: nothing with CR/LF reaches a header -------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"security_token": "tok\r\nX-Evil: 1"},
        {"access_key_id": "AK\nX-Evil: 1"},
        {"user_agent": "ua\r\nX-Evil: 1"},
        {"server": "https://obs.example.com\r\nX-Evil: 1"},
        {"proxy": "http://proxy:3128\r\nX-Evil: 1"},
    ],
)
def test_header_injection_is_refused_at_construction(kwargs: dict[str, str]) -> None:
    base = {"server": "https://obs.example.com", "access_key_id": "AK", "secret_access_key": "SK"}
    with pytest.raises((InvalidRequestError, CredentialsError)):
        AsyncWorkflowClient(**{**base, **kwargs})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("start_workflow", ("g\r\n", "media", "k")),
        ("get_execution", ("g", "e\r\nX-Evil: 1")),
        ("get_workflow", ("g\nx",)),
        ("get_trigger_policy", ("bucket\r\n",)),
        ("create_workflow_template", ("t",)),
    ],
)
async def test_header_injection_in_arguments_never_sends(call: str, args: tuple[str, ...]) -> None:
    from obs_workflow_async.testing import FakeWorkflowServer

    async with FakeWorkflowServer() as server:
        async with AsyncWorkflowClient(**server.client_kwargs()) as client:
            method = getattr(client, call)
            if call == "create_workflow_template":
                with pytest.raises(InvalidRequestError):
                    await method(*args, description="line\r\nX-Evil: 1")
            else:
                with pytest.raises(InvalidRequestError):
                    await method(*args)
        assert server.requests == []


def test_a_nul_byte_in_a_csv_manifest_never_stops_the_reading(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    manifest = tmp_path_factory.mktemp("nul") / "m.csv"
    manifest.write_text("b-1,ok.mp4\nb-1,bad\x00key\nb-1,next.mp4\n", encoding="utf-8")
    items = list(read_manifest(manifest))
    assert [i.index for i in items] == [0, 1, 2]
    assert items[0].problem is None and items[2].object_key == "next.mp4"
    # Python 3.10's csv refuses the line (an invalid item); 3.11+ reads it as written.
    assert items[1].problem is not None or items[1].object_key == "bad\x00key"
