"""``WorkflowClient``: the official constructor's keywords, the wrapped client's lifecycle,
and the 16 calls (one mixin per group of the SDK's calls)."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from .._config import Timeout
from ..v2.client import AsyncWorkflowClient
from ._arguments import proxy_url, refuse_unsupported, sdk_credentials, server_url, warn_ignored
from ._executions import ExecutionCalls
from ._policies import TriggerPolicyCalls
from ._templates import TemplateCalls
from ._workflows import WorkflowCalls

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["WorkflowClient"]


class WorkflowClient(ExecutionCalls, WorkflowCalls, TemplateCalls, TriggerPolicyCalls):
    """``obs.WorkflowClient``'s 16 calls as coroutines, returning typed ``GetResult``\\ s.

    The constructor takes the official keyword arguments (by keyword). Supported ones map
    onto :class:`~obs_workflow_async.AsyncWorkflowClient`; an official option this client
    cannot honour raises :class:`~obs_workflow_async.InvalidRequestError` when ignoring it
    would change what is sent or trusted, and warns
    (:class:`~obs_workflow_async.compat.SdkCompatWarning`) when it would not; anything
    else is a ``TypeError``. Use ``async with``, or ``await client.close()`` (or
    ``aclose()``) when done. For options the SDK does not have
    (hooks, deadlines, ...), build an ``AsyncWorkflowClient`` and wrap it with
    :meth:`from_client`. Per-call overrides (:class:`~obs_workflow_async.RequestOptions`)
    are the wrapped client's: ``client.async_client.start_workflow(..., timeout=5)``.

    Each keyword below says whether it is supported (mapped onto
    :class:`~obs_workflow_async.AsyncWorkflowClient`), accepted with no effect, ignored
    with a :class:`~obs_workflow_async.compat.SdkCompatWarning` (the answers are the
    same), or refused with :class:`~obs_workflow_async.InvalidRequestError` when set
    (ignoring it would change what is sent, to whom, or what is trusted).

    :param access_key_id: The access key (with ``secret_access_key``). Both set: they
        win over ``security_provider_policy``, as in the SDK.
    :param secret_access_key: The secret key.
    :param security_token: The temporary credentials' token (with the keys).
    :param server: The endpoint, with or without a scheme (``https://`` unless
        ``is_secure=False``). Required (:class:`~obs_workflow_async.InvalidRequestError`
        when empty).
    :param is_secure: Without a scheme in ``server``: ``https`` (default) or ``http``.
    :param port: The port, unless ``server`` names one (then ``server``'s wins).
    :param signature: ``obs`` (default), ``v2`` or ``v4``: how requests are signed.
    :param region: The region, for ``v4`` signatures.
    :param ssl_verify: ``True``/``None`` (verify, the default), ``False`` (do not), or
        a CA bundle path.
    :param max_retry_count: Retries after the first attempt (``max_retries``).
    :param timeout: Seconds per attempt (the total; connecting at most 10 s of it).
        ``None`` is refused.
    :param proxy_host: An HTTP proxy's host; without it the other ``proxy_*`` options
        are ignored, as by the SDK.
    :param proxy_port: The proxy's port.
    :param proxy_username: The proxy's user name.
    :param proxy_password: The proxy's password (with ``proxy_username``).
    :param pool_size: Connections at most (``max_connections``; default 100).
    :param trust_env: Use ``HTTP(S)_PROXY``/``NO_PROXY`` and ``~/.netrc``.
    :param security_provider_policy: Where keys come from when both keys are not
        given: ``ENV``, ``ECS``, ``OIDC`` or ``OBS_DEFAULT`` (the chain); another value
        is refused. Without it (and without keys) no environment is read.
    :param long_conn_mode: Accepted, no effect: connections are always pooled and kept
        alive.
    :param use_http_conns: Accepted, no effect (as ``long_conn_mode``).
    :param use_http2: Ignored with a warning when ``True``: HTTP/1.1 is used.
    :param max_redirect_count: Ignored with a warning when other than ``0`` or ``10``:
        redirects are never followed (a 3xx is returned).
    :param chunk_size: Ignored with a warning when other than ``65536``: answers are
        read whole (up to a size cap).
    :param isJsonResult: Refused when ``True``: bodies are typed models, never raw JSON.
    :param path_style: Refused when ``True`` (the SDK refuses it too).
    :param is_signature_negotiation: Refused when ``True`` (the SDK refuses it too).
    :param is_cname: Refused when ``True``.
    :param is_use_gmssl: Refused when ``True``: GM/T TLS is not supported.
    :param client_verify: Refused when set: build an ``ssl.SSLContext`` with the client
        certificate, pass it as ``AsyncWorkflowClient(verify=...)`` and wrap that client
        with :meth:`from_client`.
    :param custom_ciphers: Refused when set: as for ``client_verify``, use an
        ``ssl.SSLContext``.
    :param security_providers: Refused when set: use ``security_provider_policy``, or
        ``AsyncWorkflowClient(credentials=<provider>)`` and :meth:`from_client`.
    :raises InvalidRequestError: A refused option, no ``server``, or an invalid value.
    :raises CredentialsError: No complete key pair and no ``security_provider_policy``.
    :raises TypeError: A keyword the SDK does not have.
    """

    def __init__(
        self,
        isJsonResult: bool = False,
        *,
        access_key_id: str = "",
        secret_access_key: str = "",
        is_secure: bool = True,
        server: str | None = None,
        signature: str = "obs",
        region: str | None = None,
        path_style: bool = False,
        ssl_verify: bool | str | None = None,
        is_use_gmssl: bool = False,
        port: int | None = None,
        max_retry_count: int = 3,
        timeout: float | None = 60,
        chunk_size: int = 65536,
        long_conn_mode: bool = False,
        proxy_host: str | None = None,
        proxy_port: int | None = None,
        client_verify: object = None,
        proxy_username: str | None = None,
        proxy_password: str | None = None,
        security_token: str | None = None,
        custom_ciphers: str | None = None,
        use_http2: bool = False,
        is_signature_negotiation: bool = False,
        is_cname: bool = False,
        max_redirect_count: int = 10,
        security_providers: object = None,
        security_provider_policy: str | None = None,
        use_http_conns: bool = False,
        pool_size: int | None = None,
        trust_env: bool = False,
    ) -> None:
        refuse_unsupported(
            json_result=isJsonResult,
            path_style=path_style,
            is_signature_negotiation=is_signature_negotiation,
            is_cname=is_cname,
            security_providers=security_providers,
            is_use_gmssl=is_use_gmssl,
            client_verify=client_verify,
            custom_ciphers=custom_ciphers,
            timeout=timeout,
            security_provider_policy=security_provider_policy,
        )
        assert timeout is not None  # refused above
        warn_ignored(
            use_http2=use_http2, max_redirect_count=max_redirect_count, chunk_size=chunk_size
        )
        ak, sk, token, credentials = sdk_credentials(
            access_key_id, secret_access_key, security_token, security_provider_policy
        )
        # Without a policy the SDK reads no environment, and neither do we: a missing key
        # is a CredentialsError here, where the SDK would send unsigned requests.
        self._client = AsyncWorkflowClient(
            server=server_url(server, is_secure, port),
            access_key_id=ak,
            secret_access_key=sk,
            security_token=token,
            credentials=credentials,
            environ={} if credentials is None else None,
            signature=signature,
            region=region,
            timeout=Timeout(total=float(timeout), connect=min(float(timeout), 10.0)),
            max_retries=max_retry_count,
            max_connections=100 if pool_size is None else pool_size,
            verify=True if ssl_verify is None else ssl_verify,
            proxy=proxy_url(proxy_host, proxy_port, proxy_username, proxy_password),
            trust_env=trust_env,
        )
        self._owns_client = True

    @classmethod
    def from_client(cls, client: AsyncWorkflowClient) -> WorkflowClient:
        """Wrap an existing client (its options, hooks and pool); closing the wrapper
        does not close ``client``.

        :param client: The :class:`~obs_workflow_async.AsyncWorkflowClient` whose calls
            the wrapper makes.
        """
        wrapper = object.__new__(cls)
        wrapper._client = client
        wrapper._owns_client = False
        return wrapper

    @property
    def async_client(self) -> AsyncWorkflowClient:
        """The wrapped client: the snake_case API, which raises typed errors."""
        return self._client

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._owns_client:
            await self._client.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (unless the client came from :meth:`from_client`)."""
        if self._owns_client:
            await self._client.aclose()

    async def close(self) -> None:
        """``obs.WorkflowClient.close()``, awaitable: the same as :meth:`aclose`."""
        await self.aclose()

    @property
    def closed(self) -> bool:
        """Whether the underlying client is closed."""
        return self._client.closed

    def __repr__(self) -> str:
        return f"WorkflowClient({self._client!r})"
