"""Rate and concurrency control: a token bucket and an AIMD controller.

Both are driven by the event loop's clock and hold no global state. The AIMD
controller follows the spirit of botocore's adaptive retry mode: on a throttling
answer (429/503) the limits are multiplied by ``decrease`` (at most once per
``cooldown``), and every success adds back a fraction so that a full window of
successes grows the concurrency by one and the rate by ``rate_step``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ..errors import ErrorDetail, InvalidRequestError

__all__ = ["AdaptiveLimits", "TokenBucket"]


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up; ``acquire`` takes one."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float]) -> None:
        if not rate > 0:
            raise InvalidRequestError([ErrorDetail("rate_limit", "must be positive")])
        if not burst >= 1:
            raise InvalidRequestError([ErrorDetail("burst", "must be at least 1")])
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._updated = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def set_rate(self, rate: float) -> None:
        self._refill()
        self.rate = rate

    def delay(self) -> float:
        """Seconds until a token is available (0 if one is)."""
        self._refill()
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate

    async def acquire(self) -> None:
        while True:
            wait = self.delay()
            if wait <= 0:
                self._tokens -= 1
                return
            await asyncio.sleep(wait)


class AdaptiveLimits:
    """Multiplicative decrease on throttling, additive increase on success."""

    def __init__(
        self,
        *,
        concurrency: int,
        rate: float | None,
        clock: Callable[[], float],
        decrease: float = 0.5,
        cooldown: float = 0.2,
        min_rate: float = 1.0,
        adaptive: bool = True,
    ) -> None:
        self.max_concurrency = concurrency
        self.max_rate = rate
        self.concurrency = float(concurrency)
        self.rate = rate
        self._clock = clock
        self._decrease = decrease
        self._cooldown = cooldown
        self._min_rate = min(min_rate, rate) if rate is not None else min_rate
        self._adaptive = adaptive
        self._last_decrease = float("-inf")

    @property
    def concurrency_limit(self) -> int:
        return max(1, int(self.concurrency))

    @property
    def below_maximum(self) -> bool:
        """Whether a success still has something to restore."""
        if not self._adaptive:
            return False
        if self.concurrency < self.max_concurrency:
            return True
        return self.rate is not None and self.max_rate is not None and self.rate < self.max_rate

    def on_throttle(self) -> bool:
        """A 429/503: back off (once per cooldown). Returns whether limits changed."""
        if not self._adaptive:
            return False
        now = self._clock()
        if now - self._last_decrease < self._cooldown:
            return False
        self._last_decrease = now
        self.concurrency = max(1.0, self.concurrency * self._decrease)
        if self.rate is not None:
            self.rate = max(self._min_rate, self.rate * self._decrease)
        return True

    def on_success(self) -> None:
        """Additive recovery: +1 concurrency per window of successes, up to the maximum."""
        if not self._adaptive:
            return
        if self.concurrency < self.max_concurrency:
            self.concurrency = min(
                float(self.max_concurrency), self.concurrency + 1.0 / self.concurrency
            )
        if self.rate is not None and self.max_rate is not None and self.rate < self.max_rate:
            step = max(1.0, self.max_rate * 0.05)
            self.rate = min(self.max_rate, self.rate + step / max(self.concurrency, 1.0))
