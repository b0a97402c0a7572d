"""The hooks' view of one call: an observer told of every step (call, attempt, retry),
turning each into a :class:`~obs_workflow_async.hooks.RequestEvent` (a no-op observer
when there are no hooks)."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from dataclasses import replace

from yarl import URL

from ._call import RawResponse, RequestSpec, answer_request_id
from .errors import ObsWorkflowError
from .hooks import Hook, RequestEvent
from .transport import Answer

__all__ = ["NO_OBSERVER", "HookObserver", "Observer"]

CALL_IDS = itertools.count(1)
"""Call ids, unique across every client of the process (hooks shared by clients)."""


class Observer:
    """Reports the steps of one call to nobody (the no-hooks case)."""

    __slots__ = ()

    def call_started(self) -> None:
        pass

    def attempt_started(self, attempt: int) -> None:
        pass

    def attempt_finished(
        self, attempt: int, elapsed: float, answer: Answer | None, error: ObsWorkflowError | None
    ) -> None:
        pass

    def retry_scheduled(self, attempt: int, delay: float, error: ObsWorkflowError) -> None:
        pass

    def call_finished(self, raw: RawResponse | None, exc: BaseException | None) -> None:
        pass


NO_OBSERVER = Observer()


class HookObserver(Observer):
    """Turns the steps of one call into :class:`RequestEvent` s for the hooks."""

    __slots__ = ("_began", "_clock", "_event", "_hooks", "_log")

    def __init__(
        self,
        hooks: tuple[Hook, ...],
        spec: RequestSpec,
        url: URL,
        clock: Callable[[], float],
        log: logging.Logger,
    ) -> None:
        self._log = log  # the retry loop's: a failing hook is logged as the loop's
        self._hooks = hooks
        self._clock = clock
        self._began = clock()
        self._event = RequestEvent(
            "call_started",
            next(CALL_IDS),
            spec.method,
            str(url.with_query(None)),
            url.raw_path_qs,
            operation=spec.operation or spec.method,
            graph_name=spec.graph_name,
        )

    def _emit(self, event: RequestEvent) -> None:
        for hook in self._hooks:
            try:
                hook(event)
            except Exception:
                self._log.warning("hook %r failed on %s", hook, event.kind, exc_info=True)

    def call_started(self) -> None:
        self._emit(self._event)

    def attempt_started(self, attempt: int) -> None:
        self._emit(replace(self._event, kind="attempt_started", attempt=attempt))

    def attempt_finished(
        self, attempt: int, elapsed: float, answer: Answer | None, error: ObsWorkflowError | None
    ) -> None:
        status = answer.status if answer is not None else None
        request_id = answer_request_id(answer.headers) if answer is not None else None
        self._emit(
            replace(
                self._event,
                kind="attempt_finished",
                attempt=attempt,
                status=status,
                request_id=request_id,
                elapsed=elapsed,
                error=error,
            )
        )

    def retry_scheduled(self, attempt: int, delay: float, error: ObsWorkflowError) -> None:
        self._emit(
            replace(self._event, kind="retry_scheduled", attempt=attempt, delay=delay, error=error)
        )

    def call_finished(self, raw: RawResponse | None, exc: BaseException | None) -> None:
        elapsed = self._clock() - self._began
        if raw is not None:
            event = replace(
                self._event,
                kind="call_finished",
                outcome="ok",
                status=raw.status,
                request_id=raw.request_id,
                attempt=raw.retries_taken + 1,
                elapsed=elapsed,
            )
        elif isinstance(exc, asyncio.CancelledError):
            event = replace(self._event, kind="call_finished", outcome="cancelled", elapsed=elapsed)
        else:
            error = exc if isinstance(exc, ObsWorkflowError) else None
            event = replace(
                self._event, kind="call_finished", outcome="error", error=error, elapsed=elapsed
            )
        self._emit(event)
