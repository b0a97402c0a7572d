"""``str()`` of every error shows the service's control characters escaped (no log
injection); the attributes keep the text as it came. And the status decides the class
family: an error code never turns an answer that may have started into a class users
catch to send again. Issue 17, points 4 and 5."""

from __future__ import annotations

import json

import pytest

from obs_workflow_async import errors
from obs_workflow_async.errors import error_for_status, visible

HOSTILE = "ok\r\nINFO forged line\x1b[2J\x00\x07\x7f\x85\u2028\u2029\u202e\ttab"
RAW = ("\r", "\n", "\x1b", "\x00", "\x07", "\x7f", "\x85", "\u2028", "\u2029", "\u202e", "\t")


XML_FORBIDDEN = ("\x00", "\x07", "\x1b")
"""Characters XML 1.0 cannot carry, raw or as references: an XML error body holding
one is not well-formed and is read as nothing (as the official SDK's ElementTree)."""


def _xml(text: str) -> str:
    for char in XML_FORBIDDEN:
        text = text.replace(char, "")
    # a raw CR LF reads as LF (XML line-end normalisation): the service sends &#13;
    return text.replace("&", "&amp;").replace("\r", "&#13;")


BODIES = {
    "v2 json": json.dumps({"code": HOSTILE, "message": HOSTILE, "request_id": HOSTILE}),
    "v3 json": json.dumps({"error_code": HOSTILE, "error_msg": HOSTILE, "request_id": HOSTILE}),
    "v2 xml": (
        f"<Error><Code>{_xml(HOSTILE)}</Code><Message>{_xml(HOSTILE)}</Message>"
        f"<RequestId>{_xml(HOSTILE)}</RequestId><HostId>h</HostId></Error>"
    ),
    "html": f"<html><body>{HOSTILE}</body></html>",
}


def _assert_visible(text: str) -> None:
    for char in RAW:
        assert char not in text, (char, text)


def test_visible_escapes_controls_and_keeps_everything_else() -> None:
    assert visible("a\r\nb\x1b[31m") == "a\\r\\nb\\x1b[31m"
    assert visible("\x00\x7f\x9f\u2028\u202e\t") == "\\x00\\x7f\\x9f\\u2028\\u202e\\t"
    kept = '工作流 café 🎬 \\x1b "quoted" <tag>'
    assert visible(kept) == kept


@pytest.mark.parametrize("status", [400, 403, 404, 409, 429, 500, 503, 302, 418])
@pytest.mark.parametrize("shape", sorted(BODIES))
def test_every_error_class_from_a_service_answer_escapes_str(shape: str, status: int) -> None:
    error = error_for_status(
        status=status,
        reason="Bad\r\nReason\x1b",
        headers={"x-request-id": "r"},
        body=BODIES[shape],
        request_id=None,
        retries_taken=0,
        retry_after=None,
        method="POST",
        url="https://h/v2/workflows/g",
    )
    _assert_visible(str(error))
    _assert_visible(repr(error))
    _assert_visible(str(error.args))
    if shape != "v2 xml":  # (XML cannot carry ESC)
        assert "\\x1b[2J" in str(error)  # shown, escaped, not dropped
    if shape != "html":  # (an HTML page's excerpt is one line: its whitespace is folded)
        assert "\\r\\n" in str(error)
        # the data stays as the service sent it
        assert error.message is not None and "\r\n" in error.message and "\u202e" in error.message
        assert error.code is not None and "\n" in error.code


def test_reason_alone_is_escaped() -> None:
    error = error_for_status(
        status=502,
        reason="Bad Gateway\r\nX-Injected: 1",
        headers={},
        body="",
        request_id="id\x1b]0;title\x07",
        retries_taken=0,
        retry_after=None,
    )
    _assert_visible(str(error))
    assert error.reason == "Bad Gateway\r\nX-Injected: 1"


def test_other_errors_carrying_service_text_escape_str() -> None:
    cases: list[errors.ObsWorkflowError] = [
        errors.ResponseParseError(HOSTILE, status=200, request_id=HOSTILE, body=HOSTILE),
        errors.TransportError(HOSTILE, method="GET", url="http://h/x", request_sent=True),
        errors.RequestTimeoutError(HOSTILE, method="GET", url="http://h/x", request_sent=False),
        errors.WaitTimeoutError(
            graph_name="g", execution_name=HOSTILE, timeout=1.0, last_state=HOSTILE
        ),
        errors.StartCancelledError(HOSTILE, request_sent=True),
        errors.UnexpectedError(HOSTILE),
        errors.DiscoveryError(HOSTILE),
        errors.InvalidRequestError([errors.ErrorDetail("field", HOSTILE)]),
    ]
    for error in cases:
        _assert_visible(str(error))
        _assert_visible(repr(error))
    cause = errors.RedactedCause("BadStatusLine", HOSTILE)
    _assert_visible(str(cause))


def test_execution_failed_error_escapes_the_services_state_names() -> None:
    from obs_workflow_async.models import ExecutionDetail

    detail = ExecutionDetail.model_validate(
        {
            "execution_name": "e\r\n1",
            "execution_state": "FAILED",
            "state_map": {"step\x1b[2J": {"status": "FAILED"}},
        }
    )
    error = errors.ExecutionFailedError(detail)
    _assert_visible(str(error))
    assert error.execution_name == "e\r\n1"


# -- the status decides the class family ----------------------------------------------


def _v3(status: int, code: str) -> errors.APIStatusError:
    return error_for_status(
        status=status,
        reason=None,
        headers={},
        body=json.dumps({"error_code": code, "error_msg": "m"}),
        request_id=None,
        retries_taken=0,
        retry_after=None,
    )


@pytest.mark.parametrize("status", [500, 501, 502, 504, 520, 599])
@pytest.mark.parametrize("code", ["APIG.0308", "APIGW.0308", "APIG.0301", "APIGW.0303"])
def test_a_5xx_is_a_server_error_whatever_its_code(status: int, code: str) -> None:
    error = _v3(status, code)
    assert type(error) is errors.ServerError
    assert not isinstance(error, errors.RateLimitError | errors.ServiceUnavailableError)
    assert error.may_have_started and error.code == code


@pytest.mark.parametrize("status", [100, 200, 204, 302, 304])
def test_a_non_error_status_never_takes_a_retry_class_from_its_code(status: int) -> None:
    error = _v3(status, "APIG.0308")
    assert type(error) is errors.APIStatusError and error.may_have_started


def test_503_and_4xx_keep_their_definite_classes() -> None:
    assert type(_v3(503, "APIG.0308")) is errors.ServiceUnavailableError
    assert type(_v3(429, "APIG.0308")) is errors.RateLimitError
    assert type(_v3(400, "APIG.0308")) is errors.RateLimitError
    assert type(_v3(403, "APIG.0308")) is errors.RateLimitError
    assert type(_v3(401, "APIGW.0303")) is errors.AuthenticationError
    assert type(_v3(403, "APIGW.0301")) is errors.PermissionDeniedError
    assert not any(_v3(s, "APIG.0308").may_have_started for s in (400, 403, 429, 503))


def test_a_user_mapped_code_never_makes_a_4xx_a_server_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(errors.ERROR_CODE_CLASSES, "X.503", errors.ServiceUnavailableError)
    monkeypatch.setitem(errors.ERROR_CODE_CLASSES, "X.409", errors.ConflictError)
    assert type(_v3(400, "X.503")) is errors.BadRequestError
    assert type(_v3(500, "X.503")) is errors.ServerError
    assert type(_v3(400, "X.409")) is errors.ConflictError
    assert type(_v3(500, "X.409")) is errors.ServerError


def test_no_class_users_catch_to_resend_is_ever_ambiguous() -> None:
    """Every status and code: a RateLimitError or ServiceUnavailableError never may have
    started (the one rule and the class agree)."""
    codes = [None, *errors.ERROR_CODE_CLASSES]
    for status in range(100, 600):
        for code in codes:
            body = json.dumps({"error_code": code, "error_msg": "m"}) if code else ""
            error = error_for_status(
                status=status,
                reason=None,
                headers={},
                body=body,
                request_id=None,
                retries_taken=0,
                retry_after=None,
            )
            if isinstance(error, errors.RateLimitError | errors.ServiceUnavailableError):
                assert not error.may_have_started, (status, code)
            if status >= 500:
                assert isinstance(error, errors.ServerError), (status, code)
