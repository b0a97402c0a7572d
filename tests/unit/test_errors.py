"""Error parsing and the exception hierarchy."""

from __future__ import annotations

import pytest

from obs_workflow_async import (
    APIStatusError,
    AuthenticationError,
    InvalidRequestError,
    ObsWorkflowError,
    RequestTimeoutError,
    TransportError,
)
from obs_workflow_async.errors import error_for_status, parse_error_body
from tests.status_table import STATUS_CLASSES


def make(status: int, body: str = "", headers: dict[str, str] | None = None) -> APIStatusError:
    return error_for_status(
        status=status,
        reason="Reason",
        headers=headers or {},
        body=body,
        request_id=None,
        retries_taken=0,
        retry_after=None,
    )


@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
def test_status_maps_to_class(status: int, cls: type[APIStatusError]) -> None:
    error = make(status)
    assert type(error) is cls
    assert isinstance(error, ObsWorkflowError)
    assert error.status == status


def test_403_is_an_authentication_error() -> None:
    assert isinstance(make(403), AuthenticationError)


def test_json_error_body_is_parsed_and_shown() -> None:
    body = '{"code": "SYS.0011", "message": "too many", "request_id": "rid-body"}'
    error = make(429, body)
    assert (error.code, error.message, error.request_id) == ("SYS.0011", "too many", "rid-body")
    assert str(error) == "HTTP 429 SYS.0011: too many (request id: rid-body)"


def test_dwr_v3_and_xml_error_bodies() -> None:
    v3 = parse_error_body('{"error_code": "DWR.0001", "error_msg": "bad"}')
    assert (v3.code, v3.message) == ("DWR.0001", "bad")
    xml = parse_error_body(
        "<?xml version='1.0'?><Error><Code>NoSuchBucket</Code><Message>gone</Message>"
        "<RequestId>rid</RequestId><HostId>hid</HostId><Resource>bkt</Resource></Error>"
    )
    assert (xml.code, xml.message, xml.request_id, xml.host_id, xml.resource) == (
        "NoSuchBucket",
        "gone",
        "rid",
        "hid",
        "bkt",
    )


@pytest.mark.parametrize("body", ["", "not json", "{broken", "[1, 2]", '{"code": 5}'])
def test_odd_bodies_never_raise(body: str) -> None:
    error = make(500, body)
    assert error.status == 500


def test_html_error_page_gives_short_message() -> None:
    error = make(502, "<html>\n<body>Bad   gateway</body></html>")
    assert error.code is None
    assert error.message == "<html> <body>Bad gateway</body></html>"


def test_timeout_error_is_builtin_timeout_and_transport_error() -> None:
    error = RequestTimeoutError("slow", method="POST", url="http://h/p", request_sent=True)
    assert isinstance(error, TimeoutError)
    assert isinstance(error, TransportError)
    assert "may have been processed" in str(error)


def test_invalid_request_error_is_a_value_error() -> None:
    assert issubclass(InvalidRequestError, ValueError)
    assert issubclass(InvalidRequestError, ObsWorkflowError)
