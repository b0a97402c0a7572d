"""One error-body reader (issue 19): the typed errors and the SDK-shaped compat results
read an answer's body with the same function, and XML the way the official SDK reads it.

Before, ``errors.parse_error_body`` scanned XML by hand and ``compat.sdk_error_fields``
used ElementTree; they disagreed on a nested ``<Code>``, CDATA and a comment. Here
every edge case is read through both paths and the answers compared, with the official
esdk-obs-python's own ``parseErrorResult`` as the oracle where it reads a body at all.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obs_workflow_async._error_body import ErrorBodyRules, read_error_body
from obs_workflow_async.compat import GetResult, sdk_error_fields
from obs_workflow_async.dwr.error_body import read_dwr_error_body
from obs_workflow_async.errors import (
    ERROR_BODY_PREFIX,
    ERROR_BODY_RULES,
    APIStatusError,
    error_for_status,
    parse_error_body,
)

try:
    from obs.convertor import Convertor
except ImportError:  # pragma: no cover - the oracle is a dev dependency
    Convertor = None

_SDK_XMLNS = re.compile('xmlns="http.*?"')  # esdk-obs-python's client.pattern


def _sdk(text: str) -> tuple[Any, ...] | None:
    """What esdk-obs-python reads from an XML error body (its ``_parse_xml_internal``:
    the namespace pattern removed, then ``Convertor.parseErrorResult``); ``None`` when
    it reads nothing (it logs the exception and gives no fields)."""
    if Convertor is None:  # pragma: no cover
        pytest.skip("esdk-obs-python (the oracle) is not installed")
    search = _SDK_XMLNS.search(text)
    xml = text if search is None else text.replace(search.group(), "")
    try:
        return tuple(Convertor("obs").parseErrorResult(xml))
    except Exception:
        return None


def _error(body: str, status: int = 404) -> APIStatusError:
    return error_for_status(
        status=status,
        reason="Not Found",
        headers={},
        body=body,
        request_id=None,
        retries_taken=0,
        retry_after=None,
    )


def _both(body: str) -> tuple[tuple[str | None, ...], tuple[str | None, ...]]:
    """(code, message, request id, host id, resource) as the typed error and as the
    compat result read them."""
    error = _error(body)
    result: GetResult[str] = GetResult[str].from_error(error)
    parsed = parse_error_body(body)
    # (reading nothing, the typed error's message is a one-line excerpt of the text)
    message = error.message if (parsed.code, parsed.message) != (None, None) else None
    ours = (error.code, message, error.request_id, error.host_id, error.resource)
    compat = (
        result.errorCode,
        result.errorMessage,
        result.requestId,
        result.hostId,
        result.resource,
    )
    return ours, compat


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<Error><Code>&lol3;</Code></Error>"
)

# name -> (body, expected (code, message)); XML bodies are also checked against the SDK.
EDGE_CASES: dict[str, tuple[str, tuple[str | None, str | None]]] = {
    "nested Code": ("<Error><Code>a<b>x</b>c</Code><Message>m</Message></Error>", ("a", "m")),
    "Code in a child": (
        "<Error><X><Code>inner</Code></X><Code>outer</Code></Error>",
        ("outer", None),
    ),
    "first of two": ("<Error><Code></Code><Code>second</Code></Error>", (None, None)),
    "CDATA": ("<Error><Code><![CDATA[A<&>B]]></Code></Error>", ("A<&>B", None)),
    "CDATA inside text": ("<Error><Code>x<![CDATA[A]]>y</Code></Error>", ("xAy", None)),
    "comment": (
        "<Error><Code>a<!--c-->b</Code><!-- x --><Message>m</Message></Error>",
        ("ab", "m"),
    ),
    "processing instruction": ("<Error><Code>a<?p x?>b</Code></Error>", ("ab", None)),
    "whitespace kept": ("<Error><Code> C \n</Code></Error>", (" C \n", None)),
    "http namespace": ('<Error xmlns="http://obs/doc/"><Code>C</Code></Error>', ("C", None)),
    "urn namespace": ('<Error xmlns="urn:x"><Code>C</Code></Error>', (None, None)),
    "prefixed namespace": (
        '<o:Error xmlns:o="http://x"><o:Code>C</o:Code></o:Error>',
        (None, None),
    ),
    "other root": ("<Foo><Code>C</Code></Foo>", ("C", None)),
    "BOM": ("\ufeff<?xml version='1.0'?><Error><Code>C</Code></Error>", ("C", None)),
    "entities": (
        "<Error><Code>&amp;&lt;&gt;&quot;&apos;&#233;&#x42;</Code></Error>",
        ("&<>\"'éB", None),
    ),
    "undefined entity": ("<Error><Code>C</Code><Message>&bogus;</Message></Error>", (None, None)),
    "invalid reference": ("<Error><Code>&#xD800;</Code></Error>", (None, None)),
    "DOCTYPE": ('<!DOCTYPE e [<!ENTITY a "aaaa">]><Error><Code>&a;</Code></Error>', (None, None)),
    "billion laughs": (LAUGHS, (None, None)),
    "junk after the root": ("<Error><Code>C</Code></Error>junk", (None, None)),
    "truncated": ("<Error><Code>C</Code><Message>cut he", ("C", None)),
    "truncated in a tag": ("<Error><Code>C</Code></Err", ("C", None)),
    "non-UTF-8 (decoded with replacement)": (
        b"<Error><Code>caf\xe9</Code></Error>".decode("utf-8", "replace"),
        ("caf\ufffd", None),
    ),
    "html": ("<html><body>Bad gateway</body></html>", (None, None)),
    "plain text": ("Bad gateway", (None, None)),
    "JSON": ('{"code": "C", "message": "m", "request_id": "r"}', ("C", "m")),
    "JSON error_code": ('{"error_code": "C", "error_msg": "m"}', ("C", "m")),
    "JSON number and bool": ('{"code": 404, "message": true}', ("404", "True")),
    "JSON object value": ('{"code": "C", "message": {"a": "é"}}', ("C", '{"a": "é"}')),
    "JSON array": ('[{"code": "C"}]', (None, None)),
    "JSON string": ('"<Error><Code>C</Code></Error>"', (None, None)),
    "JSON broken": ('{"code": "C"', (None, None)),
    "JSON with BOM": ('\ufeff{"code": "C"}', (None, None)),
    "empty": ("", (None, None)),
    "blank": (" \r\n ", (None, None)),
}
SDK_UNREAD = {"truncated", "truncated in a tag"}
"""Cut short: the SDK reads nothing; we read the fields completed before the cut."""


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_cases_read_the_same_through_errors_and_compat(name: str) -> None:
    body, expected = EDGE_CASES[name]
    ours, compat = _both(body)
    assert ours == compat
    assert ours[:2] == expected
    fields = sdk_error_fields(body)
    assert (fields.code, fields.message) == expected


@pytest.mark.parametrize(
    "name", sorted(n for n, (b, _) in EDGE_CASES.items() if b.lstrip("\ufeff").startswith("<"))
)
def test_xml_edge_cases_read_as_the_official_sdk_reads_them(name: str) -> None:
    body = EDGE_CASES[name][0]
    theirs = _sdk(body)
    parsed = parse_error_body(body)
    fields = (parsed.code, parsed.message, parsed.request_id, parsed.host_id, parsed.resource)
    if name in SDK_UNREAD:
        assert theirs is None and parsed.form == "xml-cut"
    elif name in ("DOCTYPE", "billion laughs"):
        assert theirs is not None and theirs[0] is not None  # the SDK expands entities
        assert fields == (None,) * 5 and parsed.form is None  # we refuse a DTD
    elif theirs is None:
        assert fields == (None,) * 5 and parsed.form is None
    else:
        assert fields == theirs


def test_a_dtd_is_refused_before_parsing() -> None:
    assert len(ET.fromstring(LAUGHS).findtext("Code") or "") == 300  # ElementTree expands
    assert parse_error_body(LAUGHS) == parse_error_body("")
    assert sdk_error_fields(LAUGHS).body == LAUGHS  # the text is kept, not read
    # an external entity needs a DTD too: refused the same way
    external = (
        '<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]><Error><Code>&x;</Code></Error>'
    )
    assert parse_error_body(external).code is None


def test_only_the_prefix_of_a_long_xml_body_is_parsed() -> None:
    body = "<Error><Code>C</Code><Message>" + "m" * (4 * ERROR_BODY_PREFIX) + "</Message></Error>"
    parsed = parse_error_body(body)
    assert (parsed.code, parsed.message, parsed.form) == ("C", None, "xml-cut")
    assert _both(body)[0] == _both(body)[1]
    # a whole document inside the prefix, then only blanks: read as whole
    padded = "<Error><Code>C</Code></Error>" + " " * ERROR_BODY_PREFIX
    assert (parse_error_body(padded).code, parse_error_body(padded).form) == ("C", "xml")


def test_compat_body_is_the_text_as_the_sdk_carries_it() -> None:
    xml = '<Error xmlns="http://obs/doc/"><Code>C</Code></Error>'
    assert sdk_error_fields(xml).body == "<Error ><Code>C</Code></Error>"
    assert sdk_error_fields("<html>Bad request</html").body == "<html>Bad request</html"
    assert sdk_error_fields("plain").body == "plain"
    assert sdk_error_fields("").body is None


def test_v3_reads_json_only_with_its_sdk_precedence() -> None:
    xml = "<Error><Code>C</Code></Error>"
    parsed = read_dwr_error_body(xml, 502)
    assert (parsed.code, parsed.message) == ("502", xml)  # no XML: the body is the message
    nested = (
        '{"error": {"code": "E", "message": "m"}, "other": {"error_code": "F", "error_msg": "n"}}'
    )
    assert (read_dwr_error_body(nested, 400).code, read_dwr_error_body(nested, 400).message) == (
        "F",
        "n",
    )
    both = '{"code": "C", "message": "M", "error_code": "E", "error_msg": "N"}'
    assert (read_dwr_error_body(both, 400).code, parse_error_body(both).code) == ("E", "C")
    deep = '{"a": ' * 5000 + '{"error_code": "D", "error_msg": "d"}' + "}" * 5000
    assert read_dwr_error_body(deep, 400).code in ("D", "400")  # never a RecursionError


def test_the_reader_knows_no_api() -> None:
    rules = ErrorBodyRules(pairs=(("c", "m"),), xml_fields=(("code", "K"),))
    assert read_error_body('{"c": 1, "m": "x"}', rules).code == "1"
    assert read_error_body("<R><K>k</K></R>", rules).code == "k"
    assert read_error_body("<R><Code>k</Code></R>", rules).code is None
    source = __import__("obs_workflow_async._error_body", fromlist=["x"]).__file__ or ""
    with open(source, encoding="utf-8") as handle:
        text = handle.read()
    assert not re.search(r"\b(OBS|DWR|obs|dwr|Huawei)\b", text)


# -- properties -------------------------------------------------------------------------------

_FIELD_NAMES = ["Code", "Message", "RequestId", "HostId", "Resource", "X"]
_text = st.text(alphabet="ab &<>\"'é\r\n\t\u2028", max_size=6)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _content_strategy(depth: int = 0) -> st.SearchStrategy[str]:
    """The content of an element, nested up to three levels. Built once (``_content``),
    not per draw: a strategy made in each draw (the filters' lambdas included) is
    analysed again by hypothesis every time, which cost most of these tests' time."""
    return st.lists(
        st.one_of(
            _text.map(_escape),
            _text.filter(lambda t: "]]>" not in t).map(lambda t: f"<![CDATA[{t}]]>"),
            _text.filter(lambda t: "--" not in t and not t.endswith("-")).map(
                lambda t: f"<!--{t}-->"
            ),
            st.sampled_from(["&#233;", "&#x42;", "&quot;", "<?pi x?>"]),
            st.builds(
                lambda name, inner: f"<{name}>{inner}</{name}>",
                st.sampled_from(_FIELD_NAMES),
                _content_strategy(depth + 1) if depth < 2 else _text.map(_escape),
            ),
        ),
        max_size=4,
    ).map("".join)


_content = _content_strategy()


@st.composite
def _xml_body(draw: st.DrawFn) -> str:
    root = draw(st.sampled_from(["Error", "Foo"]))
    namespace = draw(st.sampled_from(["", ' xmlns="http://obs/doc/"', ' xmlns="urn:x"', ' a="1"']))
    declaration = draw(st.sampled_from(["", "<?xml version='1.0' encoding='UTF-8'?>"]))
    children = draw(
        st.lists(
            st.builds(
                lambda name, inner: f"<{name}>{inner}</{name}>",
                st.sampled_from(_FIELD_NAMES),
                _content,
            ),
            max_size=6,
        )
    )
    body = f"{declaration}<{root}{namespace}>{''.join(children)}</{root}>"
    cut = draw(st.one_of(st.none(), st.integers(0, max(len(body) - 1, 0))))
    return body if cut is None else body[:cut]


_fragments = st.lists(
    st.sampled_from(
        [
            "<Error>",
            "</Error>",
            "<Code>",
            "</Code>",
            "<Message>",
            "</Message>",
            "<![CDATA[",
            "]]>",
            "<!--",
            "-->",
            "&amp;",
            "&#",
            "x",
            " ",
            "{",
            "}",
            '"code"',
            ":",
            '"m"',
            ",",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(body=_xml_body() | _fragments | st.text(max_size=200))
def test_errors_and_compat_always_agree(body: str) -> None:
    ours, compat = _both(body)
    assert ours == compat


@settings(max_examples=400, deadline=None)
@given(body=_xml_body())
def test_well_formed_xml_reads_as_the_official_sdk_reads_it(body: str) -> None:
    theirs = _sdk(body)
    parsed = parse_error_body(body)
    fields = (parsed.code, parsed.message, parsed.request_id, parsed.host_id, parsed.resource)
    if theirs is not None:  # the SDK read it: so do we, field for field
        assert fields == theirs and parsed.form == "xml"
    else:  # it did not: cut short (we read what came before the cut) or nothing at all
        assert parsed.form in ("xml-cut", None)


def test_the_rules_are_the_ones_errors_and_compat_share() -> None:
    assert ERROR_BODY_RULES.limit == ERROR_BODY_PREFIX
    assert ERROR_BODY_RULES.xml_unwrap == _SDK_XMLNS.pattern
