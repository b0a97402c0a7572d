"""Our Authorization header equals the official SDK's for the same request.

Hypothesis generates methods, resource paths, ``x-workflow-*`` (and other) query
arguments, security tokens, dates, regions, bodies and bucket addressing; for each
we build the headers with the transport's own code path and ask
``obs.auth.Authentication`` / ``obs.auth.V4Authentication`` to sign the same
request the way ``obs.client._BasicClient._add_auth_headers`` calls them.
"""

from __future__ import annotations

import string
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from obs import auth as sdk_auth
from obs.convertor import Adapter

from obs_workflow_async._config import parse_endpoint
from obs_workflow_async._pipeline import Pipeline, RequestSpec
from obs_workflow_async._signing import SignatureMode
from obs_workflow_async.credentials import Credentials, CredentialsCache, StaticProvider
from obs_workflow_async.testing.mock import MockResponse, MockTransport
from obs_workflow_async.v2.dialect import ObsDialect

WORKFLOW_QUERY_KEYS = [
    "x-workflow-prefix",
    "x-workflow-start",
    "x-workflow-limit",
    "x-workflow-template-name",
    "x-workflow-graph-name",
    "x-workflow-execution-state",
    "x-workflow-execution-type",
    "x-workflow-next-marker",
    "obsworkflowtriggerpolicy",
    "X-Workflow-Limit",
    "x-obs-extra",
    "x-amz-extra",
    "unlisted",
    "acl",
]

header_safe_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"),
    min_size=1,
    max_size=40,
)
path_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00?#"),
    min_size=1,
    max_size=30,
)
query_values = st.one_of(st.none(), st.text(max_size=20), st.integers(1, 1000).map(str))
dates = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2099, 12, 31),
    timezones=st.just(timezone.utc),
).map(lambda d: d.replace(microsecond=0))


# Every strategy is built once, here, not in each draw: hypothesis analyses a
# filter's lambda each time its strategy is built, which cost most of these tests' time.
query_keys = st.lists(st.sampled_from(WORKFLOW_QUERY_KEYS), unique=True, max_size=5)
methods = st.sampled_from(["GET", "PUT", "POST", "DELETE"])
resources = st.sampled_from(["workflows", "workflowtemplates", "workflowexecutions"])
subpaths = st.one_of(st.just(""), path_text.map(lambda p: "/" + p))
bodies = st.one_of(st.none(), st.binary(max_size=64))
buckets = st.one_of(st.none(), st.sampled_from(["bkt", "my-bucket.v2", "b0b"]))
tokens = st.one_of(st.none(), header_safe_text)
access_keys = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1)
secret_keys = st.text(min_size=1, max_size=40).filter(lambda s: s.strip() == s)
regions = st.sampled_from(["cn-north-4", "ap-southeast-1", "region"])
servers = st.sampled_from(
    ["https://obs.cn-north-4.myhuaweicloud.com", "http://127.0.0.1:8080", "http://h:80"]
)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, object]:
    keys = draw(query_keys)
    return {
        "method": draw(methods),
        "key": "v2/" + draw(resources) + draw(subpaths),
        "query": tuple((k, draw(query_values)) for k in keys),
        "body": draw(bodies),
        "bucket": draw(buckets),
        "token": draw(tokens),
        "ak": draw(access_keys),
        "sk": draw(secret_keys),
        "now": draw(dates),
        "region": draw(regions),
        "server": draw(servers),
    }


def ours(mode: SignatureMode, r: dict[str, object]) -> dict[str, str]:
    creds = Credentials(str(r["ak"]), str(r["sk"]), r["token"])  # type: ignore[arg-type]
    endpoint = parse_endpoint(str(r["server"]))
    pipeline = Pipeline(
        endpoint=endpoint,
        credentials=CredentialsCache(StaticProvider(creds), initial=creds),
        dialect=ObsDialect(endpoint, mode, str(r["region"])),
        transport=MockTransport(lambda request: MockResponse(500)),
    )
    spec = RequestSpec(
        method=str(r["method"]),
        key=str(r["key"]),
        query=r["query"],  # type: ignore[arg-type]
        body=r["body"],
        target=r["bucket"],  # type: ignore[arg-type]
    )
    return pipeline.build_headers(spec, r["now"])  # type: ignore[arg-type]


def sdk_authorization(mode: SignatureMode, r: dict[str, object], headers: dict[str, str]) -> str:
    """Sign as ``_BasicClient._add_auth_headers`` does, on the headers the SDK would hold."""
    sdk_headers = {
        k: v for k, v in headers.items() if k not in ("Authorization", "x-amz-content-sha256")
    }
    path_args = dict(r["query"])  # type: ignore[call-overload]
    ha = Adapter(mode)
    # The SDK forces path style for IPv4 servers (_BasicClient._check_path_style).
    path_style = parse_endpoint(str(r["server"])).is_ipv4
    if mode == "v4":
        now: datetime = r["now"]  # type: ignore[assignment]
        v4 = sdk_auth.V4Authentication(
            r["ak"],
            r["sk"],
            str(r["region"]),
            now.strftime("%Y%m%d"),
            now.strftime("%Y%m%dT%H%M%SZ"),
            path_style,
            ha,
        )
        return str(
            v4.doAuth(r["method"], r["bucket"], r["key"], path_args, sdk_headers)["Authorization"]
        )
    obs_auth = sdk_auth.Authentication(r["ak"], r["sk"], path_style, ha, "server", False)
    return str(
        obs_auth.doAuth(r["method"], r["bucket"], r["key"], path_args, sdk_headers)["Authorization"]
    )


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(requests())
def test_obs_mode_matches_sdk(r: dict[str, object]) -> None:
    headers = ours("obs", r)
    assert headers["Authorization"] == sdk_authorization("obs", r, headers)


@settings(max_examples=300, deadline=None)
@given(requests())
def test_v2_mode_matches_sdk(r: dict[str, object]) -> None:
    headers = ours("v2", r)
    assert headers["Authorization"] == sdk_authorization("v2", r, headers)


@settings(max_examples=300, deadline=None)
@given(requests())
def test_v4_mode_matches_sdk(r: dict[str, object]) -> None:
    headers = ours("v4", r)
    assert headers["Authorization"] == sdk_authorization("v4", r, headers)
