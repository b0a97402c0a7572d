"""Batch starts: ``start_many`` (a lazily-consuming async iterator) and ``start_all``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._batch.models import StartOutcome
from .._batch.runner import BatchRun, ProgressCallback, StartItems
from .client import CoreClient
from .options import RequestOptions
from .protocols import Starter

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["BatchMethods"]


class BatchMethods:
    """Many starts with bounded memory, concurrency, rate and adaptive throttling: the
    batch engine (:class:`~obs_workflow_async._batch.runner.BatchRun`) over the
    client's ``_starter`` (its API's)."""

    _core: CoreClient
    _starter: Starter

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
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :returns: The run: iterate it for one :class:`StartOutcome` per item (a failed
            or invalid item is an outcome with its error, never raised).
        """
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
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
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
