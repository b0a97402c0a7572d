"""The small protocols the shared engines are written against; each API implements
them in its own package (``v2/resources``, ``dwr/resources``) and composes them into
its client at construction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple, Protocol, TypeVar

if TYPE_CHECKING:
    from pydantic import JsonValue

    from .._batch.models import StartRequest
    from .._batch.settle_detail import DetailFacts
    from .._pipeline import CallOptions
    from ..models import ExecutionDetail, ExecutionSummary, StartWorkflowResult
    from .options import RequestOptions

__all__ = ["ExecutionPoller", "Lister", "SettlePage", "Starter"]

_D_co = TypeVar("_D_co", bound="ExecutionDetail", covariant=True)


class Starter(Protocol):
    """Starts one execution (``start_workflow``, ``start_and_wait``, a batch item)."""

    def start(
        self,
        graph_name: str,
        bucket: str,
        object_key: str,
        inputs: Mapping[str, JsonValue] | None,
        options: RequestOptions,
    ) -> Awaitable[StartWorkflowResult]:
        """Validate the arguments (nothing sent if one breaks a rule: raised here,
        or when awaited), then start."""
        ...

    def start_item(
        self, request: StartRequest, options: CallOptions
    ) -> Awaitable[StartWorkflowResult]:
        """Start a batch item (arguments already validated)."""
        ...


class ExecutionPoller(Protocol[_D_co]):
    """Reads one execution again and again (``wait_for_execution``)."""

    def poller(
        self, graph_name: str, execution_name: str
    ) -> Callable[[RequestOptions], Awaitable[_D_co]]:
        """The arguments checked now (nothing sent if one breaks a rule); the function
        reads the execution once per call."""
        ...


class SettlePage(NamedTuple):
    """One page of a graph's API-started executions, as a settle sweep reads it."""

    executions: Sequence[ExecutionSummary]
    headers: Mapping[str, str]
    """The answer's headers (its ``Date`` sets the service's clock offset)."""
    truncated: bool
    """The page said the listing goes on. A sweep reads on whenever ``next_cursor`` is
    set, and ends complete only on a page with neither."""
    next_cursor: object
    """What to pass back for the next page (``None``: there is none to use)."""
    fresh: bool = False
    """The *next* page begins another listing (v3: the next time window): it is not
    compared with this one for a repeat."""


class Lister(Protocol):
    """A graph's listing and one execution's details, as settling reads them."""

    @property
    def typed_listing(self) -> bool:
        """Whether :meth:`page` asks the service for API starts only (then an execution
        listed without a type is one)."""
        ...

    @property
    def reach(self) -> timedelta | None:
        """How far beyond ``span`` (either way) the listing's own time filter reads, in
        the service's clock (``None``: no time filter, every execution is listed): a
        window the measured clock offset moves beyond it was not listed."""
        ...

    async def page(
        self,
        graph: str,
        cursor: object,
        span: tuple[datetime, datetime],
        options: RequestOptions,
    ) -> SettlePage:
        """The page at ``cursor`` (``None``: the first) of ``graph``'s API executions;
        ``span`` (this machine's clock) covers every window being settled."""
        ...

    async def detail(
        self, graph: str, execution_name: str, options: RequestOptions
    ) -> ExecutionDetail:
        """One execution's details (its input names the bucket and object)."""
        ...

    async def detail_facts(
        self, graph: str, execution_name: str, options: RequestOptions
    ) -> DetailFacts:
        """What a settle sweep reads of one execution's details (:meth:`detail`'s
        facts, read without the typed model where the answer is the common one: see
        :mod:`~obs_workflow_async._batch.settle_detail`)."""
        ...
