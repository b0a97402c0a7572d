"""Our SDK-HMAC-SHA256 signature equals ``huaweicloudsdkcore``'s for generated requests.

Hypothesis generates methods, unicode paths (encoded as the SDK encodes path
parameters, or raw), queries with every value type (str, int, float, bool, lists,
empty values, unicode keys), extra headers (names with ``_``, padded and unicode
values), bodies, security tokens and dates; ``huaweicloudsdkcore.signer.Signer``
signs the same :class:`SdkRequest`. The Authorization header and the wire URI
must be equal.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obs_workflow_async.dwr import signing

pytest.importorskip("huaweicloudsdkcore", reason="huaweicloudsdkcore (the oracle) is not installed")

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

pytestmark = pytest.mark.differential

text_no_surrogates = st.characters(blacklist_categories=("Cs",))
segment = st.text(alphabet=text_no_surrogates, min_size=1, max_size=12)
scalar = st.one_of(
    st.text(alphabet=text_no_surrogates, max_size=12),
    st.integers(-(10**6), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)
list_value = st.one_of(
    st.lists(st.text(alphabet=text_no_surrogates, max_size=8), min_size=1, max_size=4),
    st.lists(st.integers(0, 10**6), min_size=1, max_size=4),
    st.lists(st.booleans(), min_size=1, max_size=3),
)
header_value = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc"), blacklist_characters="\x85\u2028\u2029"
    ),
    max_size=20,
)
header_name = st.from_regex(r"\A[a-z][a-z0-9_-]{0,15}\Z").filter(
    lambda n: (
        n not in {"host", "x-sdk-date", "authorization", "content-type", "x-sdk-content-sha256"}
    )
)
dates = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, object]:
    segments = draw(st.lists(segment, min_size=0, max_size=4))
    quoted = draw(st.booleans())
    path = "/v3/" + "/".join(signing.quote_path_param(s) if quoted else s for s in segments)
    keys = draw(
        st.lists(
            st.text(alphabet=text_no_surrogates, min_size=1, max_size=8), unique=True, max_size=5
        )
    )
    query = [(k, draw(st.one_of(scalar, list_value))) for k in keys]
    extra = draw(st.dictionaries(header_name, header_value, max_size=4))
    return {
        "method": draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"])),
        "path": path,
        "query": query,
        "extra": extra,
        "json": draw(st.booleans()),
        "token": draw(
            st.one_of(
                st.none(),
                st.text(
                    alphabet=st.characters(min_codepoint=33, max_codepoint=126),
                    min_size=1,
                    max_size=40,
                ),
            )
        ),
        "project": draw(st.one_of(st.none(), st.from_regex(r"\A[0-9a-f]{32}\Z"))),
        "body": draw(st.one_of(st.none(), st.just(b""), st.binary(max_size=64))),
        "date": draw(dates),
        "ak": draw(st.from_regex(r"\A[A-Z0-9]{20}\Z")),
        "sk": draw(
            st.text(
                alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40
            )
        ),
    }


def _headers(case: dict[str, object]) -> dict[str, str]:
    headers: dict[str, str] = {"Host": "dwr.cn-south-1.myhuaweicloud.com"}
    if case["json"]:
        headers["Content-Type"] = "application/json"
    headers.update(case["extra"])  # type: ignore[arg-type]
    headers["X-Sdk-Date"] = signing.format_sdk_date(case["date"])  # type: ignore[arg-type]
    if case["project"] is not None:
        headers["X-Project-Id"] = str(case["project"])
    if case["token"] is not None:
        headers["X-Security-Token"] = str(case["token"])
    return headers


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(requests())
def test_signature_and_wire_uri_equal_the_sdk(case: dict[str, object]) -> None:
    headers = _headers(case)
    query = list(case["query"])  # type: ignore[call-overload]
    pairs = signing.query_pairs(query)
    ours = signing.sign(
        str(case["method"]),
        str(case["path"]),
        pairs,
        headers,
        case["body"],
        access_key_id=str(case["ak"]),  # type: ignore[arg-type]
        secret_access_key=str(case["sk"]),
    )

    sdk_query = [(k, list(v) if isinstance(v, list) else v) for k, v in query]
    request = SdkRequest(
        method=str(case["method"]),
        schema="https",
        host="dwr.cn-south-1.myhuaweicloud.com",
        resource_path=str(case["path"]),
        query_params=sdk_query,
        header_params=dict(headers),
        body=case["body"],
    )
    Signer(BasicCredentials(str(case["ak"]), str(case["sk"]))).sign(request)
    assert ours.authorization == request.header_params["Authorization"]
    wire_query = signing.canonical_query(pairs)
    assert request.uri == (str(case["path"]) + ("?" + wire_query if wire_query else ""))
