"""The methods every client shares, over the engines composed into it at construction:
the lifecycle (``async with``, ``aclose()``, copies with ``with_options()``), batch
starts (:class:`~obs_workflow_async._batch.runner.BatchRun` over the API's
:class:`~.protocols.Starter`), waits (:func:`~.polling.poll_until_finished` over its
:class:`~.protocols.ExecutionPoller`) and settling (:class:`~.settle.SettleEngine` over
its :class:`~.protocols.Lister`). The class holds no state of its own: it reads the
attributes it declares, which each client sets."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .._batch.settle_defaults import DEFAULT_MARGIN, DEFAULT_SETTLE_DELAY
from .._config import Runtime
from .client import CoreClient
from .options import RequestOptions
from .polling import check_wait_intervals, execution_name_to_wait_for, poll_until_finished
from .protocols import ExecutionPoller, Lister, Starter

if TYPE_CHECKING:
    from pydantic import JsonValue
    from typing_extensions import Self, Unpack

    from .._batch.models import StartOutcome
    from .._batch.runner import BatchRun, ProgressCallback, StartItems
    from .._batch.settle import SettleItem
    from ..models import ExecutionDetail
    from .settle import ExecutionLookup, SettleEngine, SettleReport

__all__ = ["SharedMethods"]

_D = TypeVar("_D", bound="ExecutionDetail")


class SharedMethods(Generic[_D]):
    """The methods both clients share (``_D``: the API's execution detail)."""

    _core: CoreClient
    _arguments: Mapping[str, object]
    """The API's own constructor arguments, as a copy is built with them."""
    _starter: Starter
    _poller: ExecutionPoller[_D]
    _settle_engine: SettleEngine | None = None

    def _settle_lister(self) -> Lister:
        """The API's listing and detail calls for settling (built on first settle)."""
        raise NotImplementedError

    @property
    def _settle(self) -> SettleEngine:
        """The settle engine, built on first use: a client that never settles never
        imports it (issue 20: start-up cost)."""
        engine = self._settle_engine
        if engine is None:
            from .settle import SettleEngine

            engine = SettleEngine(self._settle_lister(), self._core.runtime)
            self._settle_engine = engine
        return engine

    # -- lifecycle ---------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self._core.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled session (unless it was passed in). Safe to call twice.

        A copy made with ``with_options()`` shares its parent's pool and does not
        close it.
        """
        await self._core.aclose()

    @property
    def closed(self) -> bool:
        return self._core.closed

    @property
    def server(self) -> str:
        return self._core.server

    def with_options(self, **options: Unpack[RequestOptions]) -> Self:
        """A copy of this client with other defaults, sharing its connection pool.

        ``client.with_options(timeout=5, max_retries=0)``: the class called again with
        this client's arguments and the merged options, sending through this client's
        transport with its credentials; closing the copy closes neither, closing the
        parent does.

        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An option is invalid.
        """
        arguments: dict[str, Any] = dict(self._arguments)
        build: Callable[..., Self] = type(self)
        return build(**arguments, _options=self._core.copy_options(options))

    # -- batch starts ------------------------------------------------------------------

    def start_many(
        self,
        requests: StartItems,
        *,
        concurrency: int = 64,
        rate_limit: float | None = None,
        burst: float | None = None,
        ordered: bool = False,
        stop_on_error: bool = False,
        adaptive: bool = True,
        on_progress: ProgressCallback | None = None,
        **options: Unpack[RequestOptions],
    ) -> BatchRun:
        """Start a workflow for every item of ``requests``; iterate the outcomes.

        ``requests`` is any iterable or async iterable of :class:`StartRequest` (or
        mappings with its fields), consumed lazily: at most ``concurrency`` items are
        held at once, whatever the input's size. Outcomes come as they finish, or
        in input order with ``ordered=True``. An invalid item becomes that item's
        outcome (an :class:`InvalidRequestError`) and the batch goes on.
        ``stop_on_error`` stops taking new items after the first failure (nothing
        already sent is cancelled). ``rate_limit`` caps starts per second (token
        bucket, ``burst`` tokens saved up at most, default a tenth of a second's
        worth). With ``adaptive`` (default), every 429/503 halves the effective
        concurrency and rate (at most once per 0.2 s) and successes add them back
        gradually; ``run.stats`` shows the current values. Retries follow the
        client's policy: an item is never started twice unless
        ``retry_non_idempotent=True``. ``on_progress(stats)`` is called after each
        outcome. Use ``async with client.start_many(...) as run: async for o in run``
        so that leaving early cancels what is in flight.

        :param requests: :class:`StartRequest` items (or mappings with its fields), an
            iterable or an async iterable, consumed lazily.
        :param concurrency: Starts in flight at most (and items held at once).
        :param rate_limit: Starts per second at most; ``None``: no limit.
        :param burst: Tokens the rate limiter saves up at most (default: a tenth of a
            second's worth).
        :param ordered: Yield outcomes in input order (else as they finish).
        :param stop_on_error: Take no new item after the first failure.
        :param adaptive: Halve concurrency and rate on 429/503, add them back on success.
        :param on_progress: Called with the :class:`BatchStats` after each outcome.
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :returns: The run: iterate it for one :class:`StartOutcome` per item (a failed
            or invalid item is an outcome with its error, never raised).
        """
        from .._batch.runner import BatchRun

        return BatchRun(
            self._starter.start_item,
            requests,
            options=self._core.call_options(options),
            concurrency=concurrency,
            rate_limit=rate_limit,
            burst=burst,
            ordered=ordered,
            stop_on_error=stop_on_error,
            adaptive=adaptive,
            on_progress=on_progress,
        )

    async def start_all(
        self,
        requests: StartItems,
        *,
        concurrency: int = 64,
        rate_limit: float | None = None,
        burst: float | None = None,
        stop_on_error: bool = False,
        adaptive: bool = True,
        on_progress: ProgressCallback | None = None,
        **options: Unpack[RequestOptions],
    ) -> list[StartOutcome]:
        """:meth:`start_many` collected into a list in input order (for small batches).

        :param requests: :class:`StartRequest` items (or mappings with its fields), an
            iterable or an async iterable, consumed lazily.
        :param concurrency: Starts in flight at most (and items held at once).
        :param rate_limit: Starts per second at most; ``None``: no limit.
        :param burst: Tokens the rate limiter saves up at most (default: a tenth of a
            second's worth).
        :param stop_on_error: Take no new item after the first failure.
        :param adaptive: Halve concurrency and rate on 429/503, add them back on success.
        :param on_progress: Called with the :class:`BatchStats` after each outcome.
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :returns: One :class:`StartOutcome` per item, in input order (errors included,
            not raised).
        """
        async with self.start_many(
            requests,
            concurrency=concurrency,
            rate_limit=rate_limit,
            burst=burst,
            ordered=True,
            stop_on_error=stop_on_error,
            adaptive=adaptive,
            on_progress=on_progress,
            **options,
        ) as run:
            return [outcome async for outcome in run]

    # -- waits --------------------------------------------------------------------------

    async def wait_for_execution(
        self,
        graph_name: str,
        execution_name: str,
        *,
        timeout: float | None = 600.0,
        poll_interval: float = 1.0,
        max_poll_interval: float = 15.0,
        raise_on_failure: bool = False,
        request_options: RequestOptions | None = None,
    ) -> _D:
        """Poll ``get_execution`` until the execution reaches a terminal state.

        Polls start every ``poll_interval`` seconds and back off by a factor of 1.5 up to
        ``max_poll_interval``. Returns the final :class:`ExecutionDetail` (v3: a
        ``DwrExecutionDetail``), a failure included, unless ``raise_on_failure`` (then
        :class:`ExecutionFailedError`).
        After ``timeout`` seconds (``None``: no limit) raises :class:`WaitTimeoutError`
        naming the execution. Cancelling the waiting task stops polling at once. The
        wait reads the client's :class:`~.Runtime` (``clock``, ``sleep``).
        ``request_options`` apply to each poll (by default each poll's
        deadline is the time left of the wait).

        :param graph_name: The workflow the execution belongs to.
        :param execution_name: The execution to wait for.
        :param timeout: Seconds to wait in all; ``None``: no limit.
        :param poll_interval: Seconds before the second poll (the first is at once).
        :param max_poll_interval: The longest pause between polls, in seconds.
        :param raise_on_failure: Raise :class:`ExecutionFailedError` when the execution
            ends other than in success (v2 ``SUCCESS``, v3 ``success``), instead of
            returning it.
        :param request_options: Per-poll overrides (``timeout``, ``max_retries``,
            ``deadline``, ...).
        :returns: The execution in its terminal state.
        :raises WaitTimeoutError: Still not finished after ``timeout`` (the execution
            goes on).
        :raises ExecutionFailedError: With ``raise_on_failure``, it did not succeed.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises DiscoveryError: v3: the project id could not be discovered through IAM.
        :raises APIStatusError: A poll was answered with an error (:class:`NotFoundError`:
            no such execution).
        :raises TransportError: A poll got no complete answer, after its retries.
        """
        options: RequestOptions = request_options or {}
        fetch = self._poller.poller(graph_name, execution_name)
        check_wait_intervals(timeout, poll_interval, max_poll_interval)
        runtime: Runtime = self._core.runtime
        return await poll_until_finished(
            fetch,
            graph_name=str(graph_name),
            execution_name=str(execution_name),
            timeout=timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            raise_on_failure=raise_on_failure,
            options=options,
            clock=runtime.clock,
            sleep=runtime.sleep,
        )

    async def start_and_wait(
        self,
        graph_name: str,
        bucket: str,
        object_key: str,
        inputs: Mapping[str, JsonValue] | None = None,
        *,
        timeout: float | None = 600.0,
        poll_interval: float = 1.0,
        max_poll_interval: float = 15.0,
        raise_on_failure: bool = False,
        request_options: RequestOptions | None = None,
    ) -> _D:
        """``start_workflow``, then :meth:`wait_for_execution` on the new execution.

        ``timeout`` bounds the wait; ``request_options`` apply to the start and each poll.

        :param graph_name: The workflow to start.
        :param bucket: The bucket of the object the execution works on.
        :param object_key: The object's key in ``bucket``.
        :param inputs: Workflow parameters by name (JSON values); ``None``: none.
        :param timeout: Seconds to wait for the end, after the start; ``None``: no limit.
        :param poll_interval: Seconds before the second poll.
        :param max_poll_interval: The longest pause between polls, in seconds.
        :param raise_on_failure: Raise :class:`ExecutionFailedError` unless it succeeds.
        :param request_options: Per-call overrides for the start and each poll.
        :returns: The execution in its terminal state.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises DiscoveryError: v3: the project id could not be discovered through IAM.
        :raises APIStatusError: The start or a poll was answered with an error.
        :raises TransportError: The start or a poll got no complete answer; for the
            start, :func:`~.may_have_started` tells whether it may have started.
        :raises WaitTimeoutError: Started, but not finished after ``timeout``.
        :raises ExecutionFailedError: With ``raise_on_failure``, it did not succeed.
        """
        options: RequestOptions = request_options or {}
        started = await self._starter.start(graph_name, bucket, object_key, inputs, options)
        return await self.wait_for_execution(
            graph_name,
            execution_name_to_wait_for(started),
            timeout=timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            raise_on_failure=raise_on_failure,
            request_options=options,
        )

    # -- settling ambiguous starts -------------------------------------------------------

    async def find_executions(
        self,
        graph_name: str,
        bucket: str,
        object_key: str,
        *,
        since: datetime,
        until: datetime | None = None,
        margin: float = DEFAULT_MARGIN,
        concurrency: int = 16,
        max_pages: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> ExecutionLookup:
        """The API executions of ``graph_name`` for ``bucket``/``object_key`` started
        between ``since`` and ``until`` (this machine's clock, aware datetimes;
        ``until=None``: now).

        Sweeps the graph's whole listing (v2: the ``APICALL`` listing in pages of 1000,
        by marker, not by time; v3: window by window, pages of 200), keeps the
        executions whose ``started_at``
        falls in the window (shifted by the offset the service's ``Date`` answers
        show, widened by ``margin`` seconds), fetches their details (at most
        ``concurrency`` at once) and matches ``execution_info.input`` on bucket and
        object. Executions whose input names no object are returned in
        ``undecided``: the lookup cannot rule them out.

        :param graph_name: The workflow the start was sent to.
        :param bucket: The bucket of the start.
        :param object_key: The object's key of the start.
        :param since: A moment before the start was sent (an aware ``datetime``,
            this machine's clock).
        :param until: A moment after its answer (or failure); ``None``: now.
        :param margin: Seconds added on both sides of the window (clock skew).
        :param concurrency: Detail requests at once, at most.
        :param max_pages: Listing pages at most; ``None``: ``DEFAULT_MAX_PAGES``
            (a cut sweep is not ``complete``).
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :returns: The matching executions, the ``undecided`` ones, and whether
            the sweep was complete.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: The service answered an error
            (:class:`NotFoundError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout), after
            the retries.
        """
        from .._batch.settle import SettleItem

        item = SettleItem(graph_name, bucket, object_key, since, until)
        return await self._settle.find(item, margin, concurrency, max_pages, options)

    async def settle(
        self,
        items: Iterable[SettleItem],
        *,
        settle_delay: float = DEFAULT_SETTLE_DELAY,
        margin: float = DEFAULT_MARGIN,
        concurrency: int = 16,
        max_pages: int | None = None,
        wait: bool = True,
        **options: Unpack[RequestOptions],
    ) -> SettleReport:
        """Settle many ambiguous starts: ``started``, ``not_started`` or ``unknown``
        each (see :class:`~obs_workflow_async._batch.settle.SettleResult`).

        One listing sweep per graph, shared by all its items; details fetched once per
        execution in any item's window, at most ``concurrency`` requests at once.
        ``not_started`` needs the sweep to begin ``settle_delay`` seconds after the
        item's ``until`` (listings may lag behind starts): with ``wait`` (default)
        the pass first sleeps until then (until ``settle_delay`` seconds past the
        latest ``until``, and never more than ``settle_delay`` seconds: an ``until``
        ahead of now is a clock stepped since the run, see ``SettleItem.offsets``;
        items without ``until`` count from now). ``max_pages`` bounds each sweep
        (default ``DEFAULT_MAX_PAGES``; items a cut sweep cannot clear stay
        ``unknown``).

        :param items: The ambiguous starts (:class:`~.SettleItem`: graph, bucket, key,
            inputs, and the time window the start was sent in).
        :param settle_delay: Seconds after an item's ``until`` before a listing may say
            ``not_started`` (listings lag behind starts).
        :param margin: Seconds added on both sides of each item's window (clock skew).
        :param concurrency: Requests at once, at most.
        :param max_pages: Listing pages per graph, at most; ``None``:
            ``DEFAULT_MAX_PAGES`` (10,000).
        :param wait: Sleep until ``settle_delay`` has passed (default; never more than
            ``settle_delay`` seconds); ``False``: settle now (recent items may stay
            ``unknown``).
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :returns: One :class:`~.SettleResult` per item, and what the pass cost.
        :raises InvalidRequestError: An item or an argument breaks a rule (nothing sent).
        :raises APIStatusError: A listing or a detail was answered with an error.
        :raises TransportError: A listing or a detail got no complete answer.
        """
        return await self._settle.settle(
            list(items), settle_delay, margin, concurrency, max_pages, wait, options
        )

    async def settle_outcomes(
        self,
        outcomes: Iterable[StartOutcome],
        *,
        since: datetime,
        until: datetime | None = None,
        settle_delay: float = DEFAULT_SETTLE_DELAY,
        margin: float = DEFAULT_MARGIN,
        concurrency: int = 16,
        max_pages: int | None = None,
        wait: bool = True,
        **options: Unpack[RequestOptions],
    ) -> SettleReport:
        """Settle the ambiguous outcomes of a :meth:`start_many` run.

        ``since``: a moment before the run sent anything (take
        ``datetime.now(timezone.utc)`` before starting it); ``until``: a moment after
        its last outcome (default: now). Outcomes that are not
        :attr:`~obs_workflow_async.StartOutcome.ambiguous` are left out; each result's
        ``item.key`` is its :class:`StartOutcome`.

        :param outcomes: The run's outcomes (:class:`StartOutcome`); only the
            ambiguous ones are settled.
        :param since: A moment before the run sent anything (an aware
            ``datetime``).
        :param until: A moment after its last outcome; ``None``: now.
        :param settle_delay: Seconds after ``until`` before a listing may say
            ``not_started``.
        :param margin: Seconds added on both sides of the window (clock skew).
        :param concurrency: Requests at once, at most.
        :param max_pages: Listing pages per graph, at most; ``None``:
            ``DEFAULT_MAX_PAGES`` (10,000).
        :param wait: Sleep until ``settle_delay`` has passed (default);
            ``False``: settle now.
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :returns: One :class:`~.SettleResult` per ambiguous outcome (its
            ``item.key`` is the outcome).
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: The service answered an error
            (:class:`NotFoundError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout), after
            the retries.
        """
        from .settle import outcome_items

        return await self._settle.settle(
            outcome_items(outcomes, since, until),
            settle_delay,
            margin,
            concurrency,
            max_pages,
            wait,
            options,
        )
