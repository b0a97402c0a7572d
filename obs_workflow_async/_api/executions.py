"""Executions: start, list (one page or all, with a state filter), get, restore, wait."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar

from pydantic import JsonValue

from .._base_client import BaseClient, RequestOptions
from .._pipeline import RequestSpec
from .._plain_json import plain_start_body
from ..errors import (
    ErrorDetail,
    ExecutionFailedError,
    InvalidRequestError,
    RequestTimeoutError,
    ResponseParseError,
    WaitTimeoutError,
)
from ..models import (
    ExecutionDetail,
    ExecutionPage,
    ExecutionRef,
    ExecutionState,
    ExecutionSummary,
    ExecutionType,
    ListExecutionsRequest,
    RestoreExecutionResult,
    StartWorkflowRequest,
    StartWorkflowResult,
    validate_request,
)
from ..validation import check_bucket_name, check_graph_name, check_object_key
from .paging import follow_pages, page_size_or_max

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "ExecutionsAPI",
    "check_wait_intervals",
    "get_execution_spec",
    "list_executions_spec",
    "restore_execution_spec",
    "start_request_spec",
    "start_spec",
    "state_filter",
    "execution_name_to_wait_for",
    "execution_ref",
    "poll_options",
    "poll_until_finished",
]

EXECUTIONS = "v2/workflowexecutions"


@lru_cache(maxsize=256)
def _names_valid(graph_name: str, bucket: str) -> bool:
    """Both names pass their rules (pure checks; a batch repeats the same pair)."""
    return check_graph_name(graph_name) is None and check_bucket_name(bucket) is None


def start_spec(
    graph_name: object, bucket: object, object_key: object, inputs: object
) -> RequestSpec:
    """Validate the start arguments (nothing is sent if they break a rule) and build the
    request; only the spec outlives this call, not the validated model.

    Plain arguments (``str`` names, ``inputs`` ``None`` or a plain JSON ``dict``: the
    common start) are checked with the same rules without building the pydantic
    model; anything else, and anything that breaks a rule, goes through
    :class:`StartWorkflowRequest`, which names every broken rule (the same body bytes
    either way: ``tests/unit/test_start_fast_path.py``).
    """
    if (
        type(graph_name) is str
        and type(bucket) is str
        and type(object_key) is str
        and _names_valid(graph_name, bucket)
        and check_object_key(object_key) is None
    ):
        body = plain_start_body(bucket, object_key, inputs)
        if body is not None:
            return RequestSpec(
                "POST",
                f"v2/workflows/{graph_name}",
                (),
                body,
                operation="start_workflow",
                graph_name=graph_name,
            )
    request = validate_request(
        StartWorkflowRequest,
        graph_name=graph_name,
        bucket=bucket,
        object_key=object_key,
        inputs=inputs,
    )
    return start_request_spec(request)


def start_request_spec(request: StartWorkflowRequest) -> RequestSpec:
    """The start request for arguments already validated (a batch's ``StartRequest``)."""
    return RequestSpec(
        "POST",
        f"v2/workflows/{request.graph_name}",
        (),
        request.body(),
        operation="start_workflow",
        graph_name=request.graph_name,
    )


def list_executions_spec(request: ListExecutionsRequest) -> RequestSpec:
    return RequestSpec(
        "GET",
        EXECUTIONS,
        request.query(),
        operation="list_executions",
        graph_name=request.graph_name,
    )


def execution_ref(graph_name: object, execution_name: object) -> ExecutionRef:
    """Validate a (graph, execution) pair (``InvalidRequestError``, nothing sent)."""
    return validate_request(ExecutionRef, graph_name=graph_name, execution_name=execution_name)


def get_execution_spec(ref: ExecutionRef) -> RequestSpec:
    return RequestSpec(
        "GET",
        f"{EXECUTIONS}/{ref.execution_name}",
        (("x-workflow-graph-name", ref.graph_name),),
        operation="get_execution",
        graph_name=ref.graph_name,
    )


def restore_execution_spec(ref: ExecutionRef) -> RequestSpec:
    return RequestSpec(
        "PUT",
        f"{EXECUTIONS}/{ref.execution_name}",
        (("x-workflow-graph-name", ref.graph_name),),
        operation="restore_execution",
        graph_name=ref.graph_name,
    )


_KNOWN_STATES = {m.value.upper(): m for m in ExecutionState if m is not ExecutionState.UNKNOWN}


def state_filter(state: ExecutionState | str | None) -> ExecutionState | None:
    """Check a ``state=`` filter before anything is sent.

    A string must name a documented state (``RUNNING``, ``SUCCESS``, ``FAILED``), in
    any case: a typo such as ``"FAILD"`` is an :class:`InvalidRequestError`, not a
    silently empty listing. A state the service adds later is passed explicitly as
    an :class:`ExecutionState`, e.g. ``state=ExecutionState("TIMEOUT")``: an
    ``ExecutionState`` value is taken as it is.
    """
    if state is None or isinstance(state, ExecutionState):
        return state
    if isinstance(state, str):
        known = _KNOWN_STATES.get(state.strip().upper())
        if known is not None:
            return known
    choices = ", ".join(sorted(_KNOWN_STATES))
    raise InvalidRequestError(
        [
            ErrorDetail(
                "state",
                f"must be one of {choices} (any case); for another state pass "
                "ExecutionState(value) explicitly",
            )
        ]
    )


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


class ExecutionsAPI(BaseClient):
    """``POST /v2/workflows/{graph}`` (start) and ``/v2/workflowexecutions``."""

    async def start_workflow(
        self,
        graph_name: str,
        bucket: str,
        object_key: str,
        inputs: Mapping[str, JsonValue] | None = None,
        **options: Unpack[RequestOptions],
    ) -> StartWorkflowResult:
        """Start one execution of workflow ``graph_name`` on ``bucket``/``object_key``.

        ``POST /v2/workflows/{graph_name}`` with ``{"bucket", "object", "inputs"}``.
        Arguments are validated first (:class:`InvalidRequestError`, nothing sent).
        The call is not idempotent: by default it is retried only when the service
        cannot have started anything (connection not made, 429, 503).

        :param graph_name: The workflow to start (its name, not its URN).
        :param bucket: The bucket of the object the execution works on.
        :param object_key: The object's key in ``bucket``.
        :param inputs: Workflow parameters by name (JSON values); ``None``: none.
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :returns: The new execution's URN and name, its start time and the request id.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`); ``request_sent`` says whether it may have
            reached the service.
            After a failed start, :func:`~.may_have_started` tells whether it may have
            started anyway (then settle it before starting again).
        """
        spec = start_spec(graph_name, bucket, object_key, inputs)
        return await self._request(spec, StartWorkflowResult, options)

    async def list_executions(
        self,
        graph_name: str,
        *,
        state: ExecutionState | str | None = None,
        execution_type: ExecutionType | str | None = None,
        next_marker: str | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> ExecutionPage:
        """One page of ``graph_name``'s executions, oldest marker first.

        ``state`` filters the page on the client (the service has no documented state
        filter), so a page may hold fewer than ``limit`` items, even none, while
        ``is_truncated`` is true; nothing is skipped: pass ``next_marker`` on, or use
        :meth:`iter_executions`. States match in any case; a ``state`` string that is
        not a documented state raises :class:`InvalidRequestError` before sending (see
        :func:`state_filter` for states the service adds later).

        :param graph_name: The workflow whose executions are listed.
        :param state: Keep only executions in this state (``RUNNING``, ``SUCCESS``,
            ``FAILED``; any case).
        :param execution_type: ``APICALL`` or ``TRIGGERCAL``: how they were started.
        :param next_marker: Where the page starts: the previous page's ``next_marker``.
        :param limit: Items per page, 1-1000 (default: the service's).
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`); ``request_sent`` says whether it may have
            reached the service.
        """
        request = validate_request(
            ListExecutionsRequest,
            graph_name=graph_name,
            execution_type=execution_type,
            next_marker=next_marker,
            limit=limit,
            state=state_filter(state),
        )
        page = await self._request(list_executions_spec(request), ExecutionPage, options)
        if request.state is None:
            return page
        wanted = request.state.value.upper()
        kept = [e for e in page.executions if e.execution_state.value.upper() == wanted]
        return page.model_copy(update={"executions": kept})

    async def iter_executions(
        self,
        graph_name: str,
        *,
        state: ExecutionState | str | None = None,
        execution_type: ExecutionType | str | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncIterator[ExecutionSummary]:
        """Every execution of ``graph_name`` (matching ``state``), following ``next_marker``.

        Pages hold ``page_size`` items (default: the maximum, 1000, or ``max_items`` if
        fewer). A mistyped ``state`` raises :class:`InvalidRequestError` on the first
        iteration, before anything is sent.

        :param graph_name: The workflow whose executions are walked.
        :param state: Keep only executions in this state (any case).
        :param execution_type: ``APICALL`` or ``TRIGGERCAL``.
        :param page_size: Items per request, 1-1000.
        :param max_items: Stop after this many items (``0``: none, nothing sent);
            ``None``: all.
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`); ``request_sent`` says whether it may have
            reached the service.
        """
        wanted = state_filter(state)
        size = page_size_or_max(page_size, max_items)

        async def page(marker: str | None) -> tuple[list[ExecutionSummary], bool, str | None]:
            got = await self.list_executions(
                graph_name,
                state=wanted,
                execution_type=execution_type,
                next_marker=marker,
                limit=size,
                **options,
            )
            # a next_marker is sent only when the list goes on: follow it whatever
            # is_truncated says (the pager stops on a cycle)
            return got.executions, got.is_truncated or bool(got.next_marker), got.next_marker

        async for item in follow_pages(page, max_items, "next_marker"):
            yield item

    async def get_execution(
        self, graph_name: str, execution_name: str, **options: Unpack[RequestOptions]
    ) -> ExecutionDetail:
        """One execution, with its state, inputs and the run of each state.

        :param graph_name: The workflow the execution belongs to.
        :param execution_name: The execution's name (as ``start_workflow`` returned it).
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises NotFoundError: No such workflow or execution.
        :raises APIStatusError: Another error answer (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`); ``request_sent`` says whether it may have
            reached the service.
        """
        return await self._request(
            get_execution_spec(execution_ref(graph_name, execution_name)), ExecutionDetail, options
        )

    async def restore_execution(
        self, graph_name: str, execution_name: str, **options: Unpack[RequestOptions]
    ) -> RestoreExecutionResult:
        """Resume a FAILED execution from the state that failed (succeeded states are not rerun).

        :param graph_name: The workflow the execution belongs to.
        :param execution_name: The FAILED execution to resume.
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`); ``request_sent`` says whether it may have
            reached the service.
        """
        return await self._request(
            restore_execution_spec(execution_ref(graph_name, execution_name)),
            RestoreExecutionResult,
            options,
        )

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
    ) -> ExecutionDetail:
        """Poll :meth:`get_execution` until the execution reaches a terminal state.

        Polls start every ``poll_interval`` seconds and back off by a factor of 1.5 up to
        ``max_poll_interval``. Returns the final :class:`ExecutionDetail`, FAILED
        included, unless ``raise_on_failure`` (then :class:`ExecutionFailedError`).
        After ``timeout`` seconds (``None``: no limit) raises :class:`WaitTimeoutError`
        naming the execution. Cancelling the waiting task stops polling at once. The
        wait reads the client's :class:`~.Runtime` (``clock``, ``sleep``), as the v3
        client's does. ``request_options`` apply to each poll (by default each poll's
        deadline is the time left of the wait).

        :param graph_name: The workflow the execution belongs to.
        :param execution_name: The execution to wait for.
        :param timeout: Seconds to wait in all; ``None``: no limit.
        :param poll_interval: Seconds before the second poll (the first is at once).
        :param max_poll_interval: The longest pause between polls, in seconds.
        :param raise_on_failure: Raise :class:`ExecutionFailedError` when the execution
            ends other than SUCCESS, instead of returning it.
        :param request_options: Per-poll overrides (``timeout``, ``max_retries``,
            ``deadline``, ...).
        :returns: The execution in its terminal state.
        :raises WaitTimeoutError: Still not finished after ``timeout`` (the execution
            goes on).
        :raises ExecutionFailedError: With ``raise_on_failure``, it did not succeed.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: A poll was answered with an error (:class:`NotFoundError`:
            no such execution).
        :raises TransportError: A poll got no complete answer, after its retries.
        """
        options: RequestOptions = request_options or {}
        spec = get_execution_spec(execution_ref(graph_name, execution_name))
        check_wait_intervals(timeout, poll_interval, max_poll_interval)
        return await poll_until_finished(
            lambda call: self._request(spec, ExecutionDetail, call),
            graph_name=str(graph_name),
            execution_name=str(execution_name),
            timeout=timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            raise_on_failure=raise_on_failure,
            options=options,
            clock=self._runtime.clock,
            sleep=self._runtime.sleep,
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
    ) -> ExecutionDetail:
        """:meth:`start_workflow`, then :meth:`wait_for_execution` on the new execution.

        ``timeout`` bounds the wait; ``request_options`` apply to the start and each poll.

        :param graph_name: The workflow to start.
        :param bucket: The bucket of the object the execution works on.
        :param object_key: The object's key in ``bucket``.
        :param inputs: Workflow parameters by name (JSON values); ``None``: none.
        :param timeout: Seconds to wait for the end, after the start; ``None``: no limit.
        :param poll_interval: Seconds before the second poll.
        :param max_poll_interval: The longest pause between polls, in seconds.
        :param raise_on_failure: Raise :class:`ExecutionFailedError` unless SUCCESS.
        :param request_options: Per-call overrides for the start and each poll.
        :returns: The execution in its terminal state.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: The start or a poll was answered with an error.
        :raises TransportError: The start or a poll got no complete answer; for the
            start, :func:`~.may_have_started` tells whether it may have started.
        :raises WaitTimeoutError: Started, but not finished after ``timeout``.
        :raises ExecutionFailedError: With ``raise_on_failure``, it did not succeed.
        """
        options: RequestOptions = request_options or {}
        started = await self.start_workflow(graph_name, bucket, object_key, inputs, **options)
        return await self.wait_for_execution(
            graph_name,
            execution_name_to_wait_for(started),
            timeout=timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            raise_on_failure=raise_on_failure,
            request_options=options,
        )
