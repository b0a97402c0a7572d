"""The fast path builds its :class:`RawResponse` with ``tuple.__new__`` (issue 20): the
same answer as the named tuple's constructor, every field in place (a field added to
``RawResponse`` must be added there too)."""

from __future__ import annotations

from multidict import CIMultiDict, CIMultiDictProxy

from obs_workflow_async import _fast_path
from obs_workflow_async._call import RawResponse


def test_the_fast_raw_response_is_the_constructors() -> None:
    headers = CIMultiDictProxy(CIMultiDict({"X-Request-ID": "r"}))
    fields = (200, "OK", headers, b"{}", "r", 0)
    assert _fast_path._new_raw is tuple.__new__
    built = tuple.__new__(RawResponse, fields)
    expected = RawResponse(200, "OK", headers, b"{}", "r")
    assert type(built) is RawResponse and built == expected
    assert built._asdict() == expected._asdict() and built.retries_taken == 0
    assert len(RawResponse._fields) == len(fields)
