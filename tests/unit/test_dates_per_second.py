"""Date text is formatted once per second, and never reused across seconds or zones."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from obs_workflow_async._dates import PerSecond


def test_the_text_is_reused_within_a_second_and_made_again_after() -> None:
    calls: list[datetime] = []

    def fmt(now: datetime) -> str:
        calls.append(now)
        return now.isoformat()

    date = PerSecond(fmt)
    base = datetime(2026, 12, 3, 21, 0, 5, 100, tzinfo=timezone.utc)
    assert date(base) == date(base + timedelta(microseconds=900_000)) == base.isoformat()
    assert len(calls) == 1
    later = base + timedelta(seconds=1)
    assert date(later) == later.isoformat()
    other_zone = later.astimezone(timezone(timedelta(hours=1)))
    assert date(other_zone) == other_zone.isoformat()
    assert len(calls) == 3


zones = st.sampled_from(
    [None, timezone.utc, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5, minutes=-30))]
)
moments = st.builds(
    lambda base, micro, zone, fold: base.replace(microsecond=micro, tzinfo=zone, fold=fold),
    st.sampled_from(
        [
            datetime(2026, 12, 3, 21, 0, 5),
            datetime(2026, 12, 3, 21, 0, 6),
            datetime(2026, 12, 3, 22, 0, 5),
            datetime(9999, 12, 31, 23, 59, 59),
            datetime(1, 1, 1),
        ]
    ),
    st.sampled_from([0, 1, 499_999, 999_999]),
    zones,
    st.sampled_from([0, 1]),
)


@settings(max_examples=300, deadline=None)
@given(calls=st.lists(moments, min_size=1, max_size=12))
def test_the_text_is_always_the_format_of_now(calls: list[datetime]) -> None:
    """Whatever the sequence of moments (zones, folds, naive, the last second a datetime
    holds), the text is the format of the moment passed, never of an earlier one."""

    def fmt(now: datetime) -> str:  # depends on everything but the microseconds
        return f"{now.replace(microsecond=0).isoformat()} fold={now.fold} {now.tzinfo!r}"

    date = PerSecond(fmt)
    for now in calls:
        assert date.text(now) == date(now) == fmt(now)
