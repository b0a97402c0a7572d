"""The v3 dialect builds its canonical request from per-shape and per-client parts; it
must give the same headers, byte for byte, as :func:`.signing.sign` over the same
headers, for any path, query, body, token, project id, date and credentials rotation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from obs_workflow_async._config import parse_endpoint
from obs_workflow_async._pipeline import RequestSpec
from obs_workflow_async.credentials import Credentials
from obs_workflow_async.dwr import signing
from obs_workflow_async.dwr.dialect import DwrDialect, spec_path


def reference(
    dialect: DwrDialect,
    host: str,
    user_agent: str,
    content_type: bool,
    spec: RequestSpec,
    now: datetime,
    creds: Credentials,
) -> dict[str, str]:
    """The headers as the dialect built them before it cached anything."""
    headers: dict[str, str] = {}
    if content_type:
        headers["Content-Type"] = "application/json"
    headers["Host"] = host
    headers["User-Agent"] = user_agent
    if dialect.project_id is not None:
        headers["X-Project-Id"] = dialect.project_id
    headers["X-Sdk-Date"] = signing.format_sdk_date(now)
    if creds.security_token:
        headers["X-Security-Token"] = creds.security_token
    signed = signing.sign(
        spec.method,
        spec_path(spec),
        [(k, "" if v is None else v) for k, v in spec.query],
        headers,
        spec.body,
        access_key_id=creds.access_key_id,
        secret_access_key=creds.secret_access_key,
    )
    headers["Authorization"] = signed.authorization
    return headers


segments = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00/"),
    min_size=1,
    max_size=12,
)
queries = st.lists(
    st.tuples(st.sampled_from(["graph_name", "limit", "offset", "a b"]), st.text(max_size=8)),
    max_size=3,
).map(lambda pairs: tuple(signing.query_pairs(pairs)))
tokens = st.one_of(st.none(), st.just(""), st.text(alphabet="abcXYZ019+/= ", max_size=20))
moments = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2099, 12, 31),
    timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=-5))]),
)
secrets = st.text(alphabet="abcdefXYZ0123456789", min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "put", "DELETE"]),
    parts=st.lists(segments, min_size=1, max_size=4),
    query=queries,
    body=st.one_of(st.none(), st.just(b""), st.binary(max_size=20)),
    host=st.sampled_from([None, " dwr.example.com:443 "]),
    user_agent=st.sampled_from(["obs-workflow-async/1.0", " ua with spaces "]),
    content_type=st.booleans(),
    project_ids=st.lists(st.one_of(st.none(), st.sampled_from(["p1", " p2 "])), min_size=1),
    calls=st.lists(st.tuples(moments, secrets, tokens), min_size=1, max_size=3),
)
def test_dialect_headers_equal_the_general_signer(
    method: str,
    parts: list[str],
    query: tuple[tuple[str, str], ...],
    body: bytes | None,
    host: str | None,
    user_agent: str,
    content_type: bool,
    project_ids: list[str | None],
    calls: list[tuple[datetime, str, str | None]],
) -> None:
    endpoint = parse_endpoint("https://dwr.example.com")
    dialect = DwrDialect(endpoint, user_agent=user_agent, content_type=content_type, host=host)
    spec = RequestSpec(method, "/".join(parts), query, body)
    sent_host = endpoint.host_header if host is None else host
    for project_id in project_ids:  # the project id is set once discovered
        dialect.project_id = project_id
        for now, secret, token in calls:
            creds = Credentials("AKEXAMPLE", secret, token)
            for moment in (now, now + timedelta(microseconds=1), now + timedelta(seconds=1)):
                expected = reference(
                    dialect, sent_host, user_agent, content_type, spec, moment, creds
                )
                got = dialect.headers(spec, moment, creds)
                assert got == expected
                assert list(got) == list(expected)
