"""The retry policy's pure decisions."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from obs_workflow_async._config import RetryConfig
from obs_workflow_async._retry import (
    Failure,
    backoff_delay,
    classify_status,
    parse_retry_after,
    should_retry,
)
from obs_workflow_async.errors import InvalidRequestError

SAFE = RetryConfig()
UNSAFE = RetryConfig(retry_non_idempotent=True)


@pytest.mark.parametrize(
    ("status", "failure"),
    [
        (429, Failure.REFUSED),
        (503, Failure.REFUSED),
        (500, Failure.AMBIGUOUS),
        (502, Failure.AMBIGUOUS),
        (504, Failure.AMBIGUOUS),
        (400, Failure.FINAL),
        (403, Failure.FINAL),
        (404, Failure.FINAL),
        (409, Failure.FINAL),
    ],
)
def test_classify_status(status: int, failure: Failure) -> None:
    assert classify_status(status) is failure


@pytest.mark.parametrize(
    ("failure", "idempotent", "config", "expected"),
    [
        (Failure.NOT_SENT, False, SAFE, True),
        (Failure.REFUSED, False, SAFE, True),
        (Failure.AMBIGUOUS, False, SAFE, False),
        (Failure.AMBIGUOUS, True, SAFE, True),
        (Failure.AMBIGUOUS, False, UNSAFE, True),
        (Failure.FINAL, True, UNSAFE, False),
    ],
)
def test_should_retry(
    failure: Failure, idempotent: bool, config: RetryConfig, expected: bool
) -> None:
    assert should_retry(failure, idempotent=idempotent, config=config) is expected


def test_backoff_grows_jitters_and_is_capped() -> None:
    rng = random.Random(7)
    config = RetryConfig(backoff_base=0.5, backoff_cap=8.0)
    for n, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (5, 8.0), (12, 8.0)]:
        delays = [backoff_delay(n, config, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling / 10  # jitter is real


def test_retry_after_seconds_date_and_garbage() -> None:
    now = datetime(2026, 11, 27, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after": "0.25"}) == 0.25
    assert parse_retry_after({"retry-after": "-4"}) == 0.0
    http_date = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after({"retry-after": http_date}, now) == 30.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({"retry-after": "nan"}) is None
    assert parse_retry_after({}) is None


def test_retry_config_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        RetryConfig(max_retries=-1)
    with pytest.raises(InvalidRequestError):
        RetryConfig(max_retries=None)  # type: ignore[arg-type]
