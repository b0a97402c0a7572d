"""Waiting for an execution to end: the one poll loop both APIs share, and the
``wait_for_execution``/``start_and_wait`` methods over an API's :class:`~.protocols.Starter` and
:class:`~.protocols.ExecutionPoller`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from ..errors import (
    ErrorDetail,
    ExecutionFailedError,
    InvalidRequestError,
    RequestTimeoutError,
    ResponseParseError,
    WaitTimeoutError,
)
from .options import RequestOptions

if TYPE_CHECKING:
    from ..models import ExecutionDetail, StartWorkflowResult

__all__ = [
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


_D = TypeVar("_D", bound="ExecutionDetail")


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
