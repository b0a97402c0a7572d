"""The pure settle rules added for hostile services: object spellings, execution
types and graphs, ambiguous start times, and the verdicts they lead to."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from obs_workflow_async._batch.settle import (
    Candidate,
    ListingSweep,
    SettleItem,
    verdict_for,
)
from obs_workflow_async._batch.settle_match import (
    InputTarget,
    graph_relation,
    input_targets,
    key_forms,
    kind_of,
    loose_key,
    match_object,
    same_object,
    span_relation,
)
from obs_workflow_async.models import ExecutionPage, ExecutionSummary
from obs_workflow_async.models._base import timestamp_span

T0 = datetime(2026, 12, 3, 10, 0, 0, tzinfo=timezone.utc)
ITEM = SettleItem("g", "media", "vidéo dir/a b.mp4", T0, T0 + timedelta(seconds=10))
PAIR = (ITEM.bucket, ITEM.object_key)
WINDOW = (T0 - timedelta(seconds=5), T0 + timedelta(seconds=15))
NOW = T0 + timedelta(minutes=5)
KEY = ITEM.object_key


def _target(value: object) -> InputTarget:
    found = input_targets(value)
    assert found is not None
    return found


@pytest.mark.parametrize(
    "value",
    [
        {"bucket": "media", "object": quote(KEY)},
        {"bucket": {"name": "media"}, "object": {"key": quote(KEY)}},
        {"bucket": {"name": "media"}, "object": {"key": quote(KEY).replace("%20", "+")}},
        {"Records": [{"obs": {"bucket": {"name": "media"}, "object": {"key": quote(KEY)}}}]},
        {"bucket": "media", "object": unicodedata.normalize("NFD", KEY)},
        {"bucket": "media", "object": "/" + KEY},
        {"object": f"obs://media/{KEY}"},
        {"bucket": "media", "object": f"obs://media/{KEY}"},
    ],
)
def test_spellings_of_the_same_object_are_equivalent(value: object) -> None:
    assert match_object(PAIR, _target(value)) in ("same", "equivalent")


@pytest.mark.parametrize(
    "value",
    [
        {"bucket": "media", "object": KEY.upper()},
        {"bucket": "Media", "object": KEY},
        {"bucket": "media", "object": KEY + " "},
        {"bucket": "media", "object": KEY + "/"},
        {"bucket": "media", "object": "//" + KEY},
        {"bucket": "media", "object": quote(quote(KEY))},
        {"bucket": "media", "object": "other.mp4", "inputs": {"source": KEY}},
        {"bucket": "media", "object": "other.mp4", "inputs": {"src": f"obs://media/{KEY}"}},
        {"bucket": "media", "object": "other.mp4", "inputs": {"src": f"media/{KEY}"}},
        {"bucket": "media", "object": "x", "inputs": {"src": quote(KEY)}},
    ],
)
def test_similar_spellings_are_only_similar(value: object) -> None:
    assert match_object(PAIR, _target(value)) == "similar"


@pytest.mark.parametrize(
    "value",
    [
        {"bucket": "media", "object": "vidéo dir/a b.mp4.bak"},
        {"bucket": "archive", "object": KEY},
        {"bucket": "media", "object": "vidéo dir/a"},
        {"bucket": "media", "object": "100%"},
    ],
)
def test_other_objects_are_different(value: object) -> None:
    assert match_object(PAIR, _target(value)) == "different"


def test_an_equivalent_spelling_that_is_exactly_another_item_is_not_a_proof() -> None:
    literal = ("media", "a%20b")  # an object whose key really holds "%20"
    decoded = ("media", "a b")
    target = _target({"bucket": "media", "object": "a%20b"})
    assert match_object(literal, target, [literal, decoded]) == "same"
    assert match_object(decoded, target, [literal, decoded]) == "similar"
    assert match_object(decoded, target, [decoded]) == "equivalent"


def test_a_bucket_that_disagrees_with_the_url_names_nothing() -> None:
    assert input_targets({"bucket": "a", "object": "obs://b/k"}) is None


def test_escapes_that_are_not_utf8_are_not_decoded() -> None:
    # undecodable: never the same object (only "similar": unknown, the safe side)
    assert match_object(("b", "x%ff"), InputTarget("b", "x%fe")) == "similar"
    assert not same_object(("b", "x%ff"), ("b", "x%fe"))
    assert same_object(("b", "x%ff"), ("b", "x%ff"))
    assert match_object(("b", "x\ufffd"), InputTarget("b", "x%ff")) != "equivalent"


def test_a_key_that_reads_as_json_is_still_seen_elsewhere_in_the_input() -> None:
    target = _target({"bucket": "media", "object": "other", "inputs": {"src": "123"}})
    assert match_object(("media", "123"), target) == "similar"


_KEYS = st.text(alphabet=st.sampled_from("aZ/%+ 2Fé\u0301ffe0"), min_size=1, max_size=12)


@given(_KEYS, _KEYS)
def test_same_object_is_symmetric_on_escapes(a: str, b: str) -> None:
    assert same_object(("b", a), ("b", b)) == same_object(("b", b), ("b", a))


@given(_KEYS, _KEYS, st.booleans())
def test_the_quick_filter_never_hides_a_match(a: str, b: str, event: bool) -> None:
    # the sweep skips a candidate whose loose keys miss the item's: that must only
    # ever skip what match_object would call "different"
    if key_forms(b, event=event) & key_forms(a):  # equivalent, found without the filter
        assert loose_key(a) == loose_key(b)
        assert match_object(("b", a), InputTarget("b", b, event)) in ("same", "equivalent")


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_same_object_is_symmetric(a: str, b: str) -> None:
    assert same_object(("b", a), ("b", b)) == same_object(("b", b), ("b", a))
    assert same_object(("b", a), ("b", a))
    assert not same_object(("b", a), ("c", a))


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_a_different_key_never_matches_as_the_same(a: str, b: str) -> None:
    target = InputTarget("b", b)
    verdict = match_object(("b", a), target)
    if verdict in ("same", "equivalent"):
        assert same_object(("b", a), ("b", b))
    if verdict == "same":
        assert a == b


@pytest.mark.parametrize(
    ("spellings", "kind"),
    [
        (("APICALL",), "api"),
        (("apicall",), "api"),
        (("API",), "api"),
        (("ApiCall",), "api"),
        (("api_call",), "api"),
        (("TRIGGERCAL",), "trigger"),
        (("triggercal",), "trigger"),
        (("SCHEDULED",), "unknown"),
        ((None, "APICALL"), "api"),
        ((None, None), "unknown"),
        (("", "TRIGGERCAL"), "trigger"),
    ],
)
def test_execution_types_in_any_case(spellings: tuple[object, ...], kind: str) -> None:
    assert kind_of(*spellings) == kind


def test_a_typed_listing_makes_an_untyped_execution_an_api_one() -> None:
    assert kind_of(None, typed_listing=True) == "api"
    assert kind_of("TRIGGERCAL", typed_listing=True) == "trigger"


@pytest.mark.parametrize(
    ("names", "relation"),
    [
        ((), "this"),
        ((None, ""), "this"),
        (("urn:fgs:r:p:graph:g",), "this"),
        (("urn:fss:r:p:workflow:default:g:latest",), "this"),
        (("g",), "this"),
        (("urn:fgs:r:p:graph:other",), "other"),
        (("urn:fss:r:p:workflow:default:other:latest",), "other"),
        (("urn:fgs:r:p:graph:G",), "unclear"),
        (("urn:something:else",), "unclear"),
        (("urn:fgs:r:p:graph:g", "urn:fgs:r:p:graph:other"), "other"),
        (("5f0c2d1e-uuid",), "unclear"),  # an id, not a name: never "another graph"
    ],
)
def test_graph_relation(names: tuple[object, ...], relation: str) -> None:
    assert graph_relation("g", *names) == relation


def test_span_relation() -> None:
    assert span_relation((T0, T0), WINDOW) == "in"
    assert span_relation((T0 - timedelta(hours=1), T0), WINDOW) == "maybe"
    assert span_relation(None, WINDOW) == "maybe"
    assert span_relation((T0 + timedelta(hours=1),) * 2, WINDOW) == "out"


@pytest.mark.parametrize(
    ("value", "exact"),
    [
        ("2026-12-03T10:00:00Z", True),
        ("2026-12-03T18:00:00+08:00", True),
        ("Thu, 03 Dec 2026 10:00:00 GMT", True),
        (int(T0.timestamp()), True),  # epoch seconds: the only plausible reading
        (int(T0.timestamp() * 1000), True),
        (str(int(T0.timestamp())), True),
        ("2026-12-03T10:00:00", False),
        ("2026/12/03 10:00:00", False),
    ],
)
def test_timestamp_span(value: object, exact: bool) -> None:
    span = timestamp_span(value)
    assert span is not None
    assert span[0] <= T0 <= span[1] or not exact
    assert (span[0] == span[1]) is exact
    if exact:
        assert span[0] == T0


def test_a_zoneless_time_spans_every_zone() -> None:
    local = (T0 + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%S")  # a UTC+8 service
    summary = ExecutionSummary.model_validate({"execution_name": "e", "started_at": local})
    span = summary.started_at_span
    assert span is not None and span[0] <= T0 <= span[1]
    assert summary.started_at == T0 + timedelta(hours=8)  # the one reading, unchanged


def test_an_unreadable_or_implausible_time_has_no_span() -> None:
    for value in ("soon", 5, None, ""):
        assert timestamp_span(value) is None


def _verdict(*candidates: Candidate) -> str:
    sweep = ListingSweep("g", NOW, complete=True)
    sweep.candidates.extend(candidates)
    return verdict_for(ITEM, WINDOW, sweep, default_until=NOW, settle_delay=30).verdict


def test_verdicts_from_types_times_and_spellings() -> None:
    exact = (T0, T0)
    zoneless = (T0 - timedelta(hours=14), T0 + timedelta(hours=12))
    named = InputTarget("media", quote(KEY))
    assert _verdict(Candidate("e", T0, None, exact, "api", named)) == "started"
    assert _verdict(Candidate("e", T0, None, exact, "unknown", named)) == "unknown"
    assert _verdict(Candidate("e", T0, None, zoneless, "api", named)) == "unknown"
    assert _verdict(Candidate("e", None, PAIR)) == "unknown"  # no time: never "started"
    other = InputTarget("media", "other.mp4")
    assert _verdict(Candidate("e", T0, None, zoneless, "api", other)) == "not_started"
    far = (T0 - timedelta(days=2), T0 - timedelta(days=2))
    assert _verdict(Candidate("e", None, PAIR, far)) == "not_started"


def test_execution_page_reads_a_marker_without_a_flag_and_camel_case() -> None:
    assert ExecutionPage.model_validate({"next_marker": "A"}).is_truncated
    assert ExecutionPage.model_validate({"is_truncated": None, "next_marker": "A"}).is_truncated
    camel = ExecutionPage.model_validate({"isTruncated": True, "nextMarker": "A"})
    assert camel.is_truncated and camel.next_marker == "A"
    assert not ExecutionPage.model_validate({"executions": []}).is_truncated
    explicit = ExecutionPage.model_validate({"is_truncated": False, "next_marker": "A"})
    assert not explicit.is_truncated and explicit.next_marker == "A"
