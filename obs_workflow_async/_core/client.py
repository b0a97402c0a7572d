"""The client core: configuration, lifecycle, and one typed call through the transport.

The API groups (:mod:`.api`) build a validated :class:`~.transport.RequestSpec`
and call :meth:`BaseClient._call`; every call goes through the same transport,
signing, retry policy and error hierarchy.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, TypedDict, TypeVar, cast, overload

import aiohttp
from pydantic import BaseModel, ValidationError

from .._aiohttp_transport import AiohttpTransport
from .._config import (
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_RETRY_AFTER_CAP,
    DEFAULT_TIMEOUT,
    Endpoint,
    RetryConfig,
    Runtime,
    TimeoutLike,
    VerifyLike,
    check_signature_mode,
    parse_endpoint,
    parse_proxy,
    to_timeout,
)
from .._logs import configure_from_env
from .._pipeline import CallOptions, Dialect, Pipeline, RawResponse, RequestSpec
from .._version import __version__
from ..credentials import (
    Credentials,
    CredentialsCache,
    CredentialsProvider,
    StaticProvider,
    resolve_credentials,
)
from ..errors import ErrorDetail, InvalidRequestError, ResponseParseError
from ..hooks import Hook
from ..models import OperationResult, StartWorkflowResult
from ..models._executions import read_start_answer
from ..transport import Transport
from ..v2.dialect import ObsDialect
from ..validation import check_header_value

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

__all__ = ["BaseClient", "RequestOptions", "parse_answer"]

DEFAULT_USER_AGENT = f"obs-workflow-async/{__version__}"
_M = TypeVar("_M", bound=BaseModel)
_REGION_FROM_HOST = re.compile(r"^obs\.([a-z0-9-]+)\.myhuaweicloud\.com$")
ENV_SERVER = "OBS_SERVER"


def server_from(server: str | None, environ: Mapping[str, str] | None) -> str:
    """``server`` when given, else the ``OBS_SERVER`` environment variable (read from
    ``environ`` when given, at construction, never at import).

    Raises :class:`InvalidRequestError` naming both when neither is set.
    """
    if server is None:
        env = os.environ if environ is None else environ
        server = env.get(ENV_SERVER, "").strip() or None
    if server is None:
        raise InvalidRequestError(
            [ErrorDetail("server", f"pass server= or set the {ENV_SERVER} environment variable")]
        )
    return server


def _credentials_cache(
    credentials: Credentials | CredentialsProvider | CredentialsCache | None,
    access_key_id: str | None,
    secret_access_key: str | None,
    security_token: str | None,
    environ: Mapping[str, str] | None,
) -> CredentialsCache:
    if credentials is not None:
        if access_key_id or secret_access_key or security_token:
            raise InvalidRequestError(
                [ErrorDetail("credentials", "pass either credentials= or the key arguments")]
            )
        if isinstance(credentials, Credentials):
            return CredentialsCache(StaticProvider(credentials), initial=credentials)
        if isinstance(credentials, CredentialsCache):
            return credentials  # custom refresh windows, or shared between clients
        if not isinstance(credentials, CredentialsProvider):
            raise InvalidRequestError(
                [ErrorDetail("credentials", "must be Credentials or a provider with async get()")]
            )
        return CredentialsCache(credentials)
    static = resolve_credentials(access_key_id, secret_access_key, security_token, environ)
    return CredentialsCache(StaticProvider(static), initial=static)


def _parse_error(
    raw: RawResponse, model: type[BaseModel], exc: ValidationError
) -> ResponseParseError:
    problems = exc.errors(include_url=False, include_input=False)
    if problems and problems[0]["type"] == "json_invalid":
        what = "body is not JSON"
    elif problems and problems[0]["type"] == "model_type":
        what = "expected a JSON object"
    else:
        details = ", ".join(".".join(str(p) for p in e["loc"]) + ": " + e["msg"] for e in problems)
        what = f"body does not match {model.__name__} ({details})"
    if issubclass(model, StartWorkflowResult):
        # A 2xx to a start is a start: say so, whatever the body (may_have_started).
        what += (
            "; the execution may have started: check the workflow's executions "
            "before starting this object again"
        )
    return ResponseParseError(
        what,
        status=raw.status,
        request_id=raw.request_id,
        body=raw.body[:2000].decode("utf-8", errors="replace"),
        headers=raw.headers,
    )


def parse_answer(model: type[_M], raw: RawResponse) -> _M:
    """Validate the JSON body of a 2xx answer into ``model``, adding the response
    metadata; :class:`ResponseParseError` if it does not fit.

    The common start answer is read without pydantic's validator, into an equal
    result (:func:`~.models._executions.read_start_answer`)."""
    if model is StartWorkflowResult:
        started = read_start_answer(raw.body, raw.headers, raw.request_id, raw.retries_taken)
        if started is not None:
            return cast(_M, started)
    context: dict[str, object] = {"headers": raw.headers, "retries_taken": raw.retries_taken}
    if raw.request_id is not None:
        context["request_id"] = raw.request_id  # else the body's request_id, if any
    try:
        # The compiled validator itself (model_validate_json adds only a Python frame).
        result: _M = model.__pydantic_validator__.validate_json(raw.body, context=context)
    except ValidationError as exc:
        raise _parse_error(raw, model, exc) from None
    return result


class RequestOptions(TypedDict, total=False):
    """Per-call overrides of the client's settings; omitted keys keep the client's."""

    timeout: TimeoutLike
    max_retries: int
    deadline: float | None
    retry_non_idempotent: bool
    max_retry_wait: float | None


class BaseClient:
    """Configuration, lifecycle and the typed call; see :class:`~.AsyncWorkflowClient`."""

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
    ) -> None:
        configure_from_env(environ)  # OBS_WORKFLOW_LOG=debug: read now, never at import
        endpoint = parse_endpoint(server_from(server, environ))
        mode = check_signature_mode(signature)
        if mode == "v4" and region is None:
            match = _REGION_FROM_HOST.match(endpoint.host)
            if match is None:
                raise InvalidRequestError(
                    [ErrorDetail("region", "is required for signature='v4' with this server")]
                )
            region = match.group(1)
        self._signature = mode
        self._setup(
            endpoint=endpoint,
            dialect=ObsDialect(endpoint, mode, region or "region"),
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
            user_agent=user_agent,
            session=session,
            environ=environ,
            transport=transport,
            runtime=runtime,
        )

    def _setup(
        self,
        *,
        endpoint: Endpoint,
        dialect: Dialect,
        access_key_id: str | None,
        secret_access_key: str | None,
        security_token: str | None,
        credentials: Credentials | CredentialsProvider | CredentialsCache | None,
        timeout: TimeoutLike,
        deadline: float | None,
        max_retries: int,
        retry_non_idempotent: bool,
        retry_after_cap: float,
        max_retry_wait: float | None,
        max_connections: int,
        keepalive_timeout: float,
        reuse_connections_for_starts: bool,
        verify: VerifyLike,
        proxy: str | None,
        trust_env: bool,
        hooks: Sequence[Hook],
        user_agent: str | None,
        session: aiohttp.ClientSession | None,
        environ: Mapping[str, str] | None,
        transport: Transport | None,
        runtime: Runtime | None,
    ) -> None:
        """Everything but the API's addressing and signing (``dialect``): credentials,
        call options, the transport and the transport. Shared with the DWR v3 client."""
        if isinstance(max_connections, bool) or not isinstance(max_connections, int):
            raise InvalidRequestError([ErrorDetail("max_connections", "must be an int")])
        if max_connections < 1:
            raise InvalidRequestError(
                [ErrorDetail("max_connections", f"must be >= 1 (got {max_connections})")]
            )
        if deadline is not None and not deadline > 0:
            raise InvalidRequestError(
                [ErrorDetail("deadline", f"must be positive or None (got {deadline!r})")]
            )
        self._credentials = _credentials_cache(
            credentials, access_key_id, secret_access_key, security_token, environ
        )
        # A cache passed in may be shared with other clients: only ours is closed here.
        self._owns_credentials = not isinstance(credentials, CredentialsCache)
        if user_agent is not None and check_header_value(user_agent) is not None:
            raise InvalidRequestError([ErrorDetail("user_agent", "must not contain CR, LF or NUL")])
        self._default_options = CallOptions(
            to_timeout(timeout),
            RetryConfig(
                max_retries=max_retries,
                retry_non_idempotent=retry_non_idempotent,
                retry_after_cap=retry_after_cap,
                max_retry_wait=max_retry_wait,
            ),
            deadline,
        )
        self._owns_pipeline = True
        parsed_proxy = parse_proxy(proxy) if proxy is not None else None
        runtime = runtime or Runtime()
        if transport is None:
            transport = AiohttpTransport(
                endpoint=endpoint,
                verify=verify,
                max_connections=max_connections,
                keepalive_timeout=keepalive_timeout,
                reuse_for_non_idempotent=reuse_connections_for_starts,
                user_agent=user_agent or DEFAULT_USER_AGENT,
                session=session,
                proxy=parsed_proxy,
                trust_env=trust_env,
                clock=runtime.clock,
            )
        elif session is not None:
            raise InvalidRequestError(
                [ErrorDetail("session", "pass either transport= or session=")]
            )
        self._pipeline = Pipeline(
            endpoint=endpoint,
            credentials=self._credentials,
            transport=transport,
            proxy=parsed_proxy,
            hooks=hooks,
            runtime=runtime,
            dialect=dialect,
        )
        self._runtime = runtime
        self._hooks = tuple(hooks)

    # -- lifecycle ---------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self._pipeline.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled session (unless it was passed in). Safe to call twice.

        A copy made with :meth:`with_options` shares its parent's pool and does not
        close it.
        """
        if self._owns_pipeline:
            await self._pipeline.aclose()
            if self._owns_credentials:
                await self._credentials.aclose()  # a background refresh still running

    @property
    def closed(self) -> bool:
        return self._pipeline.closed

    @property
    def server(self) -> str:
        return self._pipeline.endpoint.origin

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(server={self.server!r}, signature={self._signature!r}, "
            f"credentials={self._credentials!r}, proxy={self._pipeline.proxy!r}, "
            f"closed={self.closed})"
        )

    def with_options(self, **options: Unpack[RequestOptions]) -> Self:
        """A view of this client with other defaults, sharing its connection pool.

        ``client.with_options(timeout=5, max_retries=0)``; closing the view does not
        close the pool, closing the parent does.

        :param options: The view's defaults (:class:`RequestOptions`): ``timeout``,
            ``max_retries``, ``deadline``, ``max_retry_wait``, ``retry_non_idempotent``;
            omitted ones keep this client's.
        :raises InvalidRequestError: An option is invalid.
        """
        view = object.__new__(type(self))
        view._share(self, self._options(options))
        return view

    def _share(self, parent: BaseClient, defaults: CallOptions) -> None:
        """Set up a view of ``parent`` (every attribute named here, none copied blindly):
        its transport and credentials, owned by the parent, and other defaults."""
        self._credentials = parent._credentials
        self._owns_credentials = False
        self._signature = parent._signature
        self._default_options = defaults
        self._pipeline = parent._pipeline
        self._owns_pipeline = False

    # -- plumbing ----------------------------------------------------------------

    def _options(self, overrides: RequestOptions) -> CallOptions:
        if not overrides:
            return self._default_options
        unknown = set(overrides) - set(RequestOptions.__annotations__)
        if unknown:
            raise TypeError(f"unknown request options: {', '.join(sorted(unknown))}")
        base = self._default_options
        retry = base.retry
        if {"max_retries", "retry_non_idempotent", "max_retry_wait"} & overrides.keys():
            retry = RetryConfig(
                max_retries=overrides.get("max_retries", retry.max_retries),
                retry_non_idempotent=overrides.get(
                    "retry_non_idempotent", retry.retry_non_idempotent
                ),
                backoff_base=retry.backoff_base,
                backoff_cap=retry.backoff_cap,
                retry_after_cap=retry.retry_after_cap,
                max_retry_wait=overrides.get("max_retry_wait", retry.max_retry_wait),
            )
        deadline = overrides.get("deadline", base.deadline)
        if deadline is not None and not deadline > 0:
            raise InvalidRequestError(
                [ErrorDetail("deadline", f"must be positive or None (got {deadline!r})")]
            )
        timeout = to_timeout(overrides["timeout"]) if "timeout" in overrides else base.timeout
        return CallOptions(timeout, retry, deadline)

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
        """The one call path of every API method: send ``spec`` through the transport
        (with the client's settings and these overrides, or ready ``CallOptions``) and
        read the 2xx answer as ``result``. :class:`OperationResult` reads no body (204 or
        an empty/opaque 200); ``RawResponse`` is the answer as it came (the SDK-compat
        class builds its ``GetResult`` from it)."""
        call = options if isinstance(options, CallOptions) else self._options(options)
        raw = await self._pipeline.request(spec, call)
        if result is RawResponse:
            return raw
        assert issubclass(result, BaseModel)
        if result is OperationResult:
            return result.model_validate(
                {
                    "status": raw.status,
                    "request_id": raw.request_id,
                    "headers": raw.headers,
                    "retries_taken": raw.retries_taken,
                }
            )
        return parse_answer(result, raw)
