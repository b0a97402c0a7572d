"""Property: the signers' and URL builders' shortcut for unreserved text (taken as it
is, without ``quote``) gives exactly what ``quote`` gives, for any text."""

from __future__ import annotations

from urllib.parse import quote, unquote

from hypothesis import given, settings
from hypothesis import strategies as st

from obs_workflow_async import _signing
from obs_workflow_async.dwr import signing as dwr_signing

texts = st.one_of(
    st.text(),
    st.text(alphabet="abcXYZ019_.-~/%+ é\u00a0\t?&=#"),
    st.sampled_from(["", "/", "~", "a/b", "v2/workflowexecutions/e-1_2.3~", "..", "a%2Fb"]),
)


@settings(max_examples=500, deadline=None)
@given(texts, texts)
def test_the_shortcut_quotes_as_quote_does(a: str, b: str) -> None:
    assert _signing.encode_object_key(a) == quote(a, safe="/~")
    query = ((a, b), (b, None))
    expected = [f"{quote(a, safe='/')}={quote(b, safe='/')}", quote(b, safe="/")]
    assert _signing.encode_query(query) == "?" + "&".join([expected[1], expected[0]])
    assert dwr_signing.quote_path_param(a) == quote(a, safe="")
    uri = "/".join(quote(part, safe="~") for part in unquote(a).split("/"))
    assert dwr_signing.canonical_uri(a) == (uri if uri.endswith("/") else uri + "/")
