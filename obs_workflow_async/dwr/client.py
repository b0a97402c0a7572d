"""``AsyncDwrClient``: the DWR v3 API on the same core as :class:`~.AsyncWorkflowClient`.

Same transport, transport, pooling, timeouts and deadline, hooks, credential providers
and refresh, error hierarchy and :func:`~obs_workflow_async.errors.may_have_started`
rule; only the dialect (hosts, ``/v3/{project_id}`` paths, ``SDK-HMAC-SHA256``)
differs. See ``docs/dwr-v3.md``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar, overload

import aiohttp
from pydantic import BaseModel, JsonValue

from .._aiohttp_transport import AiohttpTransport
from .._api.batch import BatchAPI
from .._api.executions import (
    check_wait_intervals,
    execution_name_to_wait_for,
    poll_until_finished,
)
from .._api.paging import check_max_items, page_size_or_max
from .._api.settle import SettleCore, SettlePage
from .._base_client import BaseClient, RequestOptions
from .._batch.models import StartRequest
from .._batch.settle_filter import read_page
from .._config import (
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_RETRY_AFTER_CAP,
    DEFAULT_TIMEOUT,
    Runtime,
    TimeoutLike,
    VerifyLike,
    parse_endpoint,
)
from .._pipeline import CallOptions, Pipeline, RawResponse, RequestSpec
from .._version import __version__
from ..credentials import Credentials, CredentialsCache, CredentialsProvider
from ..errors import (
    DiscoveryError,
    ErrorDetail,
    InvalidRequestError,
    ObsWorkflowError,
    RequestTimeoutError,
    ResponseParseError,
)
from ..hooks import Hook
from ..models import OperationResult, RestoreExecutionResult, StartWorkflowResult
from ..models._base import validate_request
from ..models._executions import ExecutionSummary
from ..transport import Transport
from . import signing
from .dialect import DwrDialect, dwr_endpoint_for_region, iam_endpoint_for_region, sdk_host
from .models import (
    DwrActionTemplate,
    DwrAgreement,
    DwrAuthorization,
    DwrCreateMyTemplateResult,
    DwrCreateWorkflowResult,
    DwrExecutionDetail,
    DwrExecutionPage,
    DwrExecutionSummary,
    DwrGraphName,
    DwrListExecutionsRequest,
    DwrListRequest,
    DwrMyTemplateDefinition,
    DwrRestoreResult,
    DwrTemplateDetail,
    DwrTemplatePage,
    DwrUpdateMyTemplateResult,
    DwrUpdateWorkflowRequest,
    DwrUpdateWorkflowResult,
    DwrWorkflow,
    DwrWorkflowDefinition,
    DwrWorkflowPage,
    DwrWorkflowSummary,
    start_parts,
    v3_state,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["AsyncDwrClient", "DiscoveryError", "ProjectIdError"]

DEFAULT_USER_AGENT = f"obs-workflow-async/{__version__}"
EXECUTION_WINDOW = timedelta(days=3)
"""The widest execution time window the service answers for (its default span)."""
MAX_EXECUTIONS_PAGE = 200
SETTLE_SKEW = timedelta(minutes=15)
"""How far a settle sweep reads beyond the items' windows: the clock skew the gateway
tolerates (``APIGW.0303`` beyond it), since the offset is known only after one answer."""
_M = TypeVar("_M", bound=BaseModel)
_T = TypeVar("_T")

ENV_AK = "HUAWEICLOUD_SDK_AK"
ENV_SK = "HUAWEICLOUD_SDK_SK"
ENV_TOKEN = "HUAWEICLOUD_SDK_SECURITY_TOKEN"
ENV_PROJECT_ID = "HUAWEICLOUD_SDK_PROJECT_ID"
ENV_IAM_ENDPOINT = "HUAWEICLOUD_SDK_IAM_ENDPOINT"
_PENDING_PROJECT = "v3/{project_id}/"
"""The start of a request's key while the project id is still to be discovered: the
call's own options (timeout, deadline) then bound the discovery (:meth:`_request`)."""


class ProjectIdError(InvalidRequestError):
    """No usable project id: none given and no region to discover it, or IAM's answer
    names no single project of the region (nothing was sent to DWR). A discovery that
    fails (IAM unreachable, an error answer, a timeout) raises :class:`DiscoveryError`."""


def _checked(name: str, value: str) -> str:
    try:
        return validate_request(_Name, value=value).value
    except InvalidRequestError as exc:
        raise InvalidRequestError([ErrorDetail(name, e.rule) for e in exc.errors]) from None


class _Name(BaseModel):
    value: DwrGraphName


def _template(name: str) -> str:
    if not isinstance(name, str) or not name or "/" in name or len(name) > 128:
        raise InvalidRequestError([ErrorDetail("template_name", "must be 1-128 characters, no /")])
    return name


def _execution(name: str) -> str:
    if (
        not isinstance(name, str)
        or not name
        or "/" in name
        or len(name) > 256
        or name in (".", "..")
    ):
        raise InvalidRequestError(
            [ErrorDetail("execution_name", "must be 1-256 characters, no /, not . or ..")]
        )
    return name


def _retrieve(task: asyncio.Future[str]) -> None:
    if not task.cancelled():
        task.exception()


class _ProjectId:
    """The project id: given, or discovered once through IAM and shared by views."""

    def __init__(
        self, value: str | None, discover: Callable[[CallOptions], Awaitable[str]] | None
    ) -> None:
        self.value = value
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


class AsyncDwrClient(SettleCore, BatchAPI):
    """Async client for the DWR v3 workflow API (``huaweicloudsdkdwr``'s 23 calls).

    ::

        async with AsyncDwrClient(region="cn-south-1", project_id=pid,
                                  access_key_id=ak, secret_access_key=sk) as client:
            started = await client.start_workflow("graph", "bucket", "in/a.mp4")

    ``endpoint`` overrides the region's host (the SDK's ``DwrRegion`` table).
    ``project_id`` goes into every path and the signed ``X-Project-Id``; without it
    the client asks IAM once (``GET /v3/projects?name={region}``, signed the same
    way) and caches the answer; with neither a project id nor a region, calls raise
    :class:`ProjectIdError` before sending anything. Credentials: the arguments, else
    ``HUAWEICLOUD_SDK_AK``/``_SK``/``_SECURITY_TOKEN``, else the ``OBS_*`` variables,
    or any provider. Every other option is :class:`~.AsyncWorkflowClient`'s.
    ``start_many``/``start_all`` are the v2 client's (:class:`~.api.batch.BatchAPI`),
    starting through :meth:`start_workflow`'s v3 request; ``find_executions``,
    ``settle`` and ``settle_outcomes`` are too (:class:`~.api.settle.SettleCore`),
    sweeping the v3 listing window by window.

    :param region: The region (``cn-south-1``): the endpoint and, without
        ``project_id``, the IAM project lookup.
    :param endpoint: The DWR endpoint URL, instead of the region's.
    :param project_id: The project id (letters and digits). Omitted:
        ``HUAWEICLOUD_SDK_PROJECT_ID``, else looked up once through IAM.
    :param iam_endpoint: The IAM endpoint for that lookup. Omitted:
        ``HUAWEICLOUD_SDK_IAM_ENDPOINT``, else the region's.
    :param access_key_id: The access key. Omitted (both keys): ``HUAWEICLOUD_SDK_AK``,
        else ``OBS_ACCESS_KEY_ID``.
    :param secret_access_key: The secret key (``HUAWEICLOUD_SDK_SK``, else
        ``OBS_SECRET_ACCESS_KEY``).
    :param security_token: The temporary credentials' token.
    :param credentials: Instead of the keys: ``Credentials``, a provider or a
        ``CredentialsCache``.
    :param timeout: Per attempt: seconds (the total) or a :class:`~.Timeout`.
    :param deadline: Seconds for the whole call; ``None``: no limit.
    :param max_retries: Retries after the first attempt; ``0`` disables them.
    :param retry_non_idempotent: Also retry a start that may have reached the service.
    :param retry_after_cap: The longest ``Retry-After`` waited for per retry (seconds).
    :param max_retry_wait: Seconds one call may sleep between attempts in total.
    :param max_connections: Connections (and requests in flight) at most.
    :param keepalive_timeout: Seconds an idle pooled connection is kept.
    :param reuse_connections_for_starts: Send starts on pooled connections (cheaper).
        ``False`` (the default) sends each start on a connection of its own, so an
        unsolicited answer from a server or proxy can never be taken as a start's
        answer (docs/reliability.md, "One answer per request").
    :param verify: ``True``, a CA bundle path, an ``ssl.SSLContext``, or ``False``.
    :param proxy: ``http://[user:password@]host:port``.
    :param trust_env: Use ``HTTP(S)_PROXY``/``NO_PROXY`` and ``~/.netrc``.
    :param hooks: Callbacks receiving a :class:`~.hooks.RequestEvent` at every step.
    :param user_agent: The ``User-Agent`` header.
    :param session: An ``aiohttp.ClientSession`` of yours: used, never closed.
    :param environ: The mapping environment variables are read from.
    :param transport: What sends each attempt (:class:`~.Transport`).
    :param runtime: Clock, sleep and randomness (:class:`~.Runtime`).
    :raises InvalidRequestError: Neither ``region`` nor ``endpoint``, an unknown
        region, or another invalid argument.
    :raises CredentialsError: No complete key pair and no ``credentials``.
    """

    def __init__(
        self,
        *,
        region: str | None = None,
        endpoint: str | None = None,
        project_id: str | None = None,
        iam_endpoint: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        security_token: str | None = None,
        credentials: Credentials | CredentialsProvider | CredentialsCache | None = None,
        timeout: TimeoutLike = DEFAULT_TIMEOUT,
        deadline: float | None = None,
        max_retries: int = 3,
        retry_non_idempotent: bool = False,
        retry_after_cap: float = DEFAULT_RETRY_AFTER_CAP,
        max_retry_wait: float | None = DEFAULT_MAX_RETRY_WAIT,
        max_connections: int = 100,
        keepalive_timeout: float = 1.5,
        reuse_connections_for_starts: bool = False,
        verify: VerifyLike = True,
        proxy: str | None = None,
        trust_env: bool = False,
        hooks: Sequence[Hook] = (),
        user_agent: str | None = None,
        session: aiohttp.ClientSession | None = None,
        environ: Mapping[str, str] | None = None,
        transport: Transport | None = None,
        runtime: Runtime | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        server = endpoint or (dwr_endpoint_for_region(region) if region else None)
        if server is None:
            what = (
                f"unknown region {region!r}: pass endpoint="
                if region
                else "pass region= or endpoint="
            )
            raise InvalidRequestError([ErrorDetail("endpoint", what)])
        parsed = parse_endpoint(server)
        if (
            credentials is None
            and not (access_key_id or secret_access_key)
            and env.get(ENV_AK)
            and env.get(ENV_SK)
        ):
            credentials = Credentials(env[ENV_AK], env[ENV_SK], env.get(ENV_TOKEN) or None)
        project_id = project_id or env.get(ENV_PROJECT_ID) or None
        if project_id is not None and not project_id.isalnum():
            raise InvalidRequestError([ErrorDetail("project_id", "must be letters and digits")])
        agent = user_agent or DEFAULT_USER_AGENT
        self._dialect = DwrDialect(
            parsed, user_agent=agent, project_id=project_id, host=sdk_host(server)
        )
        self._signature = "sdk-hmac-sha256"  # type: ignore[assignment]
        self.region = region
        self._setup(
            endpoint=parsed,
            dialect=self._dialect,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            security_token=security_token,
            credentials=credentials,
            timeout=timeout,
            deadline=deadline,
            max_retries=max_retries,
            retry_non_idempotent=retry_non_idempotent,
            retry_after_cap=retry_after_cap,
            max_retry_wait=max_retry_wait,
            max_connections=max_connections,
            keepalive_timeout=keepalive_timeout,
            reuse_connections_for_starts=reuse_connections_for_starts,
            verify=verify,
            proxy=proxy,
            trust_env=trust_env,
            hooks=hooks,
            user_agent=agent,
            session=session,
            environ=environ,
            transport=transport,
            runtime=runtime,
        )
        self._iam: Pipeline | None = None
        discover = None
        if project_id is None and region is not None:
            iam_server = (
                iam_endpoint or env.get(ENV_IAM_ENDPOINT) or iam_endpoint_for_region(region)
            )
            iam = parse_endpoint(iam_server)
            iam_transport: Transport = (
                transport
                if transport is not None
                else AiohttpTransport(
                    endpoint=iam,
                    verify=verify,
                    max_connections=2,
                    keepalive_timeout=keepalive_timeout,
                    user_agent=agent,
                    trust_env=trust_env,
                    proxy=self._pipeline.proxy,
                    clock=self._runtime.clock,
                )
            )
            self._iam = Pipeline(
                endpoint=iam,
                credentials=self._credentials,
                transport=iam_transport,
                proxy=self._pipeline.proxy,
                hooks=self._hooks,
                runtime=self._runtime,
                dialect=DwrDialect(
                    iam, user_agent=agent, content_type=False, host=sdk_host(iam_server)
                ),
            )
            discover = self._discover_project_id
        self._project = _ProjectId(project_id, discover)

    def __repr__(self) -> str:
        return (
            f"AsyncDwrClient(server={self.server!r}, region={self.region!r}, "
            f"project_id={self._project.value!r}, credentials={self._credentials!r}, "
            f"closed={self.closed})"
        )

    def _share(self, parent: BaseClient, defaults: CallOptions) -> None:
        super()._share(parent, defaults)
        assert isinstance(parent, AsyncDwrClient)
        self._dialect = parent._dialect
        self.region = parent.region
        self._iam = parent._iam
        self._project = parent._project  # discovered once, for the parent and its views
        self._runtime = parent._runtime
        self._hooks = parent._hooks

    async def aclose(self) -> None:
        """Close the pooled session and the IAM discovery pool (idempotent)."""
        if self._owns_pipeline and self._iam is not None:
            await self._project.aclose()
            await self._iam.aclose()
        await super().aclose()

    # -- project id --------------------------------------------------------------------

    async def _discover_project_id(self, options: CallOptions) -> str:
        """Ask IAM for the project named for the region (``options``: the call's own)."""
        assert self._iam is not None and self.region is not None
        spec = RequestSpec(
            "GET", "v3/projects", (("name", self.region),), operation="discover_project_id"
        )
        raw = await self._iam.request(spec, options._replace(on_failed_attempt=None))
        try:
            data = _ProjectsAnswer.model_validate_json(raw.body)
        except ValueError:
            raise ProjectIdError(
                [ErrorDetail("project_id", "IAM's answer is not a project list: pass project_id=")]
            ) from None
        return _project_of_region(data, self.region)

    async def project_id(self) -> str:
        """The project id in use (discovered through IAM on first use if not given).

        A failed discovery raises :class:`DiscoveryError` (``__cause__``: IAM's error).
        """
        return await self._project_for(self._options({}))

    async def _project_for(self, options: CallOptions) -> str:
        """The project id, discovered if need be within ``options``' deadline; any failure
        of the discovery is a :class:`DiscoveryError` (the call needing it is not sent)."""
        if self._project.value is not None:
            return self._project.value
        wanted = f"the DWR project id of region {self.region!r} through IAM"
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

    async def _spec(
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
        :data:`_PENDING_PROJECT` and :meth:`_request` discovers it with the call's options."""
        pid = self._project.value
        prefix = _PENDING_PROJECT if pid is None else f"v3/{pid}/"
        pairs = tuple(signing.query_pairs(query))
        return RequestSpec(method, prefix + path, pairs, body, None, operation, graph_name)

    @overload
    async def _request(
        self, spec: RequestSpec, result: type[RawResponse], options: RequestOptions | CallOptions
    ) -> RawResponse: ...

    @overload
    async def _request(
        self, spec: RequestSpec, result: type[_M], options: RequestOptions | CallOptions
    ) -> _M: ...

    async def _request(
        self,
        spec: RequestSpec,
        result: type[_M] | type[RawResponse],
        options: RequestOptions | CallOptions,
    ) -> _M | RawResponse:
        """:meth:`BaseClient._request`, after the project id is discovered (if it is still
        unknown) within the call's own timeout and deadline; the time the discovery took
        counts against that deadline. Nothing is sent to DWR unless the discovery succeeds."""
        if spec.key.startswith(_PENDING_PROJECT):
            call = options if isinstance(options, CallOptions) else self._options(options)
            clock = self._runtime.clock
            began = clock()
            pid = await self._project_for(call)
            spec = spec._replace(key=f"v3/{pid}/{spec.key[len(_PENDING_PROJECT) :]}")
            if call.deadline is not None:
                left = call.deadline - (clock() - began)
                if left <= 0:
                    raise RequestTimeoutError(
                        f"the deadline of {call.deadline}s ran out while discovering the "
                        "project id (deadline exceeded)",
                        method=spec.method,
                        url=f"{self.server}/{spec.key}",
                        request_sent=False,
                    )
                call = call._replace(deadline=left)
            options = call
        return await super()._request(spec, result, options)

    async def _get(self, model: type[_M], spec: RequestSpec, options: RequestOptions) -> _M:
        return await self._request(spec, model, options)

    # -- workflows ----------------------------------------------------------------------

    async def create_workflow(
        self,
        graph_name: str,
        definition: DwrWorkflowDefinition | Mapping[str, JsonValue],
        **options: Unpack[RequestOptions],
    ) -> DwrCreateWorkflowResult:
        """``create_workflow``: ``POST /workflows/{graph_name}`` with the full definition.

        :param graph_name: The new workflow's name.
        :param definition: The workflow: a :class:`~.dwr.models.DwrWorkflowDefinition`
            or a plain mapping of its fields (checked before sending).
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        g = _checked("graph_name", graph_name)
        model = _definition(DwrWorkflowDefinition, definition)
        spec = await self._spec(
            "POST", f"workflows/{g}", "create_workflow", body=model.body(), graph_name=g
        )
        return await self._request(spec, DwrCreateWorkflowResult, options)

    async def get_workflow(self, graph_name: str, **options: Unpack[RequestOptions]) -> DwrWorkflow:
        """``show_workflow_info``.

        :param graph_name: The workflow's name.
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises NotFoundError: No such workflow.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        g = _checked("graph_name", graph_name)
        spec = await self._spec("GET", f"workflows/{g}", "get_workflow", graph_name=g)
        return await self._request(spec, DwrWorkflow, options)

    async def update_workflow(
        self,
        graph_name: str,
        *,
        parameters: Mapping[str, str],
        **options: Unpack[RequestOptions],
    ) -> DwrUpdateWorkflowResult:
        """``update_workflow``: ``PUT`` the ``parameters`` map.

        :param graph_name: The workflow's name.
        :param parameters: The workflow parameters' new values, by name.
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        req = validate_request(
            DwrUpdateWorkflowRequest, graph_name=graph_name, parameters=dict(parameters)
        )
        spec = await self._spec(
            "PUT",
            f"workflows/{req.graph_name}",
            "update_workflow",
            body=req.body(),
            graph_name=req.graph_name,
        )
        return await self._request(spec, DwrUpdateWorkflowResult, options)

    async def delete_workflow(
        self, graph_name: str, **options: Unpack[RequestOptions]
    ) -> OperationResult:
        """``delete_workflow`` (a "mark delete"; 204).

        :param graph_name: The workflow's name.
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises NotFoundError: No such workflow.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        g = _checked("graph_name", graph_name)
        spec = await self._spec("DELETE", f"workflows/{g}", "delete_workflow", graph_name=g)
        return await self._request(spec, OperationResult, options)

    async def list_workflows(
        self,
        prefix: str | None = None,
        *,
        offset: int | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> DwrWorkflowPage:
        """``list_workflows``: one page; follow ``next_offset`` (or use :meth:`iter_workflows`).

        :param prefix: Keep only workflows whose name starts with this text.
        :param offset: Where the page starts, as the previous page's ``next_offset``
            gave it; ``None``: the first page.
        :param limit: Items per page, 1-1000 (default: the service's).
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        req = validate_request(DwrListRequest, prefix=prefix, offset=offset, limit=limit)
        spec = await self._spec("GET", "workflows", "list_workflows", query=req.query())
        return await self._request(spec, DwrWorkflowPage, options)

    async def iter_workflows(
        self,
        prefix: str | None = None,
        *,
        page_size: int | None = None,
        max_items: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncIterator[DwrWorkflowSummary]:
        """Every workflow (or the first ``max_items``; ``0``: none, nothing sent), page
        after page of ``page_size`` (default: the maximum, 1000, or ``max_items`` if
        fewer).

        :param prefix: Keep only workflows whose name starts with this text.
        :param page_size: Items per request, 1-1000.
        :param max_items: Stop after this many items (``0``: none, nothing sent);
            ``None``: all.
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        :raises ResponseParseError: The service said the list goes on but gave no usable
            offset (or sent the same page again).
        """
        size = page_size_or_max(page_size, max_items)

        async def page(
            offset: int | str | None,
        ) -> tuple[list[DwrWorkflowSummary], int | str | None]:
            got = await self.list_workflows(prefix, offset=_int(offset), limit=size, **options)
            return got.graphs, got.next_cursor(len(got.graphs))

        async for item in _follow(page, max_items):
            yield item

    async def _start_request(
        self, request: StartRequest, options: CallOptions
    ) -> StartWorkflowResult:
        """One batch item's start (:class:`BatchAPI`): the v3 ``execute`` call."""
        graph, body = start_parts(
            request.graph_name, request.bucket, request.object_key, request.inputs
        )
        spec = await self._spec(
            "POST", f"workflows/{graph}/execute", "start_workflow", body=body, graph_name=graph
        )
        return await self._request(spec, StartWorkflowResult, options)

    async def _settle_page(
        self,
        graph: str,
        cursor: object,
        span: tuple[datetime, datetime],
        options: RequestOptions,
    ) -> SettlePage:
        """A settle sweep over v3: ``span`` widened by :data:`SETTLE_SKEW` (the clock
        offset is known only after the first answer) and cut into windows of at most
        :data:`EXECUTION_WINDOW`, each read page by page (200); the cursor is
        ``(window start, offset)``. Every execution listed is handed on (the sweep
        tells API starts from trigger ones, in any spelling).

        A window ends on a page with no ``next_offset`` that does not say it is
        truncated, or on an empty page that says ``is_truncated: false``; a
        ``next_offset`` is followed whatever ``is_truncated`` says (the sweep stops
        on a cycle)."""
        low, high = span[0] - SETTLE_SKEW, span[1] + SETTLE_SKEW
        start, offset = cursor if isinstance(cursor, tuple) else (low, None)
        end = min(start + EXECUTION_WINDOW, high)
        spec = await self._executions_spec(graph, None, start, end, offset, MAX_EXECUTIONS_PAGE)
        answer = await self._request(spec, RawResponse, options)
        page, items = read_page(answer, DwrExecutionPage, DwrExecutionSummary)
        flag = page.is_truncated
        raw = page.next_offset if page.next_offset is not None else page.next_marker
        if raw is not None and not (flag is False and not items):
            number = _int(raw)
            nxt = None if number is None else (start, number)
            return SettlePage(items, page.headers, True, nxt)
        if flag:
            return SettlePage(items, page.headers, True, None)  # truncated, no cursor
        if end < high:
            return SettlePage(items, page.headers, True, (end, None), fresh=True)
        return SettlePage(items, page.headers, False, None)

    async def _settle_detail(
        self, graph: str, execution_name: str, options: RequestOptions
    ) -> DwrExecutionDetail:
        return await self.get_execution(graph, execution_name, **options)

    # -- executions ---------------------------------------------------------------------

    async def start_workflow(
        self,
        graph_name: str,
        bucket: str,
        object_key: str,
        inputs: Mapping[str, JsonValue] | None = None,
        **options: Unpack[RequestOptions],
    ) -> StartWorkflowResult:
        """``async_invoke_api_start_workflow``: ``POST /workflows/{g}/execute``.

        Not idempotent: an attempt that may have reached the service is not retried
        (unless ``retry_non_idempotent``); the error then says ``may_have_started``.

        :param graph_name: The workflow to start (its name).
        :param bucket: The bucket of the object the execution works on.
        :param object_key: The object's key in ``bucket``.
        :param inputs: Workflow parameters by name (JSON values); ``None``: none.
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`).
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises ProjectIdError: No project id and none could be discovered.
        :raises DiscoveryError: The IAM discovery of the project id failed (nothing was
            sent to DWR).
        :raises APIStatusError: The service answered an error, after the retries.
        :raises TransportError: No complete answer; :func:`~.may_have_started` tells
            whether the start may have happened.
        """
        graph, body = start_parts(graph_name, bucket, object_key, inputs)
        spec = await self._spec(
            "POST", f"workflows/{graph}/execute", "start_workflow", body=body, graph_name=graph
        )
        return await self._request(spec, StartWorkflowResult, options)

    async def list_executions(
        self,
        graph_name: str,
        *,
        state: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        offset: int | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> DwrExecutionPage:
        """``list_workflow_instance``: one page of one time window (the service's
        default: the last 3 days); ``limit`` at most 200; ``state`` (the query's
        ``status``) one of ``success``, ``fail``, ``running``, ``timeout``, ``cancel``
        (or the v2 spelling: ``SUCCESS``, ``FAILED``, ``RUNNING``).

        :param graph_name: The workflow's name.
        :param state: Keep only executions in this state (``success``, ``fail``,
            ``running``, ``timeout``, ``cancel``, or the v2 spelling).
        :param start_time: The window's start (an aware ``datetime``).
        :param end_time: The window's end (at most 3 days after ``start_time``).
        :param offset: Where the page starts, as the previous page's ``next_offset``
            gave it; ``None``: the first page.
        :param limit: Items per page, 1-200 (default: the service's).
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        spec = await self._executions_spec(graph_name, state, start_time, end_time, offset, limit)
        return await self._request(spec, DwrExecutionPage, options)

    async def _executions_spec(
        self,
        graph_name: str,
        state: str | None,
        start_time: datetime | None,
        end_time: datetime | None,
        offset: int | None,
        limit: int | None,
    ) -> RequestSpec:
        """:meth:`list_executions`' request, its arguments checked."""
        wire_status = None
        if state is not None:
            try:
                wire_status = v3_state(state)
            except ValueError as exc:
                raise InvalidRequestError([ErrorDetail("state", str(exc))]) from None
        req = validate_request(
            DwrListExecutionsRequest,
            graph_name=graph_name,
            limit=limit,
            offset=offset,
            start_time=start_time,
            end_time=end_time,
            status=wire_status,
        )
        return await self._spec(
            "GET",
            "workflowexecutions",
            "list_executions",
            query=req.query(),
            graph_name=req.graph_name,
        )

    async def iter_executions(
        self,
        graph_name: str,
        *,
        state: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        window: timedelta = EXECUTION_WINDOW,
        page_size: int | None = None,
        max_items: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncIterator[ExecutionSummary]:
        """Every execution started in ``[since, until]`` (default: the last 3 days),
        oldest window first: the span is cut into windows of at most ``window``, each
        followed page by page (at most 200 per page). Windows share their boundary
        second, so an execution started on it is yielded once (by name). ``state`` as
        for :meth:`list_executions`; ``page_size`` default: 200 (the most a page
        holds), or ``max_items`` if fewer; ``max_items=0``: nothing, nothing sent.

        :param graph_name: The workflow's name.
        :param state: Keep only executions in this state (as for :meth:`list_executions`).
        :param since: The span's start (an aware ``datetime``); ``None``: 3 days before
            ``until``.
        :param until: The span's end; ``None``: now.
        :param window: The widest window one listing covers (at most 3 days).
        :param page_size: Items per request, 1-200.
        :param max_items: Stop after this many items (``0``: none, nothing sent);
            ``None``: all.
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule, ``since`` is after
            ``until`` or ``window`` is not positive (nothing sent).
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        :raises ResponseParseError: The service said the list goes on but gave no usable
            offset (or sent the same page again).
        """
        since, until = _execution_span(self._runtime.wall_clock(), since, until, window)
        check_max_items(max_items)
        if max_items == 0:
            return
        size = page_size_or_max(page_size, max_items, MAX_EXECUTIONS_PAGE)
        walk = self._walk_executions(graph_name, state, since, until, window, size, options)
        yielded = 0
        try:
            async for item in walk:
                yield item
                yielded += 1
                if max_items is not None and yielded >= max_items:
                    return
        finally:
            await walk.aclose()

    async def _walk_executions(
        self,
        graph_name: str,
        state: str | None,
        since: datetime,
        until: datetime,
        window: timedelta,
        size: int,
        options: RequestOptions,
    ) -> AsyncGenerator[ExecutionSummary, None]:
        """:meth:`iter_executions`' windows and pages, arguments checked."""
        seen_at_edge: set[str] = set()
        start = since
        while True:
            end = min(start + window, until)
            edge: set[str] = set()
            offset: int | None = None
            used: set[int] = set()
            last: list[str] = []
            while True:
                got = await self.list_executions(
                    graph_name,
                    state=state,
                    start_time=start,
                    end_time=end,
                    offset=offset,
                    limit=size,
                    **options,
                )
                names = [item.execution_name for item in got.executions]
                if names and names == last:  # the offset was ignored: it would never end
                    raise _repeated_page(got.request_id)
                last = names
                for item in got.executions:
                    if item.execution_name in seen_at_edge:
                        continue
                    if _started_at_edge(item, end):
                        edge.add(item.execution_name)
                    yield item
                offset = _next_offset(got, used)
                if offset is None:
                    break
            if end >= until:
                return
            seen_at_edge = edge
            start = end

    async def get_execution(
        self, graph_name: str, execution_name: str, **options: Unpack[RequestOptions]
    ) -> DwrExecutionDetail:
        """``show_workflow_instance`` (either documented shape; see :class:`DwrExecutionDetail`).

        :param graph_name: The workflow's name.
        :param execution_name: The execution's name (as the start returned it).
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises NotFoundError: No such workflow or execution.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        g = _checked("graph_name", graph_name)
        e = _execution(execution_name)
        spec = await self._spec(
            "GET", f"workflows/{g}/workflowexecution/{e}", "get_execution", graph_name=g
        )
        detail = await self._request(spec, DwrExecutionDetail, options)
        if not detail.execution_name:
            detail = detail.model_copy(update={"execution_name": e})
        return detail

    async def restore_execution(
        self, graph_name: str, execution_name: str, **options: Unpack[RequestOptions]
    ) -> RestoreExecutionResult:
        """``restore_workflow_execution``: ``POST .../{e}/retry`` (resumes a failed execution).
        An answer without ``execution_name`` takes the name asked for (the SDK keeps it).

        :param graph_name: The workflow's name.
        :param execution_name: The failed execution to resume.
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises NotFoundError: No such workflow or execution.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        g = _checked("graph_name", graph_name)
        e = _execution(execution_name)
        spec = await self._spec(
            "POST", f"workflows/{g}/workflowexecution/{e}/retry", "restore_execution", graph_name=g
        )
        restored = await self._request(spec, DwrRestoreResult, options)
        if not restored.execution_name:
            restored = restored.model_copy(update={"execution_name": e})
        return restored

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
    ) -> DwrExecutionDetail:
        """Poll :meth:`get_execution` until a terminal state (``success``, ``fail``,
        ``timeout``, ``cancel``), as :meth:`AsyncWorkflowClient.wait_for_execution`.

        :param graph_name: The workflow's name.
        :param execution_name: The execution's name (as the start returned it).
        :param timeout: Seconds to wait in all; ``None``: no limit.
        :param poll_interval: Seconds before the second poll (the first is at once).
        :param max_poll_interval: The longest pause between polls, in seconds.
        :param raise_on_failure: Raise :class:`ExecutionFailedError` when the execution
            ends other than ``success``, instead of returning it.
        :param request_options: Per-poll overrides (:class:`~.base_client.RequestOptions`:
            ``timeout``, ``max_retries``, ``deadline``, ...).
        :returns: The execution in its terminal state.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises WaitTimeoutError: Still not finished after ``timeout``.
        :raises ExecutionFailedError: With ``raise_on_failure``, it did not succeed.
        :raises DiscoveryError: The project id could not be discovered through IAM.
        :raises APIStatusError: A poll was answered with an error.
        :raises TransportError: A poll got no complete answer, after its retries.
        """
        options: RequestOptions = request_options or {}
        check_wait_intervals(timeout, poll_interval, max_poll_interval)
        return await poll_until_finished(
            lambda call: self.get_execution(graph_name, execution_name, **call),
            graph_name=graph_name,
            execution_name=execution_name,
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
    ) -> DwrExecutionDetail:
        """:meth:`start_workflow`, then :meth:`wait_for_execution`.

        :param graph_name: The workflow to start (its name).
        :param bucket: The bucket of the object the execution works on.
        :param object_key: The object's key in ``bucket``.
        :param inputs: Workflow parameters by name (JSON values); ``None``: none.
        :param timeout: Seconds to wait for the end, after the start; ``None``: no limit.
        :param poll_interval: Seconds before the second poll (the first is at once).
        :param max_poll_interval: The longest pause between polls, in seconds.
        :param raise_on_failure: Raise :class:`ExecutionFailedError` unless ``success``.
        :param request_options: Per-call overrides for the start and each poll
            (:class:`~.base_client.RequestOptions`).
        :returns: The execution in its terminal state.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises DiscoveryError: The project id could not be discovered through IAM.
        :raises APIStatusError: The start or a poll was answered with an error.
        :raises TransportError: The start or a poll got no complete answer
            (:func:`~.may_have_started` tells whether the start may have happened).
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

    # -- authorization and agreements ------------------------------------------------

    async def create_authorization(self, **options: Unpack[RequestOptions]) -> OperationResult:
        """``create_workflow_authentication`` (idempotent on the service).

        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        spec = await self._spec("POST", "workflow-authorization", "create_authorization")
        return await self._request(spec, OperationResult, options)

    async def get_authorization(self, **options: Unpack[RequestOptions]) -> DwrAuthorization:
        """``check_workflow_authentication`` (404 :class:`NotFoundError` when none).

        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises NotFoundError: No workflow authorization is in place.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        spec = await self._spec("GET", "workflow-authorization", "get_authorization")
        return await self._request(spec, DwrAuthorization, options)

    async def accept_agreement(
        self, agreement_type: str, **options: Unpack[RequestOptions]
    ) -> OperationResult:
        """``accept_service_contract``: ``agreement_type`` (the query's ``type``) is
        ``use_public_action_privacy_statement`` or ``register_public_action_statement``.

        :param agreement_type: ``use_public_action_privacy_statement`` or
            ``register_public_action_statement`` (the query's ``type``).
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: Another ``agreement_type`` (nothing sent).
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        spec = await self._spec(
            "POST",
            "workflow-agreements",
            "accept_agreement",
            query=[("type", _agreement(agreement_type))],
        )
        return await self._request(spec, OperationResult, options)

    async def get_agreement(
        self, agreement_type: str, **options: Unpack[RequestOptions]
    ) -> DwrAgreement:
        """``show_service_contract``: ``agreement_type`` as for :meth:`accept_agreement`.

        :param agreement_type: ``use_public_action_privacy_statement`` or
            ``register_public_action_statement`` (the query's ``type``).
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: Another ``agreement_type`` (nothing sent).
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        spec = await self._spec(
            "GET",
            "workflow-agreements",
            "get_agreement",
            query=[("type", _agreement(agreement_type))],
        )
        return await self._request(spec, DwrAgreement, options)

    # -- action templates -----------------------------------------------------------

    async def _template_page(
        self, path: str, operation: str, options: RequestOptions, **query: object
    ) -> DwrTemplatePage:
        req = validate_request(DwrListRequest, **query)
        spec = await self._spec("GET", path, operation, query=req.query())
        return await self._request(spec, DwrTemplatePage, options)

    async def list_system_templates(
        self,
        prefix: str | None = None,
        *,
        category: str | None = None,
        offset: int | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> DwrTemplatePage:
        """``list_system_templates``: ``GET /actiontemplates``.

        :param prefix: Keep only templates whose name starts with this text.
        :param category: Keep only templates of this category.
        :param offset: Where the page starts, as the previous page's ``next_offset``
            gave it; ``None``: the first page.
        :param limit: Items per page (default: the service's).
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        return await self._template_page(
            "actiontemplates",
            "list_system_templates",
            options,
            prefix=prefix,
            category=category,
            offset=offset,
            limit=limit,
        )

    async def list_public_templates(
        self,
        prefix: str | None = None,
        *,
        category: str | None = None,
        offset: int | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> DwrTemplatePage:
        """``show_public_action_list``: ``GET /publicactiontemplates``.

        :param prefix: Keep only templates whose name starts with this text.
        :param category: Keep only templates of this category.
        :param offset: Where the page starts, as the previous page's ``next_offset``
            gave it; ``None``: the first page.
        :param limit: Items per page (default: the service's).
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        return await self._template_page(
            "publicactiontemplates",
            "list_public_templates",
            options,
            prefix=prefix,
            category=category,
            offset=offset,
            limit=limit,
        )

    async def list_my_templates(
        self,
        prefix: str | None = None,
        *,
        category: str | None = None,
        status: str | None = None,
        offset: int | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> DwrTemplatePage:
        """``list_my_action_template``: ``GET /myactiontemplates``.

        :param prefix: Keep only templates whose name starts with this text.
        :param category: Keep only templates of this category.
        :param status: Keep only templates in this status (as the service spells it).
        :param offset: Where the page starts, as the previous page's ``next_offset``
            gave it; ``None``: the first page.
        :param limit: Items per page (default: the service's).
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        return await self._template_page(
            "myactiontemplates",
            "list_my_templates",
            options,
            prefix=prefix,
            category=category,
            status=status,
            offset=offset,
            limit=limit,
        )

    async def iter_templates(
        self,
        kind: str = "system",
        prefix: str | None = None,
        *,
        category: str | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncIterator[DwrActionTemplate]:
        """Every template of ``kind`` (``system``, ``public`` or ``mine``), following
        the page's ``offset`` (where the next page starts); ``page_size`` and
        ``max_items`` as for :meth:`iter_workflows`.

        :param kind: ``system`` (:meth:`list_system_templates`), ``public`` or ``mine``
            (your own templates).
        :param prefix: Keep only templates whose name starts with this text.
        :param category: Keep only templates of this category.
        :param page_size: Items per request (default: the most a page holds, or
            ``max_items`` if fewer).
        :param max_items: Stop after this many items (``0``: none, nothing sent);
            ``None``: all.
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: Another ``kind``, or an argument breaks a rule (nothing sent).
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        :raises ResponseParseError: The service said the list goes on but gave no usable
            offset (or sent the same page again).
        """
        size = page_size_or_max(page_size, max_items)
        lister = {
            "system": self.list_system_templates,
            "public": self.list_public_templates,
            "mine": self.list_my_templates,
        }.get(kind)
        if lister is None:
            raise InvalidRequestError([ErrorDetail("kind", "must be system, public or mine")])

        async def page(
            offset: int | str | None,
        ) -> tuple[list[DwrActionTemplate], int | str | None]:
            got = await lister(
                prefix, category=category, offset=_int(offset), limit=size, **options
            )
            return got.action_templates, got.next_cursor(len(got.action_templates))

        async for item in _follow(page, max_items):
            yield item

    async def get_system_template(
        self, template_name: str, **options: Unpack[RequestOptions]
    ) -> DwrTemplateDetail:
        """``show_system_template_detail``: ``GET /actiontemplate/{name}``.

        :param template_name: The action template's name (1-128 characters, no ``/``).
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises NotFoundError: No such template.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        spec = await self._spec(
            "GET", f"actiontemplate/{_template(template_name)}", "get_system_template"
        )
        return await self._request(spec, DwrTemplateDetail, options)

    async def get_public_template(
        self, template_name: str, **options: Unpack[RequestOptions]
    ) -> DwrTemplateDetail:
        """``show_public_template_info``: ``GET /publicactiontemplate/{name}``.

        :param template_name: The action template's name (1-128 characters, no ``/``).
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises NotFoundError: No such template.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        spec = await self._spec(
            "GET", f"publicactiontemplate/{_template(template_name)}", "get_public_template"
        )
        return await self._request(spec, DwrTemplateDetail, options)

    async def get_my_template(
        self, template_name: str, **options: Unpack[RequestOptions]
    ) -> DwrTemplateDetail:
        """``show_third_template_info``: ``GET /myactiontemplate/{name}``.

        :param template_name: The action template's name (1-128 characters, no ``/``).
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises NotFoundError: No such template.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        spec = await self._spec(
            "GET", f"myactiontemplate/{_template(template_name)}", "get_my_template"
        )
        return await self._request(spec, DwrTemplateDetail, options)

    async def create_my_template(
        self,
        template_name: str,
        definition: DwrMyTemplateDefinition | Mapping[str, JsonValue],
        **options: Unpack[RequestOptions],
    ) -> DwrCreateMyTemplateResult:
        """``create_my_action_template``: the answer carries pre-signed upload URLs.

        :param template_name: The new template's name (1-128 characters, no ``/``).
        :param definition: The template: a :class:`~.dwr.models.DwrMyTemplateDefinition`
            or a plain mapping of its fields (checked before sending).
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        body = _definition(DwrMyTemplateDefinition, definition).body()
        spec = await self._spec(
            "POST", f"myactiontemplates/{_template(template_name)}", "create_my_template", body=body
        )
        return await self._request(spec, DwrCreateMyTemplateResult, options)

    async def update_my_template(
        self,
        template_name: str,
        definition: DwrMyTemplateDefinition | Mapping[str, JsonValue],
        **options: Unpack[RequestOptions],
    ) -> DwrUpdateMyTemplateResult:
        """``update_my_action_template``.

        :param template_name: The action template's name (1-128 characters, no ``/``).
        :param definition: The template: a :class:`~.dwr.models.DwrMyTemplateDefinition`
            or a plain mapping of its fields (checked before sending).
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises NotFoundError: No such template.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        body = _definition(DwrMyTemplateDefinition, definition).body()
        spec = await self._spec(
            "PUT", f"myactiontemplates/{_template(template_name)}", "update_my_template", body=body
        )
        return await self._request(spec, DwrUpdateMyTemplateResult, options)

    async def delete_my_template(
        self, template_name: str, **options: Unpack[RequestOptions]
    ) -> OperationResult:
        """``delete_my_action_template``.

        :param template_name: The action template's name (1-128 characters, no ``/``).
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises NotFoundError: No such template.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        spec = await self._spec(
            "DELETE", f"myactiontemplates/{_template(template_name)}", "delete_my_template"
        )
        return await self._request(spec, OperationResult, options)

    async def deprecate_my_template(
        self, template_name: str, **options: Unpack[RequestOptions]
    ) -> OperationResult:
        """``update_my_action_template_to_deprecated``: ``POST .../{name}/forbid``.

        :param template_name: The action template's name (1-128 characters, no ``/``).
        :param options: Per-call overrides (:class:`~.base_client.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises NotFoundError: No such template.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        spec = await self._spec(
            "POST", f"myactiontemplates/{_template(template_name)}/forbid", "deprecate_my_template"
        )
        return await self._request(spec, OperationResult, options)


class _Project(BaseModel):
    id: str | None = None
    name: str | None = None


class _ProjectsAnswer(BaseModel):
    projects: list[_Project] = []


def _project_of_region(answer: _ProjectsAnswer, region: str) -> str:
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


_AGREEMENTS = ("use_public_action_privacy_statement", "register_public_action_statement")


def _agreement(value: str) -> str:
    if value not in _AGREEMENTS:
        raise InvalidRequestError(
            [ErrorDetail("agreement_type", f"must be one of {', '.join(_AGREEMENTS)}")]
        )
    return value


def _definition(model: type[_M], value: _M | Mapping[str, JsonValue]) -> _M:
    if isinstance(value, model):
        return value
    return validate_request(model, **dict(value))


def _execution_span(
    now: datetime, since: datetime | None, until: datetime | None, window: timedelta
) -> tuple[datetime, datetime]:
    """``iter_executions``' span (default: the 3 days up to ``until``, itself default now),
    checked along with ``window``."""
    until = until or now
    since = since or (until - EXECUTION_WINDOW)
    if since > until:
        raise InvalidRequestError([ErrorDetail("since", "must not be after until")])
    if window <= timedelta(0):
        raise InvalidRequestError([ErrorDetail("window", "must be positive")])
    return since, until


def _started_at_edge(item: ExecutionSummary, end: datetime) -> bool:
    """Started on a window's closing second (the next window lists it again)."""
    if item.started_at is None:
        return False
    return item.started_at.replace(microsecond=0) >= end.replace(microsecond=0)


def _next_offset(page: DwrExecutionPage, used: set[int]) -> int | None:
    """The offset of the page after ``page`` in its window (``None``: it was the last);
    raises for a truncated page with no usable offset, or one already followed.

    A ``next_offset`` is followed whatever ``is_truncated`` says, unless the page is
    empty and does not say it is truncated."""
    cursor = page.next_offset if page.next_offset is not None else page.next_marker
    if cursor is None and not page.is_truncated:
        return None
    if cursor is not None and not page.is_truncated and not page.executions:
        return None
    nxt = None if cursor is None else _int(cursor)
    if nxt is None or nxt in used:
        raise ResponseParseError(
            "the service said the list is truncated but gave no usable next_offset",
            status=200,
            request_id=page.request_id,
            body="",
        )
    used.add(nxt)
    return nxt


def _repeated_page(request_id: str | None) -> ResponseParseError:
    return ResponseParseError(
        "the service sent the same page again for the next offset (it would never end)",
        status=200,
        request_id=request_id,
        body="",
    )


def _int(cursor: int | str | None) -> int | None:
    if cursor is None or isinstance(cursor, int):
        return cursor
    return int(cursor) if cursor.isdigit() else None


async def _follow(
    fetch: Callable[[int | str | None], Awaitable[tuple[list[_T], int | str | None]]],
    max_items: int | None,
) -> AsyncIterator[_T]:
    """Pages until one has no next cursor; a cursor seen twice, or a page repeating
    the one before, raises (no loop). ``max_items=0``: nothing is fetched."""
    check_max_items(max_items)
    if max_items == 0:
        return
    cursor: int | str | None = None
    used: set[int | str] = set()
    yielded = 0
    last: list[_T] = []
    while True:
        items, nxt = await fetch(cursor)
        if items and items == last:  # the cursor was ignored: it would never end
            raise _repeated_page(None)
        last = items
        for item in items:
            yield item
            yielded += 1
            if max_items is not None and yielded >= max_items:
                return
        if nxt is None:
            return
        if nxt in used or _int(nxt) is None:
            raise ResponseParseError(
                "the service said the list is truncated but gave no usable next offset",
                status=200,
                request_id=None,
                body="",
            )
        used.add(nxt)
        cursor = nxt
