"""Signing: known vectors from the spec, and the pure helpers."""

from __future__ import annotations

import contextlib
import locale
from datetime import datetime, timezone

import pytest

from obs_workflow_async import _signing as signing
from obs_workflow_async._signing import SigningRequest

DATE = "Fri, 27 Nov 2026 10:20:30 GMT"
NOW = datetime(2026, 11, 27, 10, 20, 30, tzinfo=timezone.utc)


def test_string_to_sign_matches_the_captured_list_executions_example() -> None:
    request = SigningRequest(
        method="GET",
        key="v2/workflowexecutions",
        headers={"Content-Type": "application/json", "Date": DATE, "x-obs-security-token": "tok"},
        query=(
            ("x-workflow-graph-name", "g1"),
            ("x-workflow-next-marker", "APICALLabc"),
            ("x-workflow-limit", "50"),
            ("x-workflow-execution-type", "APICALL"),
        ),
    )
    assert signing.obs_string_to_sign(request, "obs") == (
        f"GET\n\napplication/json\n{DATE}\nx-obs-security-token:tok\n"
        "/v2/workflowexecutions?x-workflow-execution-type=APICALL&x-workflow-graph-name=g1"
        "&x-workflow-limit=50&x-workflow-next-marker=APICALLabc"
    )


def test_string_to_sign_with_bare_query_key_and_bucket_resource() -> None:
    templates = SigningRequest(
        method="GET",
        key="v2/workflowtemplates/tp",
        headers={"Content-Type": "application/json", "Date": DATE},
        query=(("x-workflow-prefix", None), ("x-workflow-start", "2"), ("x-workflow-limit", "5")),
    )
    assert signing.obs_string_to_sign(templates, "obs").endswith(
        "/v2/workflowtemplates/tp?x-workflow-limit=5&x-workflow-prefix&x-workflow-start=2"
    )
    policy = SigningRequest(
        method="PUT",
        key="",
        bucket="bkt",
        headers={"Content-Type": "application/json", "Date": DATE},
        query=(("obsworkflowtriggerpolicy", None),),
    )
    assert signing.obs_string_to_sign(policy, "obs") == (
        f"PUT\n\napplication/json\n{DATE}\n/bkt/?obsworkflowtriggerpolicy"
    )


def test_unknown_query_keys_are_not_signed_and_x_obs_date_blanks_date() -> None:
    request = SigningRequest(
        method="POST",
        key="v2/workflows/g",
        headers={"Date": DATE, "x-obs-date": DATE, "X-Other": "no"},
        query=(("unlisted", "1"),),
    )
    assert signing.obs_string_to_sign(request, "obs") == (
        f"POST\n\n\n\nx-obs-date:{DATE}\n/v2/workflows/g"
    )


def test_v2_mode_signs_amz_headers_not_obs_headers() -> None:
    request = SigningRequest(
        method="POST",
        key="v2/workflows/g",
        headers={"Date": DATE, "x-amz-security-token": "t", "x-obs-security-token": "o"},
    )
    text = signing.obs_string_to_sign(request, "v2")
    assert "x-amz-security-token:t\n" in text
    assert "x-obs-" not in text


def test_obs_signature_known_value() -> None:
    request = SigningRequest(
        method="POST",
        key="v2/workflows/graph-1",
        headers={"Content-Type": "application/json", "Date": DATE},
    )
    auth = signing.sign(request, access_key_id="AK", secret_access_key="SK", mode="obs", now=NOW)
    # HMAC-SHA1("SK", "POST\n\napplication/json\n<DATE>\n/v2/workflows/graph-1"), base64.
    import base64
    import hashlib
    import hmac

    expected = base64.b64encode(
        hmac.new(
            b"SK", f"POST\n\napplication/json\n{DATE}\n/v2/workflows/graph-1".encode(), hashlib.sha1
        ).digest()
    ).decode()
    assert auth == f"OBS AK:{expected}"
    assert (
        signing.sign(request, access_key_id="AK", secret_access_key="SK", mode="v2", now=NOW)
        == f"AWS AK:{expected}"
    )


def test_v4_authorization_shape_and_scope() -> None:
    headers = {"Content-Type": "application/json", "Host": "h", "Date": DATE}
    signing.add_signing_headers("v4", headers, "tok")
    assert headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"
    assert headers["x-amz-security-token"] == "tok"
    auth = signing.sign(
        SigningRequest(method="GET", key="v2/workflows/g", headers=headers),
        access_key_id="AK",
        secret_access_key="SK",
        mode="v4",
        now=NOW,
        region="cn-north-4",
    )
    assert auth.startswith(
        "AWS4-HMAC-SHA256 Credential=AK/20261127/cn-north-4/s3/aws4_request,"
        "SignedHeaders=content-type;date;host;x-amz-content-sha256;x-amz-security-token,"
        "Signature="
    )
    assert len(auth.rsplit("Signature=", 1)[1]) == 64


def test_http_date_ignores_the_process_locale() -> None:
    # The locale may not exist here; the format must not depend on it either way.
    with contextlib.suppress(locale.Error):
        locale.setlocale(locale.LC_TIME, "de_DE.UTF-8")
    try:
        assert signing.format_http_date(NOW) == DATE
    finally:
        locale.setlocale(locale.LC_TIME, "C")


@pytest.mark.parametrize(
    ("query", "wire"),
    [
        ((), ""),
        ((("a", "1"), ("b", None)), "?b&a=1"),
        ((("x-workflow-next-marker", "A B/c"),), "?x-workflow-next-marker=A%20B/c"),
    ],
)
def test_query_on_the_wire(query: tuple[tuple[str, str | None], ...], wire: str) -> None:
    assert signing.encode_query(query) == wire


def test_object_key_encoding_keeps_slash_and_tilde() -> None:
    assert signing.encode_object_key("v2/workflows/a~b c") == "v2/workflows/a~b%20c"
