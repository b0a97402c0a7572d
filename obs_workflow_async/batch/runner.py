"""The batch scheduler: take items lazily, keep a bounded number in flight, yield outcomes."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
)
from types import TracebackType

from ..errors import (
    APIStatusError,
    ErrorDetail,
    InvalidRequestError,
    ObsWorkflowError,
    TransportError,
)
from ..models import validate_request
from ..models.executions import StartWorkflowResult
from ..transport import CallOptions
from .models import BatchStats, StartOutcome, StartRequest
from .throttle import AdaptiveLimits, TokenBucket

__all__ = ["BatchRun", "StartItem", "StartItems"]

StartItem = StartRequest | Mapping[str, object]
"""A :class:`StartRequest`, or a mapping with its fields (validated lazily)."""
StartItems = Iterable[StartItem] | AsyncIterable[StartItem]
Starter = Callable[[StartRequest, CallOptions], Awaitable[StartWorkflowResult]]
ProgressCallback = Callable[[BatchStats], None]

THROTTLING_STATUSES = frozenset({429, 503})


def _coerce(item: object) -> StartRequest:
    if isinstance(item, StartRequest):
        return item
    if isinstance(item, Mapping):
        try:
            return validate_request(StartRequest, **dict(item))
        except TypeError:
            pass
    raise InvalidRequestError(
        [ErrorDetail("item", "must be a StartRequest or a mapping with its fields")]
    )


async def _enumerate(items: StartItems) -> AsyncGenerator[tuple[int, object], None]:
    if isinstance(items, AsyncIterable):
        index = 0
        async for item in items:
            yield index, item
            index += 1
    else:
        for index, item in enumerate(items):
            yield index, item


class _Finished:
    """Outcomes waiting to be yielded: a deque and one wake-up future (cheaper than a Queue)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.items: deque[StartOutcome] = deque()
        self._loop = loop
        self._waiter: asyncio.Future[None] | None = None

    def put(self, outcome: StartOutcome) -> None:
        self.items.append(outcome)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> StartOutcome:
        while not self.items:
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self.items.popleft()


class BatchRun:
    """One ``start_many`` run: an async iterator of :class:`StartOutcome` with live ``stats``.

    Iterate it once (``async for outcome in run``), ideally inside ``async with run:``
    so that leaving early cancels what is still in flight at once. Items are taken
    from the input only when a slot is free, so memory is bounded by the
    concurrency, not by the number of items.
    """

    def __init__(
        self,
        start: Starter,
        items: StartItems,
        *,
        options: CallOptions,
        concurrency: int,
        rate_limit: float | None,
        burst: float | None,
        ordered: bool,
        stop_on_error: bool,
        adaptive: bool,
        on_progress: ProgressCallback | None,
    ) -> None:
        if isinstance(items, str | bytes | Mapping):
            raise TypeError("items must be an iterable of start requests, not a single value")
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise InvalidRequestError([ErrorDetail("concurrency", "must be a positive integer")])
        if rate_limit is not None and not rate_limit > 0:
            raise InvalidRequestError([ErrorDetail("rate_limit", "must be positive")])
        if burst is not None and not burst >= 1:
            raise InvalidRequestError([ErrorDetail("burst", "must be at least 1")])
        self._start = start
        self._items = items
        self._options = options._replace(on_failed_attempt=self._on_failed_attempt)
        self._ordered = ordered
        self._stop_on_error = stop_on_error
        self._on_progress = on_progress
        self._rate_limit = rate_limit
        self._burst = burst
        self._adaptive_flag = adaptive
        self._concurrency = concurrency
        self._limits: AdaptiveLimits | None = None
        self._bucket: TokenBucket | None = None
        self.stats = BatchStats(concurrency=concurrency, rate_limit=rate_limit)
        self._iterator: AsyncGenerator[StartOutcome, None] | None = None
        self._stop_requested = False

    # -- iteration and cleanup ---------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[StartOutcome]:
        if self._iterator is None:
            self._iterator = self._run()
        return self._iterator

    async def __aenter__(self) -> BatchRun:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def stop(self) -> None:
        """Take no new items; what is in flight finishes and is still yielded."""
        self._stop_requested = True

    async def aclose(self) -> None:
        """Stop: cancel whatever is in flight and wait for it to unwind."""
        if self._iterator is not None:
            await self._iterator.aclose()

    # -- feedback ---------------------------------------------------------------------

    def _on_failed_attempt(self, error: APIStatusError | TransportError) -> None:
        if isinstance(error, APIStatusError) and error.status in THROTTLING_STATUSES:
            self.stats.throttled += 1
            limits = self._limits
            if limits is not None and limits.on_throttle():
                self._publish_limits()

    def _publish_limits(self) -> None:
        limits = self._limits
        assert limits is not None
        self.stats.concurrency = limits.concurrency_limit
        self.stats.rate_limit = limits.rate
        if self._bucket is not None and limits.rate is not None:
            self._bucket.set_rate(limits.rate)

    def _record(self, outcome: StartOutcome) -> None:
        stats = self.stats
        if outcome.attempts > 1:
            stats.retried += outcome.attempts - 1
        if outcome.result is not None:
            stats.succeeded += 1
            limits = self._limits
            if limits is not None and limits.below_maximum:
                limits.on_success()
                self._publish_limits()
        else:
            stats.failed += 1
            stats.ambiguous += outcome.ambiguous
            stats.invalid += outcome.invalid
        if self._on_progress is not None:
            self._on_progress(stats)

    async def _one(self, index: int, request: StartRequest, finished: _Finished) -> None:
        try:
            result = await self._start(request, self._options)
        except ObsWorkflowError as error:
            retries = getattr(error, "retries_taken", 0)
            outcome = StartOutcome(index, request, error=error, attempts=retries + 1)
        else:
            outcome = StartOutcome(index, request, result=result, attempts=result.retries_taken + 1)
        finished.put(outcome)

    # -- the scheduler -----------------------------------------------------------------

    async def _run(self) -> AsyncGenerator[StartOutcome, None]:
        """Admit items while slots are free, then take finished outcomes from a queue.

        Each task reports its own outcome to ``finished`` (O(1) per item, unlike
        ``asyncio.wait`` over every task in flight).
        """
        loop = asyncio.get_running_loop()
        self.stats.started_at = loop.time()
        limits = AdaptiveLimits(
            concurrency=self._concurrency,
            rate=self._rate_limit,
            clock=loop.time,
            adaptive=self._adaptive_flag,
        )
        self._limits = limits
        if self._rate_limit is not None:
            burst = self._burst if self._burst is not None else max(1.0, self._rate_limit / 10)
            self._bucket = TokenBucket(self._rate_limit, burst, loop.time)
        stats = self.stats
        source = _enumerate(self._items)
        in_flight: dict[int, asyncio.Task[None]] = {}
        finished = _Finished(loop)
        ready: dict[int, StartOutcome] = {}
        next_index = 0
        exhausted = stopping = False
        try:
            while True:
                stopping = stopping or self._stop_requested
                while (
                    not exhausted
                    and not stopping
                    and len(in_flight) + len(ready) < limits.concurrency_limit
                ):
                    try:
                        index, item = await anext(source)
                    except StopAsyncIteration:
                        exhausted = True
                        break
                    stats.submitted += 1
                    try:
                        request = _coerce(item)
                    except InvalidRequestError as error:
                        outcome = StartOutcome(index, None, error=error, raw_item=item)
                        self._record(outcome)
                        stopping = stopping or self._stop_on_error
                        if self._ordered:
                            ready[index] = outcome
                        else:
                            yield outcome
                        continue
                    if self._bucket is not None:
                        await self._bucket.acquire()
                    in_flight[index] = loop.create_task(self._one(index, request, finished))
                    stats.in_flight = len(in_flight)
                if self._ordered:
                    while next_index in ready:
                        yield ready.pop(next_index)
                        next_index += 1
                if not in_flight:
                    if exhausted or stopping:
                        break
                    continue
                outcome = await finished.get()
                while True:
                    del in_flight[outcome.index]
                    stats.in_flight = len(in_flight)
                    self._record(outcome)
                    if not outcome.ok and self._stop_on_error:
                        stopping = True
                    if self._ordered:
                        ready[outcome.index] = outcome
                    else:
                        yield outcome
                    if not finished.items:
                        break
                    outcome = finished.items.popleft()
                if self._ordered:
                    while next_index in ready:
                        yield ready.pop(next_index)
                        next_index += 1
        finally:
            tasks = list(in_flight.values())
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            stats.in_flight = 0
            await source.aclose()
