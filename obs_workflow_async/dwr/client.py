"""``AsyncDwrClient``: the DWR v3 API on the neutral core, as
:class:`~obs_workflow_async.AsyncWorkflowClient` is the v2 one.

Same options, transport, retries, hooks, credential providers, error hierarchy and
engines (batch, settle, wait); only the dialect (hosts, ``/v3/{project_id}`` paths,
``SDK-HMAC-SHA256``) and the resources differ. Reading order: this module, then
:mod:`.resources.executions` (``start_workflow``), :mod:`.project` (the project id
and the call path) and :mod:`.dialect`. See ``docs/dwr-v3.md``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING

import aiohttp

from .._config import (
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_RETRY_AFTER_CAP,
    DEFAULT_TIMEOUT,
    Runtime,
    TimeoutLike,
    VerifyLike,
    parse_endpoint,
)
from .._core.client import CoreClient
from .._core.options import ClientOptions
from .._core.protocols import Lister
from .._core.shared import SharedMethods
from .._core.starts import Starts
from ..credentials import Credentials, CredentialsCache, CredentialsProvider
from ..errors import DiscoveryError, ErrorDetail, InvalidRequestError
from ..hooks import Hook
from ..transport import Transport
from ._refs import load_models
from .dialect import DwrDialect, dwr_endpoint_for_region, iam_endpoint_for_region, sdk_host
from .project import DwrCalls, ProjectIdError, ProjectIds, iam_discovery
from .resources.authorization import AuthorizationMethods
from .resources.executions import ExecutionsMethods, execution_call, start_spec
from .resources.templates import TemplatesMethods
from .resources.workflows import WorkflowsMethods

if TYPE_CHECKING:
    from .models import DwrExecutionDetail  # noqa: F401 (the base class below names it)

__all__ = ["AsyncDwrClient", "DiscoveryError", "ProjectIdError"]

ENV_AK = "HUAWEICLOUD_SDK_AK"
ENV_SK = "HUAWEICLOUD_SDK_SK"
ENV_TOKEN = "HUAWEICLOUD_SDK_SECURITY_TOKEN"
ENV_PROJECT_ID = "HUAWEICLOUD_SDK_PROJECT_ID"
ENV_IAM_ENDPOINT = "HUAWEICLOUD_SDK_IAM_ENDPOINT"


class _Shared:
    """What a copy (``with_options``) shares with its parent besides the transport and
    the credentials: the dialect and the project id (discovered once for both)."""

    __slots__ = ("dialect", "project")

    def __init__(self, dialect: DwrDialect, project: ProjectIds) -> None:
        self.dialect: DwrDialect = dialect
        self.project: ProjectIds = project


class AsyncDwrClient(
    ExecutionsMethods,
    WorkflowsMethods,
    TemplatesMethods,
    AuthorizationMethods,
    SharedMethods["DwrExecutionDetail"],
):
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
    ``start_many``/``start_all``, ``wait_for_execution``/``start_and_wait``,
    ``find_executions``, ``settle`` and ``settle_outcomes`` are the shared engines of
    the core, starting through the v3 ``execute`` call and sweeping the v3 listing
    window by window (:mod:`.resources`).

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

    _core: CoreClient

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
        _options: ClientOptions | None = None,
        _shared: _Shared | None = None,
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
        options = _options or ClientOptions.from_arguments(locals())
        if _shared is None:
            dialect = DwrDialect(
                parsed, user_agent=options.user_agent, project_id=project_id, host=sdk_host(server)
            )
        else:
            dialect = _shared.dialect
        self.region: str | None = region
        self._core = core = CoreClient(parsed, dialect, options)
        if _shared is not None:
            project = _shared.project
        elif project_id is None and region is not None:
            iam_server = (
                iam_endpoint or env.get(ENV_IAM_ENDPOINT) or iam_endpoint_for_region(region)
            )
            iam = parse_endpoint(iam_server)
            iam_dialect = DwrDialect(
                iam, user_agent=options.user_agent, content_type=False, host=sdk_host(iam_server)
            )
            iam_pipeline = core.side_pipeline(
                iam, iam_dialect, options.make_transport(iam, max_connections=2)
            )
            project = ProjectIds(None, region, iam_discovery(iam_pipeline, region))
            core.close_with(project.aclose)
            core.close_with(iam_pipeline.aclose)
        else:
            project = ProjectIds(project_id, region, None)
        self._project = project
        self._arguments = {
            "region": region,
            "endpoint": server,
            "project_id": project_id,
            "iam_endpoint": iam_endpoint,
            "_shared": _Shared(dialect, project),
        }
        self._dwr = DwrCalls(core, dialect, project)
        starts = Starts(
            self._dwr.request, start_spec(self._dwr), partial(execution_call, self._dwr)
        )
        self._starter = starts
        self._poller = starts
        load_models()  # the models this client's calls use: built now, not at import

    def _settle_lister(self) -> Lister:
        from .resources.settle import DwrLister

        return DwrLister(self._dwr)

    def __repr__(self) -> str:
        return (
            f"AsyncDwrClient(server={self.server!r}, region={self.region!r}, "
            f"project_id={self._project.value!r}, credentials={self._core.credentials!r}, "
            f"closed={self.closed})"
        )

    async def project_id(self) -> str:
        """The project id in use (discovered through IAM on first use if not given).

        A failed discovery raises :class:`DiscoveryError` (``__cause__``: IAM's error).
        """
        return await self._dwr.project_for(self._core.call_options({}))
