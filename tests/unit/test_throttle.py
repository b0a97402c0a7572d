"""Token bucket and AIMD limits, on a fake clock."""

from __future__ import annotations

import pytest

from obs_workflow_async._batch.throttle import AdaptiveLimits, TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_token_bucket_is_smooth_with_a_burst() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=10.0, burst=3, clock=clock)
    for _ in range(3):  # the burst: taken at once, without waiting
        assert bucket.delay() == 0.0
        await bucket.acquire()
    assert bucket.delay() == pytest.approx(0.1)
    clock.now += 0.05
    assert bucket.delay() == pytest.approx(0.05)
    clock.now += 10  # idle time never saves more than the burst
    for _ in range(3):
        assert bucket.delay() == 0.0
        await bucket.acquire()
    assert bucket.delay() == pytest.approx(0.1)  # a 4th token was not saved
    bucket.set_rate(2.0)
    assert bucket.rate == 2.0
    assert bucket.delay() == pytest.approx(0.5)
    with pytest.raises(ValueError):
        TokenBucket(rate=0, burst=1, clock=clock)
    with pytest.raises(ValueError):
        TokenBucket(rate=1, burst=0.5, clock=clock)


def test_aimd_halves_once_per_cooldown_and_recovers_additively() -> None:
    clock = Clock()
    limits = AdaptiveLimits(concurrency=32, rate=100.0, clock=clock, cooldown=0.2)
    assert limits.on_throttle() is True
    assert (limits.concurrency_limit, limits.rate) == (16, 50.0)
    assert limits.on_throttle() is False  # within the cooldown: one burst of 503s, one back-off
    clock.now += 0.3
    assert limits.on_throttle() is True
    assert (limits.concurrency_limit, limits.rate) == (8, 25.0)
    for _ in range(8):  # one window of successes adds about one slot
        limits.on_success()
    assert limits.concurrency == pytest.approx(9, abs=0.05)
    for _ in range(10_000):
        limits.on_success()
    assert (limits.concurrency_limit, limits.rate) == (32, 100.0)  # never above the maximum
    assert not limits.below_maximum


def test_aimd_floor_and_off_switch() -> None:
    clock = Clock()
    limits = AdaptiveLimits(concurrency=2, rate=None, clock=clock, cooldown=0.0)
    for _ in range(10):
        clock.now += 1
        limits.on_throttle()
    assert limits.concurrency_limit == 1 and limits.rate is None
    fixed = AdaptiveLimits(concurrency=8, rate=5.0, clock=clock, adaptive=False)
    assert fixed.on_throttle() is False and fixed.concurrency_limit == 8 and fixed.rate == 5.0
