"""The slot gate: bounded, FIFO, and cancellation-safe."""

from __future__ import annotations

import asyncio

import pytest

from obs_workflow_async._slots import SlotGate


async def test_fast_path_and_limit() -> None:
    gate = SlotGate(2)
    assert gate.try_acquire() and gate.try_acquire()
    assert not gate.try_acquire()
    gate.release()
    assert gate.free == 1


async def test_waiters_are_served_in_order() -> None:
    gate = SlotGate(1)
    assert gate.try_acquire()
    order: list[int] = []

    async def worker(i: int) -> None:
        await gate.acquire()
        order.append(i)
        await asyncio.sleep(0)
        gate.release()

    tasks = [asyncio.create_task(worker(i)) for i in range(5)]
    await asyncio.sleep(0)
    gate.release()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4]
    assert gate.free == 1


async def test_a_cancelled_waiter_does_not_lose_a_slot() -> None:
    gate = SlotGate(1)
    assert gate.try_acquire()
    waiting = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    gate.release()
    assert gate.free == 1


async def test_granted_then_cancelled_hands_the_slot_on() -> None:
    gate = SlotGate(1)
    assert gate.try_acquire()
    first = asyncio.create_task(gate.acquire())
    second = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)
    gate.release()  # grants to `first` ...
    first.cancel()  # ... which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 1)  # the slot went on to `second`
    gate.release()
    assert gate.free == 1


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        SlotGate(0)


async def test_cancelled_then_released_before_it_runs_raises_only_cancelled() -> None:
    """The race behind ``ValueError('<Future cancelled> is not in deque')``: the waiter is
    cancelled, then a release pops it off the queue before its task resumes."""
    gate = SlotGate(1)
    assert gate.try_acquire()
    waiting = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)
    waiting.cancel()  # the waiter future is cancelled now ...
    gate.release()  # ... and popped (skipped) here, before the task runs its handler
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert gate.free == 1 and gate.waiting == 0


async def test_timed_wait_expires_without_holding_a_slot() -> None:
    gate = SlotGate(1)
    assert gate.try_acquire()
    assert await gate.acquire(timeout=0.001) is False
    assert await gate.acquire(timeout=0) is False
    assert gate.waiting == 0
    gate.release()
    assert gate.free == 1
    assert await gate.acquire(timeout=0.001) is True


async def test_timed_wait_granted_in_time() -> None:
    gate = SlotGate(1)
    assert gate.try_acquire()
    waiting = asyncio.create_task(gate.acquire(timeout=5))
    await asyncio.sleep(0)
    gate.release()
    assert await waiting is True
    gate.release()
    assert gate.free == 1


async def test_random_interleavings_never_lose_or_leak_a_slot() -> None:
    """Many waiters, each cancelled, timed out or granted at random points: afterwards
    every slot is free, nobody is queued, and only CancelledError ever escaped."""
    import random

    rng = random.Random(7)
    gate = SlotGate(3)
    escaped: list[BaseException] = []

    async def user(i: int) -> None:
        try:
            if await gate.acquire(timeout=rng.choice([None, 0.0005, 0.002])):
                try:  # a user cancelled while holding the slot still gives it back
                    await asyncio.sleep(rng.choice([0, 0, 0.0005]))
                finally:
                    gate.release()
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # pragma: no cover - the failure being tested for
            escaped.append(exc)

    tasks = [asyncio.create_task(user(i)) for i in range(600)]
    for _ in range(60):
        await asyncio.sleep(rng.choice([0, 0.0005]))
        for task in rng.sample(tasks, 10):
            task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert escaped == []
    assert gate.free == 3 and gate.waiting == 0
