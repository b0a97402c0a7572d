"""SDK-HMAC-SHA256 pure functions: the digest's worked example, and the rules one by one."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from obs_workflow_async.dwr import signing

AK, SK = "EXAMPLEAK0000000001Z", "EXAMPLESKexampleSKexampleSKexampleSK0001"
PID = "0123456789abcdef0123456789abcdef"
HEADERS = {
    "Content-Type": "application/json",
    "Host": "dwr.cn-south-1.myhuaweicloud.com",
    "User-Agent": "huaweicloud-usdk-python/3.0; demo",
    "X-Project-Id": PID,
    "X-Sdk-Date": "20250101T000000Z",
}


def test_worked_example_from_the_digest() -> None:
    body = b'{"bucket": "demo-bucket", "object": "in/a.mp4"}'
    signed = signing.sign(
        "POST",
        f"/v3/{PID}/workflows/demo-graph/execute",
        [],
        HEADERS,
        body,
        access_key_id=AK,
        secret_access_key=SK,
    )
    assert signed.canonical_request == (
        "POST\n"
        f"/v3/{PID}/workflows/demo-graph/execute/\n"
        "\n"
        "content-type:application/json\n"
        "host:dwr.cn-south-1.myhuaweicloud.com\n"
        "user-agent:huaweicloud-usdk-python/3.0; demo\n"
        f"x-project-id:{PID}\n"
        "x-sdk-date:20250101T000000Z\n"
        "\n"
        "content-type;host;user-agent;x-project-id;x-sdk-date\n"
        "f9a6c7a0abac6eee211220d04f7ad166f9b924ad889b0fd31647e8a1fb184b06"
    )
    assert signed.string_to_sign == (
        "SDK-HMAC-SHA256\n20250101T000000Z\n"
        "bfa1a0ed49d3f90672fc25eacce2cbe089b5e24c086108fcdc0ff17f5dbcbc49"
    )
    assert signed.authorization == (
        "SDK-HMAC-SHA256 Access=EXAMPLEAK0000000001Z, "
        "SignedHeaders=content-type;host;user-agent;x-project-id;x-sdk-date, "
        "Signature=1a693b748c927bb7105068c1d8db85f2727956f93224192e15bfa88d2f41c4ef"
    )


def test_worked_example_with_query_and_token() -> None:
    query = signing.query_pairs(
        [
            ("limit", 50),
            ("graph_name", "demo-graph"),
            ("start_time", "2025-01-01T00:00:00Z"),
            ("status", "fail"),
            ("offset", 1),
        ]
    )
    assert signing.canonical_query(query) == (
        "graph_name=demo-graph&limit=50&offset=1&start_time=2025-01-01T00%3A00%3A00Z&status=fail"
    )
    headers = {**HEADERS, "X-Security-Token": "TOKENexample"}
    signed = signing.sign(
        "GET",
        f"/v3/{PID}/workflowexecutions",
        query,
        headers,
        None,
        access_key_id=AK,
        secret_access_key=SK,
    )
    assert (
        "SignedHeaders=content-type;host;user-agent;x-project-id;x-sdk-date;x-security-token"
        in (signed.authorization)
    )
    assert signed.signature.startswith("f1476c7b") and signed.signature.endswith("e0d1bfa")


def test_canonical_uri_quotes_segments_and_adds_the_unsent_slash() -> None:
    wire = "/v3/p/workflows/" + signing.quote_path_param("工作流 a+b~c")
    assert wire == "/v3/p/workflows/%E5%B7%A5%E4%BD%9C%E6%B5%81%20a%2Bb~c"
    assert signing.canonical_uri(wire) == wire + "/"
    assert signing.canonical_uri("/a/") == "/a/"
    # an encoded slash is a separator once unquoted, as in the SDK
    assert signing.canonical_uri("/a%2Fb") == "/a/b/"


def test_query_types_and_order() -> None:
    pairs = signing.query_pairs(
        [("z", True), ("a", ["b", "a"]), ("m", ""), ("n", 3), ("f", 1.5), ("l", [True, 2])]
    )
    assert pairs == [
        ("a", "a"),
        ("a", "b"),
        ("f", "1.5"),
        ("l", "True"),
        ("l", "2"),
        ("m", ""),
        ("n", "3"),
        ("z", "true"),
    ]
    assert signing.canonical_query([("k y", "a/b:c~")]) == "k%20y=a%2Fb%3Ac~"


def test_headers_with_underscore_are_not_signed_and_values_are_stripped() -> None:
    headers = {**HEADERS, "X_Custom": "v", "X-Extra": "  padded  "}
    names = signing.signed_header_names(headers)
    assert "x_custom" not in names and "x-extra" in names
    assert "x-extra:padded\n" in signing.canonical_headers(headers, names)


def test_empty_body_hash_and_date_format() -> None:
    assert signing.payload_hash(None) == signing.payload_hash(b"") == signing.EMPTY_BODY_HASH
    cet = timezone(timedelta(hours=1))
    assert signing.format_sdk_date(datetime(2025, 1, 1, 1, 2, 3, tzinfo=cet)) == "20250101T000203Z"


def test_missing_date_is_refused() -> None:
    with pytest.raises(ValueError, match="X-Sdk-Date"):
        signing.sign("GET", "/", [], {"Host": "h"}, None, access_key_id=AK, secret_access_key=SK)
