"""The OBS/V2 dialect builds its StringToSign from per-shape parts; it must give the
same headers, byte for byte, as the general signer (:func:`_signing.sign`) over the
same headers, for any path, query, bucket, token, date and credentials rotation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from obs_workflow_async import _signing as signing
from obs_workflow_async._config import Endpoint, parse_endpoint
from obs_workflow_async._pipeline import RequestSpec
from obs_workflow_async.credentials import Credentials
from obs_workflow_async.v2.dialect import ObsDialect


def reference(
    spec: RequestSpec,
    now: datetime,
    creds: Credentials,
    endpoint: Endpoint,
    mode: signing.SignatureMode,
) -> dict[str, str]:
    """The headers as the dialect built them before it cached anything."""
    headers = {"Content-Type": "application/json"}
    if spec.body is not None:
        headers["Content-Length"] = str(len(spec.body))
    virtual = spec.target and not endpoint.is_ipv4
    headers["Host"] = f"{spec.target}.{endpoint.host_header}" if virtual else endpoint.host_header
    headers["Date"] = signing.format_http_date(now)
    signing.add_signing_headers(mode, headers, creds.security_token)
    headers["Authorization"] = signing.sign(
        signing.SigningRequest(
            spec.method, spec.key, headers, spec.query, spec.target, endpoint.is_ipv4
        ),
        access_key_id=creds.access_key_id,
        secret_access_key=creds.secret_access_key,
        mode=mode,
        now=now,
        region="cn-north-4",
    )
    return headers


keys = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00?#"),
    max_size=30,
)
query_keys = st.sampled_from(
    ["x-workflow-limit", "x-workflow-graph-name", "acl", "unlisted", "x-obs-x", "X-Amz-Y"]
)
queries = st.lists(
    st.tuples(query_keys, st.one_of(st.none(), st.text(max_size=10))), max_size=3
).map(tuple)
tokens = st.one_of(st.none(), st.just(""), st.text(alphabet="abcXYZ019+/= ", max_size=20))
moments = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2099, 12, 31),
    timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=8))]),
)
secrets = st.text(alphabet="abcdefXYZ0123456789", min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    mode=st.sampled_from(["obs", "v2", "v4"]),
    server=st.sampled_from(["https://obs.cn-north-4.myhuaweicloud.com", "http://127.0.0.1:8080"]),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    key=keys,
    query=queries,
    body=st.one_of(st.none(), st.binary(max_size=20)),
    bucket=st.one_of(st.none(), st.sampled_from(["bucket-a", "b.dotted"])),
    calls=st.lists(st.tuples(moments, secrets, tokens), min_size=1, max_size=4),
)
def test_dialect_headers_equal_the_general_signer(
    mode: signing.SignatureMode,
    server: str,
    method: str,
    key: str,
    query: tuple[tuple[str, str | None], ...],
    body: bytes | None,
    bucket: str | None,
    calls: list[tuple[datetime, str, str | None]],
) -> None:
    endpoint = parse_endpoint(server)
    dialect = ObsDialect(endpoint, mode, "cn-north-4")
    spec = RequestSpec(method, key, query, body, bucket)
    for now, secret, token in calls:  # one dialect: its caches carry over between calls
        creds = Credentials("AKEXAMPLE", secret, token)
        for moment in (now, now + timedelta(microseconds=1), now + timedelta(seconds=1)):
            expected = reference(spec, moment, creds, endpoint, mode)
            assert dialect.headers(spec, moment, creds) == expected
            assert list(dialect.headers(spec, moment, creds)) == list(expected)
