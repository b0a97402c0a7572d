"""``AsyncWorkflowClient``: the public async client, assembled from the API groups.

Layering: an API method validates its arguments (:mod:`.models`), builds a
:class:`~.transport.RequestSpec`, hands it to the :class:`~.transport.Pipeline`
(which signs with :mod:`.signing` and retries per :mod:`.retry`) and parses the
answer into a typed model.
"""

from __future__ import annotations

from .._core.batch import BatchAPI
from .._core.settle import SettleAPI
from .resources.executions import ExecutionsAPI
from .resources.policies import TriggerPoliciesAPI
from .resources.templates import TemplatesAPI
from .resources.workflows import WorkflowsAPI

__all__ = ["AsyncWorkflowClient"]


class AsyncWorkflowClient(
    SettleAPI,
    ExecutionsAPI,
    BatchAPI,
    WorkflowsAPI,
    TemplatesAPI,
    TriggerPoliciesAPI,
):
    """Async client for Huawei Cloud OBS workflows (Data+).

    Use it as an async context manager, or call :meth:`aclose` when done::

        async with AsyncWorkflowClient(server="https://obs.cn-north-4.myhuaweicloud.com",
                                       access_key_id=ak, secret_access_key=sk) as client:
            result = await client.start_workflow("graph", "bucket", "videos/a.mp4")

    One pooled ``aiohttp`` session per client, created lazily inside the running
    loop. Credentials fall back to ``OBS_ACCESS_KEY_ID``/``OBS_SECRET_ACCESS_KEY``/
    ``OBS_SECURITY_TOKEN`` when not passed (read in the constructor). Every method
    takes the per-call overrides of :class:`~.base_client.RequestOptions`
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
