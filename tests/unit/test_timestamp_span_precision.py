"""A start time written coarser than a second (a date, an hour, a minute) or with a
zone abbreviation that names several zones (``CST``: China, US Central, Cuba) denotes
a span, not the moment its digits read as: a settle window checked against that one
moment judged an execution that started inside it ``not_started`` (found by a hostile
lister writing ``2026-12-04T13:24Z`` for a start at 13:24:23)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from obs_workflow_async.models import ExecutionSummary
from obs_workflow_async.models._base import timestamp_span

UTC = timezone.utc
START = datetime(2026, 12, 4, 13, 24, 23, tzinfo=UTC)
"""When the execution started (each text below may have been written for it)."""


def _covers(text: str, *moments: datetime) -> bool:
    """Whether the span of ``text`` holds every one of ``moments`` (an unreadable time,
    ``None``, is a candidate everywhere: ``datetime.fromisoformat`` reads fewer forms
    before Python 3.11)."""
    span = timestamp_span(text)
    return span is None or all(span[0] <= m <= span[1] for m in moments)


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-04T13:24Z",  # no seconds
        "2026-12-04 13:24Z",
        "2026-12-04T13:24+00:00",
        "2026-12-04T21:24+08:00",
        "2026-12-04T07:54-05:30",
        "2026-12-04Z",  # a date
        "2026-12-04",  # a date, no zone
        "2026/12/04 13:24",
        "2026-12-04 13+00:00",  # an hour (datetime.fromisoformat reads it)
        "2026-12-04 1324+0000",
        "Fri, 04 Dec 2026 13:24 GMT",  # RFC 1123 without seconds
        "Fri, 04 Dec 2026 21:24:23 CST",  # China Standard Time (+08:00) or US Central?
        "Fri Dec 04 21:24:23 CST 2026",  # Java's Date.toString() in China
        "Fri, 04 Dec 2026 16:24:23 AST",  # Arabia (+03:00) or Atlantic (-04:00)?
        "Fri, 04 Dec 2026 21:24:23 +08",  # email.utils: +00:08
    ],
)
def test_a_coarse_or_ambiguous_time_covers_the_start(text: str) -> None:
    assert _covers(text, START), (text, timestamp_span(text))
    summary = ExecutionSummary.model_validate({"execution_name": "e", "started_at": text})
    span = summary.started_at_span
    assert span is None or span[0] <= START <= span[1]


def test_a_us_abbreviation_keeps_its_us_reading_in_the_span() -> None:
    us = datetime(2026, 12, 5, 3, 24, 23, tzinfo=UTC)  # 21:24:23 -06:00
    assert timestamp_span("Fri, 04 Dec 2026 21:24:23 CST") is not None
    assert _covers("Fri, 04 Dec 2026 21:24:23 CST", START, us)


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-04T13:24:23Z",
        "2026-12-04T13:24:23.000Z",
        "2026-12-04T21:24:23+08:00",
        "2026-12-04 13:24:23+0000",
        "Fri, 04 Dec 2026 13:24:23 GMT",
        "Fri, 04 Dec 2026 13:24:23 UTC",
        "Fri, 04 Dec 2026 08:24:23 -0500",
    ],
)
def test_a_time_to_the_second_with_a_zone_stays_exact(text: str) -> None:
    assert timestamp_span(text) == (START, START)


def test_a_minute_spans_that_minute_only() -> None:
    span = timestamp_span("2026-12-04T13:24Z")
    assert span is not None
    assert span[0] == START.replace(second=0)
    assert START.replace(second=59) <= span[1] < START.replace(second=0) + timedelta(minutes=1)


def test_a_date_header_with_an_unclear_zone_gives_no_offset() -> None:
    from obs_workflow_async._batch.settle import clock_offset

    at = datetime(2026, 12, 4, 13, 24, 23, tzinfo=UTC)
    for date in ("Fri, 04 Dec 2026 21:24:23 CST", "Fri, 04 Dec 2026 21:24:23 +08"):
        assert clock_offset(date, at, at) is None
    assert clock_offset("Fri, 04 Dec 2026 21:24:23 +0800", at, at) == timedelta(0)
    assert clock_offset("Fri, 04 Dec 2026 13:24:23 GMT", at, at) == timedelta(0)
    assert clock_offset("Friday, 04-Dec-26 13:24:23 GMT", at, at) == timedelta(0)
