"""Executions: start, list (one page or all, with a state filter), get, restore, wait."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING

from ..._core.answers import read_model
from ..._core.client import CoreClient
from ..._core.options import RequestOptions
from ..._core.paging import follow_pages, page_size_or_max
from ..._core.protocols import Starter
from ..._pipeline import RawResponse, RequestSpec
from ...errors import ErrorDetail, InvalidRequestError
from ...validation import check_execution_name, check_graph_name
from . import _refs

if TYPE_CHECKING:
    from pydantic import JsonValue
    from typing_extensions import Unpack

    from ...models import (
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
    )

__all__ = [
    "ExecutionsMethods",
    "get_execution_call",
    "execution_ref",
    "execution_spec",
    "get_execution_spec",
    "list_executions_spec",
    "restore_execution_spec",
    "start_request_spec",
    "start_spec",
    "state_filter",
]

EXECUTIONS = "v2/workflowexecutions"


def start_spec(
    graph_name: object, bucket: object, object_key: object, inputs: object
) -> RequestSpec:
    """Validate the start arguments (nothing is sent if they break a rule:
    :func:`~obs_workflow_async.models._starts.start_body`) and build the request."""
    graph, body = _refs.start_body(
        graph_name, bucket, object_key, inputs, _refs.StartWorkflowRequest
    )
    # RequestSpec's fields in order, without the NamedTuple's keyword-argument __new__
    return _new_spec(
        RequestSpec, ("POST", f"v2/workflows/{graph}", (), body, None, "start_workflow", graph)
    )


_new_spec = tuple.__new__


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
    return _refs.validate_request(
        _refs.ExecutionRef, graph_name=graph_name, execution_name=execution_name
    )


def execution_spec(graph_name: object, execution_name: object) -> RequestSpec:
    """:func:`get_execution_spec` of a (graph, execution) pair: two plain strings that
    keep the naming rules are taken as they are (what :func:`execution_ref` would
    validate them into, without building the model); anything else is validated by
    :func:`execution_ref` (``InvalidRequestError``, nothing sent)."""
    if (
        type(graph_name) is str
        and type(execution_name) is str
        and check_graph_name(graph_name) is None
        and check_execution_name(execution_name) is None
    ):
        return _get_execution_spec(graph_name, execution_name)
    return get_execution_spec(execution_ref(graph_name, execution_name))


def _get_execution_spec(graph_name: str, execution_name: str) -> RequestSpec:
    return RequestSpec(
        "GET",
        f"{EXECUTIONS}/{execution_name}",
        (("x-workflow-graph-name", graph_name),),
        operation="get_execution",
        graph_name=graph_name,
    )


def get_execution_spec(ref: ExecutionRef) -> RequestSpec:
    return _get_execution_spec(ref.graph_name, ref.execution_name)


def restore_execution_spec(ref: ExecutionRef) -> RequestSpec:
    return RequestSpec(
        "PUT",
        f"{EXECUTIONS}/{ref.execution_name}",
        (("x-workflow-graph-name", ref.graph_name),),
        operation="restore_execution",
        graph_name=ref.graph_name,
    )


@cache
def _known_states() -> dict[str, ExecutionState]:
    """The documented states by their upper-case value (made on first use: the enum
    lives with the models)."""
    states = _refs.ExecutionState
    return {m.value.upper(): m for m in states if m is not states.UNKNOWN}


def state_filter(state: ExecutionState | str | None) -> ExecutionState | None:
    """Check a ``state=`` filter before anything is sent.

    A string must name a documented state (``RUNNING``, ``SUCCESS``, ``FAILED``), in
    any case: a typo such as ``"FAILD"`` is an :class:`InvalidRequestError`, not a
    silently empty listing. A state the service adds later is passed explicitly as
    an :class:`ExecutionState`, e.g. ``state=ExecutionState("TIMEOUT")``: an
    ``ExecutionState`` value is taken as it is.
    """
    if state is None or isinstance(state, _refs.ExecutionState):
        return state
    if isinstance(state, str):
        known = _known_states().get(state.strip().upper())
        if known is not None:
            return known
    choices = ", ".join(sorted(_known_states()))
    raise InvalidRequestError(
        [
            ErrorDetail(
                "state",
                f"must be one of {choices} (any case); for another state pass "
                "ExecutionState(value) explicitly",
            )
        ]
    )


def get_execution_call(
    graph_name: str, execution_name: str
) -> tuple[RequestSpec, Callable[[RawResponse], ExecutionDetail]]:
    """``get_execution``'s spec and reader (the names validated: nothing sent if one
    breaks a rule), for the shared :class:`~obs_workflow_async._core.starts.Starts`."""
    spec = get_execution_spec(execution_ref(graph_name, execution_name))
    return spec, read_model(_refs.ExecutionDetail)


class ExecutionsMethods:
    """``POST /v2/workflows/{graph}`` (start) and ``/v2/workflowexecutions``."""

    _core: CoreClient
    _starter: Starter

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
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
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
        return await self._starter.start(graph_name, bucket, object_key, inputs, options)

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
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`); ``request_sent`` says whether it may have
            reached the service.
        """
        request = _refs.validate_request(
            _refs.ListExecutionsRequest,
            graph_name=graph_name,
            execution_type=execution_type,
            next_marker=next_marker,
            limit=limit,
            state=state_filter(state),
        )
        page = await self._core.request(
            list_executions_spec(request), read_model(_refs.ExecutionPage), options
        )
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
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
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
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises NotFoundError: No such workflow or execution.
        :raises APIStatusError: Another error answer (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`); ``request_sent`` says whether it may have
            reached the service.
        """
        return await self._core.request(
            get_execution_spec(execution_ref(graph_name, execution_name)),
            read_model(_refs.ExecutionDetail),
            options,
        )

    async def restore_execution(
        self, graph_name: str, execution_name: str, **options: Unpack[RequestOptions]
    ) -> RestoreExecutionResult:
        """Resume a FAILED execution from the state that failed (succeeded states are not rerun).

        :param graph_name: The workflow the execution belongs to.
        :param execution_name: The FAILED execution to resume.
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`); ``request_sent`` says whether it may have
            reached the service.
        """
        return await self._core.request(
            restore_execution_spec(execution_ref(graph_name, execution_name)),
            read_model(_refs.RestoreExecutionResult),
            options,
        )
