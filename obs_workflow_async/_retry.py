"""The retry policy as pure decisions: what may be retried, and after how long.

The rule that matters: a workflow start is **not idempotent**, so by default a
failure is retried only when the service cannot have acted on the request:

================================  ==================  ==========================
failure                           idempotent methods  POST (start, create)
================================  ==================  ==========================
connection not made (DNS, refused,  retried            retried
connect timeout)
429, 503                          retried             retried
500, 502, 504                     retried             only ``retry_non_idempotent``
read timeout, connection dropped  retried             only ``retry_non_idempotent``
after the request was sent
other 4xx                         never               never
================================  ==================  ==========================
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from ._config import RetryConfig
from .transport import Failure

__all__ = ["Failure", "backoff_delay", "parse_retry_after", "should_retry"]

ALWAYS_RETRIED_STATUSES = frozenset({429, 503})
"""The service refused the request before processing it."""
AMBIGUOUS_RETRIED_STATUSES = frozenset({500, 502, 504})
"""The service may have processed the request."""


def classify_status(status: int) -> Failure:
    if status in ALWAYS_RETRIED_STATUSES:
        return Failure.REFUSED
    if status in AMBIGUOUS_RETRIED_STATUSES:
        return Failure.AMBIGUOUS
    return Failure.FINAL


def should_retry(failure: Failure, *, idempotent: bool, config: RetryConfig) -> bool:
    """Whether this kind of failure may be retried at all (attempt budget aside)."""
    if failure in (Failure.NOT_SENT, Failure.REFUSED):
        return True
    if failure is Failure.AMBIGUOUS:
        return idempotent or config.retry_non_idempotent
    return False


def backoff_delay(
    retry_number: int, config: RetryConfig, rng: random.Random | Callable[[], float]
) -> float:
    """Exponential backoff with jitter: ``min(base * 2**n, cap)`` scaled by 0.5-1.0.

    ``rng`` is a ``random.Random`` or a function returning a float in [0, 1).
    """
    ceiling = min(config.backoff_base * (2.0 ** max(retry_number - 1, 0)), config.backoff_cap)
    jitter: float = rng.random() if isinstance(rng, random.Random) else rng()
    return ceiling * (0.5 + jitter / 2)


def parse_retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date), or ``None``."""
    raw = headers.get("retry-after") or headers.get("Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        current = now or datetime.now(timezone.utc)
        seconds = (when - current).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(seconds, 0.0)
