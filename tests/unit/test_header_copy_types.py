"""``copy_headers`` remembers the mapping types it has checked (an ABC check per answer
is costly); the copy must stay what a check per call gives: non-mappings refused,
``Headers`` passed through, any mapping type copied with lower-case names."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy
from pydantic_core import PydanticCustomError

from obs_workflow_async.models._base import Headers, copy_headers


class Plain(Mapping[str, str]):
    def __init__(self, pairs: dict[str, str]) -> None:
        self._pairs = pairs

    def __getitem__(self, key: str) -> str:
        return self._pairs[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)


names = st.sampled_from(["Date", "X-Request-ID", "Content-Type", "Server", "x-obs-request-id"])
pairs = st.lists(st.tuples(names, st.text(max_size=6)), max_size=6)


@given(pairs=pairs, kind=st.sampled_from(["proxy", "dict", "plain"]))
def test_any_mapping_type_copies_to_lower_case_names_twice_alike(
    pairs: list[tuple[str, str]], kind: str
) -> None:
    last = {name.lower(): value for name, value in pairs}
    if kind == "proxy":
        source: Mapping[str, str] = CIMultiDictProxy(CIMultiDict(pairs))
        expected = {name.lower(): value for name, value in CIMultiDict(pairs).items()}
    elif kind == "dict":
        source = dict(pairs)
        expected = {name.lower(): value for name, value in dict(pairs).items()}
    else:
        source = Plain(dict(pairs))
        expected = {name.lower(): value for name, value in dict(pairs).items()}
    first, second = copy_headers(source), copy_headers(source)  # unknown, then known type
    assert type(first) is Headers and first == second == expected
    assert set(first) <= set(last)


def test_headers_pass_through_and_non_mappings_are_refused_every_time() -> None:
    kept = Headers({"date": "d"})
    assert copy_headers(kept) is kept and copy_headers(kept) is kept
    for _ in range(2):
        with pytest.raises(PydanticCustomError):
            copy_headers([("Date", "d")])
        with pytest.raises(PydanticCustomError):
            copy_headers("Date: d")
