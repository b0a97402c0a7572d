"""The v3 call path: the project id in every path, given or discovered once through
IAM (``GET /v3/projects?name={region}``, signed the same way), then the core's call."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from .._core.client import CoreClient
from .._core.options import RequestOptions
from .._pipeline import CallOptions, Pipeline, RawResponse, RequestSpec
from ..errors import (
    DiscoveryError,
    ErrorDetail,
    InvalidRequestError,
    ObsWorkflowError,
    RequestTimeoutError,
)
from . import _refs, signing
from .dialect import DwrDialect

if TYPE_CHECKING:
    from .iam_answer import IamProjects

__all__ = ["DwrCalls", "ProjectIdError", "ProjectIds", "iam_discovery"]

_T = TypeVar("_T")

_PENDING_PROJECT = "v3/{project_id}/"

_new_spec = tuple.__new__
"""A :class:`RequestSpec` of its fields in order (no keyword-argument ``__new__``)."""
"""The start of a request's key while the project id is still to be discovered: the
call's own options (timeout, deadline) then bound the discovery (:meth:`DwrCalls.request`)."""


class ProjectIdError(InvalidRequestError):
    """No usable project id: none given and no region to discover it, or IAM's answer
    names no single project of the region (nothing was sent to DWR). A discovery that
    fails (IAM unreachable, an error answer, a timeout) raises :class:`DiscoveryError`."""


def _retrieve(task: asyncio.Future[str]) -> None:
    if not task.cancelled():
        task.exception()


class ProjectIds:
    """The project id: given, or discovered once through IAM and shared by copies."""

    def __init__(
        self,
        value: str | None,
        region: str | None,
        discover: Callable[[CallOptions], Awaitable[str]] | None,
    ) -> None:
        self.value: str | None = value
        self.region: str | None = region
        self._discover = discover
        self._task: asyncio.Future[str] | None = None

    async def get(self, options: CallOptions) -> str:
        """The project id; a discovery runs with the first waiter's ``options`` and is
        shared by every waiter (each bounded by its own deadline, see ``_request``)."""
        if self.value is not None:
            return self.value
        if self._discover is None:
            raise ProjectIdError(
                [
                    ErrorDetail(
                        "project_id",
                        "is required: pass project_id= or region= (to discover it through IAM)",
                    )
                ]
            )
        task = self._task
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = self._task = asyncio.ensure_future(self._discover(options))
            task.add_done_callback(_retrieve)  # seen even if every waiter was cancelled
        value = await asyncio.shield(task)
        self.value = value
        return value

    async def aclose(self) -> None:
        """Cancel a discovery still running (its waiters have given up) and let it unwind."""
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def iam_discovery(iam: Pipeline, region: str) -> Callable[[CallOptions], Awaitable[str]]:
    """Asks IAM (through ``iam``) for the project named for ``region``, with the
    options of the call that needs it."""

    async def discover(options: CallOptions) -> str:
        spec = RequestSpec(
            "GET", "v3/projects", (("name", region),), operation="discover_project_id"
        )
        raw = await iam.request(spec, options._replace(on_failed_attempt=None))
        try:
            data = _refs.IamProjects.model_validate_json(raw.body)
        except ValueError:
            raise ProjectIdError(
                [ErrorDetail("project_id", "IAM's answer is not a project list: pass project_id=")]
            ) from None
        return _project_of_region(data, region)

    return discover


def _project_of_region(answer: IamProjects, region: str) -> str:
    """The id of the one project named ``region`` in IAM's answer; a project named for
    another region (or none, or several) is refused: the caller must pass one."""
    named = [p for p in answer.projects if p.name == region]
    if not named and answer.projects:
        others = sorted({repr(p.name) for p in answer.projects})[:3]
        raise ProjectIdError(
            [
                ErrorDetail(
                    "project_id",
                    f"IAM answered with a project named {', '.join(others)}, not one named "
                    f"{region!r}: pass project_id=",
                )
            ]
        )
    ids = [p.id for p in named if p.id]
    if len(ids) != 1:
        raise ProjectIdError(
            [
                ErrorDetail(
                    "project_id",
                    f"IAM lists {len(ids)} projects named {region!r}: pass project_id=",
                )
            ]
        )
    if not ids[0].isalnum():
        raise ProjectIdError([ErrorDetail("project_id", "IAM returned an unusable id")])
    return ids[0]


class DwrCalls:
    """The v3 resources' way to the core: specs under ``/v3/{project_id}`` and the call,
    after the project id (shared by copies through ``project``) is known."""

    __slots__ = ("_core", "_dialect", "_project")

    def __init__(self, core: CoreClient, dialect: DwrDialect, project: ProjectIds) -> None:
        self._core: CoreClient = core
        self._dialect: DwrDialect = dialect
        self._project: ProjectIds = project

    async def project_for(self, options: CallOptions) -> str:
        """The project id, discovered if need be within ``options``' deadline; any failure
        of the discovery is a :class:`DiscoveryError` (the call needing it is not sent)."""
        if self._project.value is not None:
            self._dialect.project_id = self._project.value
            return self._project.value
        wanted = f"the DWR project id of region {self._project.region!r} through IAM"
        try:
            if options.deadline is None:
                pid = await self._project.get(options)
            else:
                pid = await asyncio.wait_for(self._project.get(options), options.deadline)
        except ProjectIdError:
            raise
        except ObsWorkflowError as exc:
            raise DiscoveryError(
                f"could not discover {wanted}: {exc}; the call was not sent "
                "(pass project_id= to skip the discovery)",
                cause=exc,
            ) from exc
        except asyncio.TimeoutError:  # the call's deadline, while a shared discovery ran
            raise DiscoveryError(
                f"could not discover {wanted} within the deadline of {options.deadline}s; "
                "the call was not sent (pass project_id= to skip the discovery)"
            ) from None
        except Exception as exc:  # unforeseen, but DWR was not called either way
            raise DiscoveryError(
                f"could not discover {wanted} ({type(exc).__name__}); the call was not sent",
                cause=None,
            ) from exc
        self._dialect.project_id = pid
        return pid

    def spec(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        query: Sequence[tuple[str, signing.QueryValue]] = (),
        body: bytes | None = None,
        graph_name: str | None = None,
    ) -> RequestSpec:
        """The call's spec; while the project id is unknown, its key starts with
        :data:`_PENDING_PROJECT` and :meth:`request` discovers it with the call's options."""
        pid = self._project.value
        prefix = _PENDING_PROJECT if pid is None else f"v3/{pid}/"
        pairs = tuple(signing.query_pairs(query)) if query else ()
        return _new_spec(
            RequestSpec, (method, prefix + path, pairs, body, None, operation, graph_name)
        )

    def start_spec(self, graph: str, body: bytes) -> RequestSpec:
        """``spec("POST", f"workflows/{graph}/execute", "start_workflow", body=body,
        graph_name=graph)`` (an equal spec, tests/dwr/test_start_spec.py), without its
        keyword arguments and query: the spec of every start."""
        pid = self._project.value
        prefix = _PENDING_PROJECT if pid is None else f"v3/{pid}/"
        return _new_spec(
            RequestSpec,
            ("POST", f"{prefix}workflows/{graph}/execute", (), body, None, "start_workflow", graph),
        )

    def request(
        self,
        spec: RequestSpec,
        read: Callable[[RawResponse], _T],
        options: RequestOptions | CallOptions,
    ) -> Awaitable[_T]:
        """:meth:`CoreClient.request`, after the project id is discovered (if it is still
        unknown) within the call's own timeout and deadline; the time the discovery took
        counts against that deadline. Nothing is sent to DWR unless the discovery succeeds.
        Not a coroutine of its own once the id is known (the core's call is awaited)."""
        if spec.key.startswith(_PENDING_PROJECT):
            return self._discover_then(spec, read, options)
        return self._core.request(spec, read, options)

    async def _discover_then(
        self,
        spec: RequestSpec,
        read: Callable[[RawResponse], _T],
        options: RequestOptions | CallOptions,
    ) -> _T:
        call = self._core.call_options(options)
        clock = self._core.runtime.clock
        began = clock()
        pid = await self.project_for(call)
        spec = spec._replace(key=f"v3/{pid}/{spec.key[len(_PENDING_PROJECT) :]}")
        if call.deadline is not None:
            left = call.deadline - (clock() - began)
            if left <= 0:
                raise RequestTimeoutError(
                    f"the deadline of {call.deadline}s ran out while discovering the "
                    "project id (deadline exceeded)",
                    method=spec.method,
                    url=f"{self._core.server}/{spec.key}",
                    request_sent=False,
                )
            call = call._replace(deadline=left)
        return await self._core.request(spec, read, call)
