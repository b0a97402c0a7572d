"""The slot gate: bounded, FIFO, and cancellation-safe."""

from __future__ import annotations

import asyncio

import pytest

from obs_workflow_async.slots import SlotGate


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
