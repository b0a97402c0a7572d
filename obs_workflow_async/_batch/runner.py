"""The batch scheduler: take items lazily, keep a bounded number in flight, yield outcomes."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
)
from types import TracebackType

from .._pipeline import CallOptions
from ..errors import (
    APIStatusError,
    ErrorDetail,
    InvalidRequestError,
    ObsWorkflowError,
    StartCancelledError,
    TransportError,
    UnexpectedError,
)
from ..models import validate_request
from ..models._executions import StartWorkflowResult
from .models import BatchStats, StartOutcome, StartRequest
from .reader import WAITING, AsyncReader, Waiting
from .throttle import AdaptiveLimits, TokenBucket

__all__ = ["BatchRun", "StartItem", "StartItems"]

StartItem = StartRequest | Mapping[str, object]
"""A :class:`StartRequest`, or a mapping with its fields (validated lazily)."""
StartItems = Iterable[StartItem] | AsyncIterable[StartItem]
Starter = Callable[[StartRequest, CallOptions], Awaitable[StartWorkflowResult]]
ProgressCallback = Callable[[BatchStats], None]

THROTTLING_STATUSES = frozenset({429, 503})

logger = logging.getLogger(__name__)


def _coerce(item: object) -> StartRequest:
    """The item as a validated :class:`StartRequest`; any failure is an invalid item."""
    if isinstance(item, StartRequest):
        return item
    if isinstance(item, Mapping):
        try:
            return validate_request(StartRequest, **dict(item))
        except InvalidRequestError:
            raise
        except Exception as exc:  # a hostile mapping, a key that is not a string, ...
            raise InvalidRequestError(
                [ErrorDetail("item", f"cannot be read as a start request ({type(exc).__name__})")]
            ) from None
    raise InvalidRequestError(
        [ErrorDetail("item", "must be a StartRequest or a mapping with its fields")]
    )


class _Iteration:
    """The iterator handed to ``async for``: when the loop drops it unfinished (a
    ``break``, an exception, a cancellation), the run is closed at once."""

    __slots__ = ("__weakref__", "_generator")

    def __init__(self, generator: AsyncGenerator[StartOutcome, None]) -> None:
        self._generator = generator

    def __aiter__(self) -> _Iteration:
        return self

    def __anext__(self) -> Awaitable[StartOutcome]:
        return self._generator.__anext__()


class _Finished:
    """Outcomes waiting to be yielded: a deque and one wake-up future (cheaper than a Queue).

    The future is also resolved by :meth:`poke`: the next item arrived from an async
    source, or :meth:`BatchRun.stop` was called."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.items: deque[StartOutcome] = deque()
        self._loop = loop
        self._waiter: asyncio.Future[None] | None = None

    def put(self, outcome: StartOutcome) -> None:
        self.items.append(outcome)
        self.poke()

    def poke(self) -> None:
        """Wake :meth:`wait`."""
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self) -> None:
        """Until an outcome is there or something else needs a look (:meth:`poke`)."""
        if self.items:
            return
        self._waiter = self._loop.create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None


class _Schedule:
    """The state of one run of the scheduler (:meth:`BatchRun._run`)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, items: StartItems, limits: AdaptiveLimits):
        self.loop = loop
        self.limits = limits
        self.in_flight: dict[int, tuple[asyncio.Task[None], StartRequest]] = {}
        self.finished = _Finished(loop)
        self.reader: AsyncReader | None = None
        """An async input, read ahead in a task of its own (only as far as slots are free)."""
        self.items: Iterator[tuple[int, object]] | None = None
        """A plain iterable input, read inline (it cannot wait on the loop)."""
        if isinstance(items, AsyncIterable):
            self.reader = AsyncReader(loop, items, self.finished.poke)
        else:
            self.items = enumerate(items)
        self.ready: dict[int, StartOutcome] = {}
        """Outcomes of an ordered run waiting for the ones before them."""
        self.next_index = 0
        self.exhausted = False
        self.stopping = False

    def next_item(self) -> tuple[int, object] | Waiting | None:
        """The next ``(index, item)``; ``None`` at the end of the input; :data:`WAITING`
        while an async input has not given it yet (the run is woken when it does)."""
        if self.items is not None:
            return next(self.items, None)
        assert self.reader is not None
        free = self.limits.concurrency_limit - len(self.in_flight) - len(self.ready)
        return self.reader.next_item(free)


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
            raise InvalidRequestError(
                [ErrorDetail("requests", "must be an iterable of start requests, not one value")]
            )
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
        self.stats: BatchStats = BatchStats(concurrency=concurrency, rate_limit=rate_limit)
        self._iterator: AsyncGenerator[StartOutcome, None] | None = None
        self._closing: asyncio.Task[None] | None = None
        self._ended = False
        self._stop_requested = False
        self._schedule: _Schedule | None = None
        self.unreported: list[StartOutcome] = []
        """Outcomes the iteration never yielded because the run was left early: items
        cancelled in flight (:class:`~obs_workflow_async.errors.StartCancelledError`;
        they may have started), items that had finished but were not yet yielded, and an
        item taken from an async input but not sent (``StartCancelledError`` with
        ``request_sent=False``). Settle the ambiguous ones before sending any of them
        again."""

    # -- iteration and cleanup ---------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[StartOutcome]:
        if self._iterator is None:
            self._iterator = self._run()
        iteration = _Iteration(self._iterator)
        weakref.finalize(iteration, self._dropped).atexit = False
        return iteration

    def _dropped(self) -> None:
        """The ``async for`` let go of its iterator: close the run if it is unfinished."""
        generator = self._iterator
        if generator is None or self._ended or self._closing is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover - dropped outside the loop
            return
        self._closing = loop.create_task(generator.aclose())

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
        """Take no new items; what is in flight finishes and is still yielded.

        It takes effect at once, even while an async input is waiting for its next item:
        that wait is cancelled when what is in flight has been yielded, and the run ends.
        """
        self._stop_requested = True
        schedule = self._schedule
        if schedule is not None:
            schedule.finished.poke()

    async def aclose(self) -> None:
        """Stop: cancel whatever is in flight and wait for it to unwind.

        Items cancelled in flight, and outcomes finished but never yielded, are then
        in :attr:`unreported` (and counted in :attr:`stats`).
        """
        if self._closing is not None:
            await asyncio.shield(self._closing)
        elif self._iterator is not None:
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
            stats.cancelled += isinstance(outcome.error, StartCancelledError)
        if self._on_progress is not None:
            try:
                self._on_progress(stats)
            except Exception:
                # One rule for user callbacks (hooks too): logged, never breaks the run.
                logger.warning("on_progress callback failed", exc_info=True)

    async def _one(self, index: int, request: StartRequest, finished: _Finished) -> None:
        """Start one item; whatever happens, exactly one outcome reaches ``finished``."""
        try:
            result = await self._start(request, self._options)
        except ObsWorkflowError as error:
            retries = getattr(error, "retries_taken", 0)
            outcome = StartOutcome(index, request, error=error, attempts=retries + 1)
        except asyncio.CancelledError:
            cancelled = StartCancelledError(
                f"item {index} was cancelled in flight; it may have started", request_sent=True
            )
            finished.put(StartOutcome(index, request, error=cancelled, attempts=1))
            raise
        except BaseException as exc:
            unexpected = UnexpectedError(
                f"unexpected {type(exc).__name__} while starting item {index}; it may have started"
            )
            unexpected.__cause__ = exc
            finished.put(StartOutcome(index, request, error=unexpected, attempts=1))
            if not isinstance(exc, Exception):
                raise
            return
        else:
            outcome = StartOutcome(index, request, result=result, attempts=result.retries_taken + 1)
        finished.put(outcome)

    def _account_unreported(
        self,
        in_flight: dict[int, tuple[asyncio.Task[None], StartRequest]],
        finished: _Finished,
        ready: dict[int, StartOutcome],
    ) -> None:
        """After the in-flight tasks unwound: every item not yet yielded is accounted for."""
        reported = {outcome.index for outcome in finished.items}
        for index, (_, request) in in_flight.items():
            if index not in reported:  # cancelled before its coroutine ever ran
                error = StartCancelledError(
                    f"item {index} was cancelled before it was sent", request_sent=False
                )
                finished.items.append(StartOutcome(index, request, error=error, attempts=0))
        while finished.items:
            outcome = finished.items.popleft()
            self._record(outcome)
            self.unreported.append(outcome)
        self.unreported.extend(ready[index] for index in sorted(ready))
        ready.clear()

    # -- the scheduler -----------------------------------------------------------------

    async def _run(self) -> AsyncGenerator[StartOutcome, None]:
        """Admit items while slots are free, then take finished outcomes from a queue.

        Each task reports its own outcome to ``finished`` (O(1) per item, unlike
        ``asyncio.wait`` over every task in flight). Outcomes are yielded one at a time
        as they are accounted for, so that leaving early leaves the rest to
        :meth:`_account_unreported`. An async input is read ahead (never further than the
        free slots) by an :class:`AsyncReader` task: while it waits, finished outcomes
        are still yielded and :meth:`stop` still ends the run.
        """
        loop = asyncio.get_running_loop()
        self.stats.started_at = loop.time()
        run = self._schedule = _Schedule(loop, self._items, self._set_limits(loop))
        try:
            while True:
                run.stopping = run.stopping or self._stop_requested
                while self._may_admit(run):
                    got = run.next_item()
                    if got is WAITING:
                        break  # an async input is waiting for its next item
                    outcome = await self._admit(run, got)
                    if outcome is not None:
                        yield outcome
                if self._ordered:
                    for outcome in self._release_ready(run):
                        yield outcome
                if not run.in_flight and (run.exhausted or run.stopping):
                    break
                if not run.finished.items:
                    await self._idle(run)
                    continue
                for outcome in self._drain(run, run.finished.items.popleft()):
                    yield outcome
        finally:
            await self._wind_down(run)

    async def _idle(self, run: _Schedule) -> None:
        """Wait for an outcome, the input's next item or :meth:`stop` (unless a stop came
        in since the loop last looked: no wake-up is lost)."""
        if self._stop_requested and not run.stopping:
            return
        await run.finished.wait()

    def _set_limits(self, loop: asyncio.AbstractEventLoop) -> AdaptiveLimits:
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
        return limits

    def _may_admit(self, run: _Schedule) -> bool:
        """Whether to take another item: there is one, no stop, and a free slot (items
        held for ordering count as taken)."""
        return (
            not run.exhausted
            and not run.stopping
            and len(run.in_flight) + len(run.ready) < run.limits.concurrency_limit
        )

    async def _admit(self, run: _Schedule, got: tuple[int, object] | None) -> StartOutcome | None:
        """Send the item taken from the input (after the rate limit); an invalid item
        becomes its outcome at once (returned to be yielded unless the run is ordered)."""
        if got is None:
            run.exhausted = True
            return None
        index, item = got
        self.stats.submitted += 1
        try:
            request = _coerce(item)
        except InvalidRequestError as error:
            outcome = StartOutcome(index, None, error=error, raw_item=item)
            self._record(outcome)
            run.stopping = run.stopping or self._stop_on_error
            if self._ordered:
                run.ready[index] = outcome
                return None
            return outcome
        if self._bucket is not None:
            await self._bucket.acquire()
        task = run.loop.create_task(self._one(index, request, run.finished))
        run.in_flight[index] = (task, request)
        self.stats.in_flight = len(run.in_flight)
        return None

    def _drain(self, run: _Schedule, outcome: StartOutcome) -> Iterator[StartOutcome]:
        """Account for ``outcome`` and every other one already finished, one at a time;
        yield each (an ordered run: those now next in input order)."""
        while True:
            del run.in_flight[outcome.index]
            self.stats.in_flight = len(run.in_flight)
            self._record(outcome)
            if not outcome.ok and self._stop_on_error:
                run.stopping = True
            if self._ordered:
                run.ready[outcome.index] = outcome
            else:
                yield outcome
            if not run.finished.items:
                break
            outcome = run.finished.items.popleft()
        if self._ordered:
            yield from self._release_ready(run)

    def _release_ready(self, run: _Schedule) -> Iterator[StartOutcome]:
        """An ordered run: the outcomes now next in input order."""
        while run.next_index in run.ready:
            yield run.ready.pop(run.next_index)
            run.next_index += 1

    async def _wind_down(self, run: _Schedule) -> None:
        """Cancel what is in flight and the reading of the input, account for every item
        not yielded, close the input."""
        tasks = [task for task, _ in run.in_flight.values()]
        for task in tasks:
            task.cancel()
        left = await run.reader.aclose() if run.reader is not None else []
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for index, item in left:
            self._taken_not_sent(run, index, item)
        self._account_unreported(run.in_flight, run.finished, run.ready)
        self.stats.in_flight = 0
        self._ended = True

    def _taken_not_sent(self, run: _Schedule, index: int, item: object) -> None:
        """An item read from the input but not sent as the run ended: reported
        (``unreported``), since the input will not give it again."""
        self.stats.submitted += 1
        try:
            request = _coerce(item)
        except InvalidRequestError as invalid:
            run.finished.items.append(StartOutcome(index, None, error=invalid, raw_item=item))
            return
        error = StartCancelledError(
            f"item {index} was taken from the input as the run ended; it was not sent",
            request_sent=False,
        )
        run.finished.items.append(StartOutcome(index, request, error=error, raw_item=item))
