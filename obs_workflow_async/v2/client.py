"""``AsyncWorkflowClient``: the OBS workflow (v2) API on the neutral core.

Reading order for a newcomer: this module (options → ``CoreClient``
with the v2 :class:`~.dialect.ObsDialect`, and the engines' protocols implemented by
:mod:`.resources`), then :mod:`.resources.executions` (``start_workflow`` builds a
:class:`~obs_workflow_async._pipeline.RequestSpec` and calls ``self._core.request``),
then :mod:`.dialect` (addressing and signing). The retry loop is
:mod:`obs_workflow_async._pipeline`; what talks to the wire is the transport.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import aiohttp

from .._config import (
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_RETRY_AFTER_CAP,
    DEFAULT_TIMEOUT,
    Runtime,
    TimeoutLike,
    VerifyLike,
    check_signature_mode,
    parse_endpoint,
)
from .._core.client import CoreClient
from .._core.options import ClientOptions
from .._core.protocols import Lister
from .._core.shared import SharedMethods
from .._core.starts import Starts
from ..credentials import Credentials, CredentialsCache, CredentialsProvider
from ..errors import ErrorDetail, InvalidRequestError
from ..hooks import Hook
from ..transport import Transport
from .dialect import ObsDialect, server_from
from .resources._refs import load_models
from .resources.executions import ExecutionsMethods, get_execution_call, start_spec
from .resources.policies import TriggerPoliciesMethods
from .resources.templates import TemplatesMethods
from .resources.workflows import WorkflowsMethods

if TYPE_CHECKING:
    from ..models import ExecutionDetail  # noqa: F401 (the base class below names it)

__all__ = ["AsyncWorkflowClient"]

_REGION_FROM_HOST = re.compile(r"^obs\.([a-z0-9-]+)\.myhuaweicloud\.com$")


class AsyncWorkflowClient(
    ExecutionsMethods,
    WorkflowsMethods,
    TemplatesMethods,
    TriggerPoliciesMethods,
    SharedMethods["ExecutionDetail"],
):
    """Async client for Huawei Cloud OBS workflows (Data+).

    Use it as an async context manager, or call :meth:`aclose` when done::

        async with AsyncWorkflowClient(server="https://obs.cn-north-4.myhuaweicloud.com",
                                       access_key_id=ak, secret_access_key=sk) as client:
            result = await client.start_workflow("graph", "bucket", "videos/a.mp4")

    One pooled ``aiohttp`` session per client, created lazily inside the running
    loop. Credentials fall back to ``OBS_ACCESS_KEY_ID``/``OBS_SECRET_ACCESS_KEY``/
    ``OBS_SECURITY_TOKEN`` when not passed (read in the constructor). Every method
    takes the per-call overrides of :class:`~obs_workflow_async.RequestOptions`
    (``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
    ``retry_non_idempotent``). See ``docs/configuration.md`` for every option.

    :param server: Endpoint URL (``https://obs.cn-north-4.myhuaweicloud.com``) or a
        bare host (HTTPS assumed). Omitted: the ``OBS_SERVER`` environment variable.
    :param access_key_id: The access key; with ``secret_access_key``. Omitted (both):
        ``OBS_ACCESS_KEY_ID``.
    :param secret_access_key: The secret key. Omitted: ``OBS_SECRET_ACCESS_KEY``.
    :param security_token: Temporary credentials' token, sent signed. Omitted with the
        environment keys: ``OBS_SECURITY_TOKEN``.
    :param credentials: Instead of the keys: a ``Credentials``, a provider with
        ``async get()`` (``default_chain()``, ``EcsMetadataProvider``, ...) or a
        ``CredentialsCache`` (shared between clients, not closed by this one).
    :param signature: ``"obs"`` (default), ``"v2"`` or ``"v4"``.
    :param region: The region signed in ``v4``; read from an
        ``obs.<region>.myhuaweicloud.com`` server when omitted.
    :param timeout: Per attempt: seconds (the total) or a :class:`~.Timeout`.
    :param deadline: Seconds for the whole call (attempts, sleeps, pool wait);
        ``None``: no limit. Set one inside a web request.
    :param max_retries: Retries after the first attempt; ``0`` disables them.
    :param retry_non_idempotent: Also retry a start that may have reached the service
        (500, 502, 504, a lost answer): it may start the workflow twice.
    :param retry_after_cap: The longest ``Retry-After`` waited for per retry (seconds);
        a longer one raises at once with ``retry_after`` set.
    :param max_retry_wait: Seconds one call may sleep between attempts in total;
        ``None``: no total.
    :param max_connections: Connections (and requests in flight) at most; more calls
        queue in order.
    :param keepalive_timeout: Seconds an idle pooled connection is kept.
    :param reuse_connections_for_starts: Send starts on pooled connections (cheaper).
        ``False`` (the default) sends each start on a connection of its own, so an
        unsolicited answer from a server or proxy can never be taken as a start's
        answer (docs/reliability.md, "One answer per request").
    :param verify: ``True`` (system CAs), a CA bundle path, an ``ssl.SSLContext``, or
        ``False`` (no TLS checks, explicitly).
    :param proxy: ``http://[user:password@]host:port``.
    :param trust_env: Use ``HTTP(S)_PROXY``/``NO_PROXY`` and ``~/.netrc`` as aiohttp
        reads them.
    :param hooks: Callbacks receiving a :class:`~.hooks.RequestEvent` at every step of
        every call (metrics, tracing).
    :param user_agent: The ``User-Agent`` header.
    :param session: An ``aiohttp.ClientSession`` of yours: used, never closed.
    :param environ: The mapping the ``OBS_*`` variables are read from (default
        ``os.environ``), when the client is built.
    :param transport: What sends each attempt (:class:`~.Transport`); default: an
        :class:`~.AiohttpTransport` (tests pass a mock).
    :param runtime: Clock, sleep and randomness (:class:`~.Runtime`; inject in tests).
    :raises InvalidRequestError: An argument is invalid, or neither ``server`` nor
        ``OBS_SERVER`` is set.
    :raises CredentialsError: No complete key pair in the arguments or the
        environment (and no ``credentials``).
    """

    _core: CoreClient

    def __init__(
        self,
        *,
        server: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        security_token: str | None = None,
        credentials: Credentials | CredentialsProvider | CredentialsCache | None = None,
        signature: str = "obs",
        region: str | None = None,
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
    ) -> None:
        endpoint = parse_endpoint(server_from(server, environ))
        mode = check_signature_mode(signature)
        if mode == "v4" and region is None:
            match = _REGION_FROM_HOST.match(endpoint.host)
            if match is None:
                raise InvalidRequestError(
                    [ErrorDetail("region", "is required for signature='v4' with this server")]
                )
            region = match.group(1)
        options = _options or ClientOptions.from_arguments(locals())
        self._signature = mode
        self._arguments = {"server": endpoint.origin, "signature": mode, "region": region}
        self._core = CoreClient(endpoint, ObsDialect(endpoint, mode, region or "region"), options)
        starts = Starts(self._core.request, start_spec, get_execution_call)
        self._starter = starts
        self._poller = starts
        load_models()  # the models this client's calls use: built now, not at import

    def _settle_lister(self) -> Lister:
        from .resources.settle import V2Lister

        return V2Lister(self._core)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(server={self.server!r}, signature={self._signature!r}, "
            f"credentials={self._core.credentials!r}, proxy={self._core.pipeline.proxy!r}, "
            f"closed={self.closed})"
        )
