"""``copy_headers``' loop takes a name it has seen with a text value in a few steps
(issue 20); every other header goes through ``_copy_one``. Both must give what one
reading per header gives (the reference below, the copy as it was before the fast
steps): the same names and values, equal values one string, the shared values of the
low-cardinality headers, a repeated name keeping its last value."""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy, istr

from obs_workflow_async.models import _base
from obs_workflow_async.models._base import Headers, copy_headers


def reference(headers: Mapping[object, object]) -> dict[str, str]:
    """One header at a time, each through the general reading."""
    copied: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str):
            continue
        lowered = name.lower()
        text = value if type(value) is str else str(value)
        if lowered in _base._SHARED_VALUES and len(text) <= 128:
            text = _base._VALUES.get(text, text)
        copied[lowered] = seen.setdefault(text, text)
    return copied


def _identities(copied: Mapping[str, str]) -> list[list[str]]:
    """Which names share one string object (by position)."""
    items = list(copied.items())
    return [[b for b, w in items if w is v] for _, v in items]


names = st.sampled_from(
    [
        "Date",
        "date",
        "X-Request-ID",
        "x-obs-request-id",
        "Content-Type",
        "content-length",
        "Server",
        "Connection",
        "X-Fresh-Name",
        istr("Content-Type"),
        istr("X-Request-ID"),
    ]
)
values = st.one_of(  # a few: the process-wide table of shared values is bounded
    st.sampled_from(["abc", "application/json", "2", "x" * 129, "", "\udc80"]),
    st.integers(-3, 3),
)


@settings(max_examples=300)
@given(
    pairs=st.lists(st.tuples(names, values), max_size=8),
    kind=st.sampled_from(["proxy", "dict"]),
)
def test_the_fast_steps_copy_as_one_reading_per_header(
    pairs: list[tuple[str, object]], kind: str
) -> None:
    source: Mapping[str, object] = (
        CIMultiDictProxy(CIMultiDict(pairs)) if kind == "proxy" else dict(pairs)
    )
    for _ in range(2):  # names and values unseen, then seen
        copied = copy_headers(source)
        expected = reference(source)
        assert type(copied) is Headers
        assert list(copied.items()) == list(expected.items())
        assert all(type(v) is str for v in copied.values())
        assert _identities(copied) == _identities(expected)


def test_a_name_that_is_not_text_is_left_out_seen_or_not() -> None:
    for _ in range(2):
        assert copy_headers({1: "a", "Date": "d"}) == {"date": "d"}
