"""Waiting for an execution to end: the one poll loop both APIs share, and the
``wait_for_execution``/``start_and_wait`` methods over an API's :class:`Starter` and
:class:`ExecutionPoller`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Generic, TypeVar

from pydantic import JsonValue

from .._config import Runtime
from ..errors import (
    ErrorDetail,
    ExecutionFailedError,
    InvalidRequestError,
    RequestTimeoutError,
    ResponseParseError,
    WaitTimeoutError,
)
from ..models import ExecutionDetail, StartWorkflowResult
from .client import CoreClient
from .options import RequestOptions
from .protocols import ExecutionPoller, Starter

__all__ = [
    "WaitMethods",
    "check_wait_intervals",
    "execution_name_to_wait_for",
    "poll_options",
    "poll_until_finished",
]


def _wait_timeout(
    graph_name: object, execution_name: object, timeout: float | None, last_state: str | None
) -> WaitTimeoutError:
    return WaitTimeoutError(
        graph_name=str(graph_name),
        execution_name=str(execution_name),
        timeout=timeout or 0.0,
        last_state=last_state,
    )


def poll_options(
    options: RequestOptions, deadline: float | None, clock: Callable[[], float]
) -> RequestOptions:
    """One poll's options: by default its deadline is what is left of the wait."""
    if deadline is None or "deadline" in options:
        return options
    return {**options, "deadline": max(deadline - clock(), 0.001)}


_D = TypeVar("_D", bound=ExecutionDetail)


async def poll_until_finished(
    fetch: Callable[[RequestOptions], Awaitable[_D]],
    *,
    graph_name: str,
    execution_name: str,
    timeout: float | None,
    poll_interval: float,
    max_poll_interval: float,
    raise_on_failure: bool,
    options: RequestOptions,
    clock: Callable[[], float],
    sleep: Callable[[float], Awaitable[None]],
) -> _D:
    """The wait both APIs share: poll ``fetch`` with pauses growing 1.5x up to
    ``max_poll_interval`` until a terminal state; :class:`WaitTimeoutError` after
    ``timeout`` (naming the last state seen), :class:`ExecutionFailedError` for a
    failure when ``raise_on_failure``."""
    deadline = None if timeout is None else clock() + timeout
    interval = poll_interval
    last_state: str | None = None
    while True:
        try:
            detail = await fetch(poll_options(options, deadline, clock))
        except RequestTimeoutError as exc:
            if deadline is None or clock() < deadline:
                raise
            raise _wait_timeout(graph_name, execution_name, timeout, last_state) from exc
        last_state = detail.execution_state.value
        if detail.is_terminal:
            if raise_on_failure and not detail.succeeded:
                raise ExecutionFailedError(detail)
            return detail
        pause = interval
        if deadline is not None:
            remaining = deadline - clock()
            if remaining <= 0:
                raise _wait_timeout(graph_name, execution_name, timeout, last_state)
            pause = min(pause, remaining)
        await sleep(pause)
        interval = min(interval * 1.5, max_poll_interval)


def execution_name_to_wait_for(started: StartWorkflowResult) -> str:
    """The name to wait on after a start; an answer named only by its URN started the
    execution but leaves nothing to poll (a ``ResponseParseError`` saying so)."""
    if started.execution_name is None:
        raise ResponseParseError(
            "the start answer has no execution_name to wait for (the execution started: "
            f"{started.execution_urn})",
            status=200,
            request_id=started.request_id,
            body="",
            headers=started.headers,
        )
    return started.execution_name


def _positive(name: str, value: float | None, *, optional: bool) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise InvalidRequestError([ErrorDetail(name, "must be a positive number of seconds")])


def check_wait_intervals(
    timeout: float | None, poll_interval: float, max_poll_interval: float
) -> None:
    """``wait_for_execution``'s seconds (both APIs): each a positive number, ``timeout``
    may be ``None`` (:class:`InvalidRequestError`, nothing sent)."""
    _positive("timeout", timeout, optional=True)
    _positive("poll_interval", poll_interval, optional=False)
    _positive("max_poll_interval", max_poll_interval, optional=False)


class WaitMethods(Generic[_D]):
    """``wait_for_execution`` and ``start_and_wait``, over the client's ``_starter`` and
    ``_poller`` (its API's) and the runtime of its ``_core``."""

    _core: CoreClient
    _starter: Starter
    _poller: ExecutionPoller[_D]

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
        """Poll :meth:`get_execution` until the execution reaches a terminal state.

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
        """:meth:`start_workflow`, then :meth:`wait_for_execution` on the new execution.

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
