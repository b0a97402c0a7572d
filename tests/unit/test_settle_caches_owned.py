"""No module-level memo in settling's matching or in the batch models (nothing that
outlives a sweep or is shared between clients); what replaced them reads the same:
the ``Date`` read by position, the services' type spellings from a fixed table, a
run's own memory of the last ``Date``."""

from __future__ import annotations

import inspect
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from obs_workflow_async._batch import models, settle_match
from obs_workflow_async._batch.models import StartOutcome, _http_date
from obs_workflow_async._batch.settle_match import _KNOWN_KINDS, _kind_of_text
from obs_workflow_async.cli.results_log import AnswerDates


def test_no_module_level_memo() -> None:
    for module in (settle_match, models):
        for name, value in vars(module).items():
            if inspect.getmodule(value) is module or callable(value):
                assert not hasattr(value, "cache_info"), f"{module.__name__}.{name}"


def _reference(text: str) -> datetime | None:
    try:
        stamped = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return stamped if stamped.tzinfo is not None else stamped.replace(tzinfo=timezone.utc)


moments = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(timezone.utc)
)
dates = st.one_of(
    st.builds(lambda m: format_datetime(m.replace(microsecond=0), usegmt=True), moments),
    st.builds(
        lambda day, month, year, hms: f"Thu, {day:02d} {month} {year:04d} {hms} GMT",
        st.integers(0, 32),
        st.sampled_from(["Jan", "Feb", "Dec", "Foo", "jan"]),
        st.integers(0, 9999),
        st.sampled_from(["00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60"]),
    ),
    st.sampled_from(
        [
            "Thu, 03 Dec 2026 10:00:00 +0800",
            "Thu, 03 Dec 2026 10:00:00",
            "3 Dec 2026 10:00:00 GMT",
            "Thu, \u06603 Dec 2026 10:00:00 GMT",
            "",
            "garbage",
        ]
    ),
)


@settings(max_examples=600, deadline=None)
@given(text=dates)
def test_a_date_read_by_position_is_the_full_reading(text: str) -> None:
    got, want = _http_date(text), _reference(text)
    assert got == want
    if got is not None and want is not None:
        assert got.utcoffset() == want.utcoffset()


def test_the_type_table_folds_as_the_reading_does() -> None:
    for spelling, kind in _KNOWN_KINDS.items():
        word = "".join(c for c in spelling.casefold() if c.isalnum())
        folded = (
            "api"
            if word in settle_match._API_TYPES
            else "trigger"
            if word in settle_match._TRIGGER_TYPES
            else "unknown"
        )
        assert kind == folded == _kind_of_text(spelling)
    assert _kind_of_text("Api-Call") == "api"
    assert _kind_of_text("Triggered") == "trigger"
    assert _kind_of_text("cron") == "unknown"


def _outcome(date: object) -> StartOutcome:
    result: Any = SimpleNamespace(headers={"date": date} if date is not None else {})
    return StartOutcome(index=0, request=None, result=result)


def test_a_runs_answer_dates_read_as_answer_date() -> None:
    dates = AnswerDates()
    texts = [
        "Thu, 03 Dec 2026 10:00:00 GMT",
        "Thu, 03 Dec 2026 10:00:00 GMT",
        None,
        "",
        "garbage",
        "Thu, 03 Dec 2026 10:00:01 GMT",
        "Thu, 03 Dec 2026 10:00:00 GMT",
    ]
    for text in texts:
        outcome = _outcome(text)
        assert dates(outcome) == outcome.answer_date


def test_answer_date_text_is_the_sent_text_or_none() -> None:
    assert _outcome("Thu, 03 Dec 2026 10:00:00 GMT").answer_date_text == (
        "Thu, 03 Dec 2026 10:00:00 GMT"
    )
    assert _outcome("garbage").answer_date_text == "garbage"  # unreadable, but sent
    assert _outcome("").answer_date_text is None
    assert _outcome(None).answer_date_text is None
    assert _outcome(b"Thu, 03 Dec 2026 10:00:00 GMT").answer_date_text is None
    error: Any = SimpleNamespace(headers={"date": "Thu, 03 Dec 2026 10:00:02 GMT"})
    failed = StartOutcome(index=0, request=None, error=error)
    assert failed.answer_date_text == "Thu, 03 Dec 2026 10:00:02 GMT"
    assert StartOutcome(index=0, request=None, error=error).answer_date is not None
    assert StartOutcome(index=0, request=None, error=SimpleNamespace()).answer_date_text is None  # type: ignore[arg-type]
