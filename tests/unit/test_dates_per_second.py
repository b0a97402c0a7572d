"""Date text is formatted once per second, and never reused across seconds or zones."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

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
