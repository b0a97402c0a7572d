"""For code leaving ``esdk-obs-python``: :class:`WorkflowClient`, the official SDK's calls
as coroutines, and the typed ``GetResult`` they return.

Migrating is "change the import, add ``await``"::

    from obs_workflow_async.compat import WorkflowClient

    async with WorkflowClient(access_key_id=ak, secret_access_key=sk, server=server) as client:
        resp = await client.asyncAPIStartWorkflow("graph", "bucket", "object")

Like the SDK, these calls *return* HTTP errors as a ``GetResult`` with
``status >= 300`` (``errorCode``, ``errorMessage``, ``requestId``, ``hostId`` and
``body`` filled as the SDK fills them); invalid arguments and transport failures
raise. :class:`WorkflowClient` wraps an :class:`~obs_workflow_async.AsyncWorkflowClient`
(``client.async_client``), whose snake_case methods raise typed errors instead.
Every difference from the SDK is listed in ``docs/migration.md``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timezone
from types import TracebackType
from typing import TYPE_CHECKING, Annotated, ClassVar, Generic, TypeVar
from urllib.parse import quote, unquote, urlsplit

from pydantic import (
    AliasGenerator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    JsonValue,
    ValidationError,
)
from pydantic.alias_generators import to_snake

from ._config import Timeout
from ._core.answers import read_raw
from ._error_body import xml_text
from ._pipeline import RawResponse, RequestSpec
from .credentials import (
    CredentialsProvider,
    EcsMetadataProvider,
    EnvironmentProvider,
    OidcProvider,
    default_chain,
)
from .errors import (
    ERROR_BODY_RULES,
    APIStatusError,
    ErrorDetail,
    InvalidRequestError,
    ResponseParseError,
    parse_error_body,
)
from .models import (
    CreateTemplateRequest,
    CreateWorkflowRequest,
    InputParameter,
    ListExecutionsRequest,
    ListRequest,
    PutTriggerPolicyRequest,
    State,
    Tag,
    TriggerRule,
    UpdateWorkflowRequest,
    validate_request,
)
from .models._base import parse_timestamp
from .v2.client import AsyncWorkflowClient
from .v2.resources import executions, policies, templates, workflows

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "AsyncAPIStartWorkflowResponse",
    "CreateWorkflowResponse",
    "CreateWorkflowTemplateResponse",
    "GetResult",
    "GetTriggerPolicyResponse",
    "GetWorkflowExecutionResponse",
    "GetWorkflowResponse",
    "GetWorkflowTemplateResponse",
    "ListWorkflowExecutionResponse",
    "ListWorkflowResponse",
    "ListWorkflowTemplateResponse",
    "RestoreFailedWorkflowExecutionResponse",
    "SdkCompatWarning",
    "SdkErrorFields",
    "UpdateWorkflowResponse",
    "WorkflowClient",
    "compat_headers",
    "sdk_error_fields",
]

BodyT = TypeVar("BodyT")
B = TypeVar("B", bound=BaseModel)


class SdkCompatWarning(UserWarning):
    """An official ``WorkflowClient`` option that this client accepts but does not apply."""


# -- the header list and the error fields, as esdk-obs-python 3.26.6 builds them -----------

# const.ALLOWED_RESPONSE_HTTP_HEADER_METADATA_NAMES of esdk-obs-python 3.26.6.
_KEPT_HEADERS = frozenset(
    {
        "content-type",
        "content-md5",
        "checksum-crc64ecma",
        "content-length",
        "content-language",
        "expires",
        "origin",
        "cache-control",
        "content-disposition",
        "content-encoding",
        "x-default-storage-class",
        "location",
        "date",
        "etag",
        "host",
        "last-modified",
        "content-range",
        "x-reserved",
        "access-control-allow-origin",
        "access-control-allow-headers",
        "access-control-max-age",
        "access-control-allow-methods",
        "access-control-expose-headers",
        "connection",
        "x-reserved-indicator",
        "x-oef-request-id",
    }
)
# (prefix, whether the rest of the name is URL-decoded too), in the SDK's order.
_PREFIXES = (("x-amz-meta-", True), ("x-amz-", False), ("x-obs-meta-", True), ("x-obs-", False))


def _lowered(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-case names; of repeated headers the last value wins, at the first's place."""
    return {name.lower(): value for name, value in headers.items()}


def compat_headers(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """The SDK's ``GetResult.header``: allow-listed names as they are; ``x-obs-*`` and
    ``x-amz-*`` with the prefix stripped and the value URL-decoded (``x-obs-meta-*`` and
    ``x-amz-meta-*``: the name too); everything else (``X-Request-ID`` included) dropped.
    Repeated headers: the last value wins."""
    result: list[tuple[str, str]] = []
    for name, value in _lowered(headers).items():
        if name in _KEPT_HEADERS:
            result.append((name, value))
            continue
        for prefix, decode_name in _PREFIXES:
            if name.startswith(prefix):
                rest = name[len(prefix) :]
                result.append((unquote(rest) if decode_name else rest, unquote(value)))
                break
    return result


@dataclass(frozen=True, slots=True)
class SdkErrorFields:
    """What the SDK reads from an error answer's body."""

    code: str | None = None
    message: str | None = None
    request_id: str | None = None
    host_id: str | None = None
    resource: str | None = None
    body: str | None = None


def sdk_error_fields(text: str) -> SdkErrorFields:
    """The SDK's error parsing of ``text``, whatever the ``Content-Type``.

    The fields are read by the same function as the typed errors' (the client's
    ``parse_error_body``), so ``GetResult.errorCode`` and ``APIStatusError.code`` of one
    answer never differ. JSON ``{code, message, request_id}`` (or the DWR form
    ``{error_code, error_msg}``, which the SDK does not read): ``body`` is the text.
    XML ``<Error><Code/><Message/><RequestId/><HostId/><Resource/></Error>`` read as the
    SDK reads it (ElementTree: the root's first child of each name, entities decoded,
    CDATA as text, comments dropped), and ``body`` is the text without its
    ``xmlns="http..."`` attribute, as the SDK gives it. A body with a DTD is not read
    (no entity expansion); one cut short gives the fields before the cut (the SDK:
    none). Anything else: no fields, ``body`` the text (the SDK gives ``None``). An
    empty answer: ``body`` is ``None``. Never raises.

    :param text: The error answer's body, decoded.
    :returns: The fields the SDK would read, and the body as it gives it.
    """
    if not text:
        return SdkErrorFields()
    parsed = parse_error_body(text)
    body = xml_text(text, ERROR_BODY_RULES) if parsed.form in ("xml", "xml-cut") else text
    return SdkErrorFields(
        code=parsed.code,
        message=parsed.message,
        request_id=parsed.request_id,
        host_id=parsed.host_id,
        resource=parsed.resource,
        body=body,
    )


def _header_request_id(headers: Mapping[str, str]) -> str | None:
    """The SDK's order (``x-obs-request-id``, ``x-amz-request-id``), then ``X-Request-ID``
    (which the SDK ignores; the Data+ documentation shows it on every answer)."""
    return (
        headers.get("x-obs-request-id")
        or headers.get("x-amz-request-id")
        or headers.get("x-request-id")
    )


# -- results ---------------------------------------------------------------------------------


def _time_text(value: object) -> object:
    """An epoch number becomes the ISO 8601 text the service otherwise sends, for the
    instant the snake_case models read from it (``None`` where they read none)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        moment = parse_timestamp(value)
        if moment is None:
            return None
        spec = "milliseconds" if moment.microsecond else "seconds"
        return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec=spec) + "Z"
    return value


SdkTime = Annotated[str | None, BeforeValidator(_time_text)]
"""A time as text, as the SDK gives it. The service's ISO 8601 string is kept as sent; an
epoch number (milliseconds, which the SDK drops to ``None``) becomes ISO 8601 text such as
``"2024-01-01T00:00:00Z"`` for the instant the snake_case models read from it."""


class _SdkBody(BaseModel):
    """A ``GetResult.body``: the SDK's camelCase names, read from the service's snake_case
    JSON; fields the SDK does not know are kept too."""

    model_config: ClassVar[ConfigDict] = ConfigDict(
        extra="allow",
        frozen=True,
        alias_generator=AliasGenerator(validation_alias=to_snake),
        populate_by_name=True,
    )


class CreateWorkflowTemplateResponse(_SdkBody):
    templateName: str | None = None


class GetWorkflowTemplateResponse(_SdkBody):
    templateName: str | None = None
    description: str | None = None
    states: JsonValue = None
    inputs: JsonValue = None
    tags: JsonValue = None
    createTime: SdkTime = None
    lastModifyTime: SdkTime = None


class ListWorkflowTemplateResponse(_SdkBody):
    templates: list[JsonValue] | None = None
    count: int | None = None
    nextStart: int | None = None
    isTruncated: bool | None = None


class CreateWorkflowResponse(_SdkBody):
    graphName: str | None = None
    graphUrn: str | None = None
    createdAt: SdkTime = None


class GetWorkflowResponse(_SdkBody):
    name: str | None = None
    createdAt: SdkTime = None
    definition: JsonValue = None
    graphUrn: str | None = None
    description: str | None = None


class UpdateWorkflowResponse(_SdkBody):
    graphName: str | None = None
    graphUrn: str | None = None
    lastModified: SdkTime = None


class ListWorkflowResponse(_SdkBody):
    graphs: list[JsonValue] | None = None
    count: int | None = None
    nextStart: int | None = None
    isTruncated: bool | None = None


class AsyncAPIStartWorkflowResponse(_SdkBody):
    """``GetResult.body`` of ``asyncAPIStartWorkflow``: the SDK's camelCase fields."""

    executionUrn: str | None = None
    startedAt: SdkTime = None
    executionName: str | None = None


class ListWorkflowExecutionResponse(_SdkBody):
    count: int | None = None
    nextMarker: str | None = None
    isTruncated: bool | None = None
    executions: list[JsonValue] | None = None


class GetWorkflowExecutionResponse(_SdkBody):
    executionInfo: JsonValue = None


class RestoreFailedWorkflowExecutionResponse(_SdkBody):
    executionUrn: str | None = None
    restoredAt: SdkTime = None
    executionName: str | None = None


class GetTriggerPolicyResponse(_SdkBody):
    rules: list[JsonValue] | None = None


class GetResult(BaseModel, Generic[BodyT]):
    """Shaped like ``obs.model.GetResult``.

    ``status < 300``: ``body`` is the parsed answer (``BodyT``); for deletes and
    ``putTriggerPolicy`` the raw response text, as in the SDK (``GetResult[str]``).
    ``status >= 300``: ``body`` is the error text as the SDK carries it (``None`` for an
    empty answer), ``errorCode``/``errorMessage``/``hostId``/``resource`` come from it.
    """

    model_config: ClassVar[ConfigDict] = ConfigDict(frozen=True)

    status: int
    reason: str | None = None
    errorCode: str | None = None
    errorMessage: str | None = None
    requestId: str | None = None
    indicator: str | None = None
    hostId: str | None = None
    resource: str | None = None
    header: list[tuple[str, str]] = []
    body: BodyT | str | None = None

    @classmethod
    def from_error(cls, error: APIStatusError) -> GetResult[BodyT]:
        """The result the SDK returns for an HTTP error answer.

        ``requestId``: the body's ``request_id``/``RequestId``, else ``x-obs-request-id``,
        else ``x-amz-request-id`` (the SDK's order), else ``X-Request-ID``.

        :param error: The client's error for a non-2xx answer (its status, headers, body).
        :returns: The SDK-shaped result, with the error's code, message and request id.
        """
        fields = sdk_error_fields(error.body)
        headers = error.headers  # lower-case names, the last of repeated headers
        return cls(
            status=error.status,
            reason=error.reason,
            errorCode=fields.code,
            errorMessage=fields.message,
            requestId=fields.request_id or _header_request_id(headers),
            indicator=headers.get("x-reserved-indicator"),
            hostId=fields.host_id,
            resource=fields.resource,
            header=compat_headers(headers),
            body=fields.body,
        )

    @classmethod
    def from_response(cls, raw: RawResponse, body: BodyT) -> GetResult[BodyT]:
        """The result the SDK returns for a 2xx answer whose body parsed as ``body``.

        :param raw: The HTTP answer (status, reason, headers).
        :param body: Its body, parsed into the SDK's shape.
        :returns: The SDK-shaped result.
        """
        headers = _lowered(raw.headers)
        return cls(
            status=raw.status,
            reason=raw.reason,
            requestId=_header_request_id(headers),
            indicator=headers.get("x-reserved-indicator"),
            header=compat_headers(headers),
            body=body,
        )


# -- the client ------------------------------------------------------------------------------

_POLICIES = ("OBS_DEFAULT", "ENV", "ECS", "OIDC")


def _provider(policy: str) -> CredentialsProvider:
    if policy == "ENV":
        return EnvironmentProvider()
    if policy == "ECS":
        return EcsMetadataProvider()
    if policy == "OIDC":
        return OidcProvider()
    return default_chain()


def _refuse(option: str, why: str) -> InvalidRequestError:
    return InvalidRequestError([ErrorDetail(option, why)])


def _warn(option: str, what: str) -> None:
    # stacklevel: the line calling WorkflowClient(...) (_warn <- _warn_ignored <- __init__)
    warnings.warn(f"WorkflowClient({option}=...): {what}", SdkCompatWarning, stacklevel=4)


def _refuse_unsupported(
    *,
    json_result: object,
    path_style: object,
    is_signature_negotiation: object,
    is_cname: object,
    security_providers: object,
    is_use_gmssl: object,
    client_verify: object,
    custom_ciphers: object,
    timeout: float | None,
    security_provider_policy: str | None,
) -> None:
    """Refused: ignoring these would change what is sent, to whom, or what is trusted."""
    negotiation = "is not supported by the workflow client (the SDK refuses it too)"
    tls_hint = "build an ssl.SSLContext and pass it as AsyncWorkflowClient(verify=...)"
    policy = security_provider_policy
    refusals: tuple[tuple[object, str, str], ...] = (
        (json_result, "isJsonResult", "is not supported: bodies are typed models"),
        (path_style, "path_style", negotiation),
        (is_signature_negotiation, "is_signature_negotiation", negotiation),
        (is_cname, "is_cname", "is not supported"),
        (
            security_providers is not None,
            "security_providers",
            "is not supported: use security_provider_policy, or build an "
            "AsyncWorkflowClient(credentials=<provider>) and WorkflowClient.from_client",
        ),
        (is_use_gmssl, "is_use_gmssl", "is not supported (GM/T TLS)"),
        (client_verify is not None, "client_verify", f"is not supported: {tls_hint}"),
        (custom_ciphers is not None, "custom_ciphers", f"is not supported: {tls_hint}"),
        (timeout is None, "timeout", "can not be None"),
        (
            policy is not None and policy not in _POLICIES,
            "security_provider_policy",
            f"must be one of {', '.join(_POLICIES)}",
        ),
    )
    for refused, option, why in refusals:
        if refused:
            raise _refuse(option, why)


def _warn_ignored(*, use_http2: bool, max_redirect_count: int, chunk_size: int) -> None:
    """Warned: nothing else changes (the answers are the same)."""
    if use_http2:
        _warn("use_http2", "HTTP/2 is not supported; HTTP/1.1 is used")
    if max_redirect_count not in (0, 10):
        _warn("max_redirect_count", "redirects are never followed; a 3xx is returned")
    if chunk_size != 65536:
        _warn("chunk_size", "has no effect (answers are read whole, up to a size cap)")


def _sdk_credentials(
    access_key_id: str, secret_access_key: str, security_token: str | None, policy: str | None
) -> tuple[str | None, str | None, str | None, CredentialsProvider | None]:
    """The static keys, or (when both are not set and there is a policy) the provider."""
    ak: str | None = access_key_id or None
    sk: str | None = secret_access_key or None
    if not (ak and sk) and policy is not None:
        # As the SDK: static keys, when both are set, always win over the policy.
        return None, None, None, _provider(policy)
    return ak, sk, security_token, None


def _server_url(server: str | None, is_secure: bool, port: int | None) -> str:
    text = (server or "").strip()
    if not text:
        raise _refuse("server", "is not set")
    if "://" not in text:
        text = ("https://" if is_secure else "http://") + text
    if port is not None and urlsplit(text).port is None:
        text = f"{text.rstrip('/')}:{port}"  # as the SDK: a port in server wins
    return text


def _proxy_url(
    host: str | None, port: int | None, username: str | None, password: str | None
) -> str | None:
    if not host:
        return None  # the SDK ignores the other proxy options without a host too
    auth = ""
    if username is not None:
        auth = quote(username, safe="") + ":" + quote(password or "", safe="") + "@"
    return f"http://{auth}{host}" + (f":{port}" if port is not None else "")


class WorkflowClient:
    """``obs.WorkflowClient``'s 16 calls as coroutines, returning typed ``GetResult``\\ s.

    The constructor takes the official keyword arguments (by keyword). Supported ones map
    onto :class:`~obs_workflow_async.AsyncWorkflowClient`; an official option this client
    cannot honour raises :class:`~obs_workflow_async.InvalidRequestError` when ignoring it
    would change what is sent or trusted, and warns (:class:`SdkCompatWarning`) when it
    would not; anything else is a ``TypeError``. Use ``async with``, or ``await
    client.close()`` (or ``aclose()``) when done. For options the SDK does not have
    (hooks, deadlines, ...), build an ``AsyncWorkflowClient`` and wrap it with
    :meth:`from_client`. Per-call overrides (:class:`~obs_workflow_async.RequestOptions`)
    are the wrapped client's: ``client.async_client.start_workflow(..., timeout=5)``.

    Each keyword below says whether it is supported (mapped onto
    :class:`~obs_workflow_async.AsyncWorkflowClient`), accepted with no effect, ignored
    with a :class:`SdkCompatWarning` (the answers are the same), or refused with
    :class:`~obs_workflow_async.InvalidRequestError` when set (ignoring it would change
    what is sent, to whom, or what is trusted).

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
        _refuse_unsupported(
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
        _warn_ignored(
            use_http2=use_http2, max_redirect_count=max_redirect_count, chunk_size=chunk_size
        )
        ak, sk, token, credentials = _sdk_credentials(
            access_key_id, secret_access_key, security_token, security_provider_policy
        )
        # Without a policy the SDK reads no environment, and neither do we: a missing key
        # is a CredentialsError here, where the SDK would send unsigned requests.
        self._client = AsyncWorkflowClient(
            server=_server_url(server, is_secure, port),
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
            proxy=_proxy_url(proxy_host, proxy_port, proxy_username, proxy_password),
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

    # -- the one way down ----------------------------------------------------------------

    async def _answer(self, spec: RequestSpec) -> RawResponse | APIStatusError:
        """Send ``spec`` through the wrapped client; an HTTP error is returned, not raised."""
        try:
            # The only use of the client's internals: its one request method (2xx answer
            # returned raw, HTTP errors raised), the same path its snake_case methods take.
            return await self._client._core.request(spec, read_raw, {})  # pyright: ignore[reportPrivateUsage]
        except APIStatusError as error:
            return error

    async def _result(self, spec: RequestSpec, model: type[B]) -> GetResult[B]:
        answer = await self._answer(spec)
        if isinstance(answer, APIStatusError):
            return GetResult[B].from_error(answer)
        try:
            body = model.model_validate_json(answer.body)
        except ValidationError as exc:
            raise ResponseParseError(
                f"body is not a {model.__name__} ({exc.error_count()} problems)",
                status=answer.status,
                request_id=_header_request_id(_lowered(answer.headers)),
                body=answer.body[:2000].decode("utf-8", errors="replace"),
                headers=answer.headers,
            ) from None
        return GetResult[B].from_response(answer, body)

    async def _text(self, spec: RequestSpec) -> GetResult[str]:
        """Deletes and putTriggerPolicy: the SDK's body is the raw response text."""
        answer = await self._answer(spec)
        if isinstance(answer, APIStatusError):
            return GetResult[str].from_error(answer)
        return GetResult[str].from_response(answer, answer.body.decode("utf-8", "replace"))

    # -- templates -------------------------------------------------------------------------

    async def createWorkflowTemplate(
        self,
        templateName: str,
        description: str | None = None,
        states: Sequence[State] | None = None,
        inputs: Sequence[InputParameter] | None = None,
        tags: Sequence[Tag] | None = None,
    ) -> GetResult[CreateWorkflowTemplateResponse]:
        """``POST /v2/workflowtemplates/{templateName}``.

        :param templateName: The new template's name.
        :param description: Free text, 0-256 characters.
        :param states: The template's states (:class:`~.models.State` or plain
            dicts).
        :param inputs: The template's input parameters.
        :param tags: Tags.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        request = validate_request(
            CreateTemplateRequest,
            template_name=templateName,
            description=description,
            states=states,
            inputs=inputs,
            tags=tags,
        )
        spec = templates.create_template_spec(request)
        return await self._result(spec, CreateWorkflowTemplateResponse)

    async def getWorkflowTemplate(
        self, templateName: str
    ) -> GetResult[GetWorkflowTemplateResponse]:
        """``GET /v2/workflowtemplates/{templateName}``.

        :param templateName: The workflow template.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        spec = templates.get_template_spec(templates.template_ref(templateName))
        return await self._result(spec, GetWorkflowTemplateResponse)

    async def deleteWorkflowTemplate(self, templateName: str) -> GetResult[str]:
        """``DELETE /v2/workflowtemplates/{templateName}``.

        :param templateName: The workflow template.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        return await self._text(
            templates.delete_template_spec(templates.template_ref(templateName))
        )

    async def listWorkflowTemplate(
        self,
        templateNamePrefix: str | None = None,
        start: int | None = None,
        limit: int | None = None,
    ) -> GetResult[ListWorkflowTemplateResponse]:
        """One page of templates. As in the SDK, ``""`` and ``0`` mean "not given".

        :param templateNamePrefix: Keep only templates whose name starts with
            this text.
        :param start: Offset of the first item.
        :param limit: Items per page, 1-1000.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        request = validate_request(
            ListRequest,
            prefix=templateNamePrefix or None,
            start=start or None,
            limit=limit or None,
        )
        spec = templates.list_templates_spec(request)
        return await self._result(spec, ListWorkflowTemplateResponse)

    # -- workflows -------------------------------------------------------------------------

    async def createWorkflow(
        self,
        templateName: str,
        graphName: str,
        agency: str,
        description: str | None = None,
        parameters: Sequence[InputParameter] | None = None,
    ) -> GetResult[CreateWorkflowResponse]:
        """``POST /v2/workflows/{graphName}?x-workflow-template-name=...``.

        :param templateName: The template it is made from.
        :param graphName: The new workflow's name.
        :param agency: The IAM agency the workflow acts as.
        :param description: Free text, 0-256 characters.
        :param parameters: Values for the template's input parameters.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        request = validate_request(
            CreateWorkflowRequest,
            graph_name=graphName,
            template_name=templateName,
            agency=agency,
            description=description,
            parameters=parameters,
        )
        return await self._result(workflows.create_workflow_spec(request), CreateWorkflowResponse)

    async def getWorkflow(self, graphName: str) -> GetResult[GetWorkflowResponse]:
        """``GET /v2/workflows/{graphName}``.

        :param graphName: The workflow.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        return await self._result(
            workflows.get_workflow_spec(workflows.graph_ref(graphName)), GetWorkflowResponse
        )

    async def deleteWorkflow(self, graphName: str) -> GetResult[str]:
        """``DELETE /v2/workflows/{graphName}``.

        :param graphName: The workflow.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        return await self._text(workflows.delete_workflow_spec(workflows.graph_ref(graphName)))

    async def updateWorkflow(
        self,
        graphName: str,
        parameters: Sequence[InputParameter] | Mapping[str, JsonValue] | None = None,
        description: str | None = None,
    ) -> GetResult[UpdateWorkflowResponse]:
        """``PUT /v2/workflows/{graphName}``.

        :param graphName: The workflow.
        :param parameters: New input parameters (items or a name-to-value
            mapping).
        :param description: Free text, 0-256 characters.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        request = validate_request(
            UpdateWorkflowRequest,
            graph_name=graphName,
            parameters=parameters,
            description=description,
        )
        return await self._result(workflows.update_workflow_spec(request), UpdateWorkflowResponse)

    async def listWorkflow(
        self,
        graphNamePrefix: str | None = None,
        start: int | None = None,
        limit: int | None = None,
    ) -> GetResult[ListWorkflowResponse]:
        """One page of workflows. As in the SDK, ``""`` and ``0`` mean "not given".

        :param graphNamePrefix: Keep only workflows whose name starts with this
            text.
        :param start: Offset of the first item.
        :param limit: Items per page, 1-1000.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        request = validate_request(
            ListRequest, prefix=graphNamePrefix or None, start=start or None, limit=limit or None
        )
        return await self._result(workflows.list_workflows_spec(request), ListWorkflowResponse)

    # -- executions ------------------------------------------------------------------------

    async def asyncAPIStartWorkflow(
        self,
        graphName: str,
        bucket: str,
        object: str,
        inputs: Mapping[str, JsonValue] | None = None,
    ) -> GetResult[AsyncAPIStartWorkflowResponse]:
        """``obs.WorkflowClient.asyncAPIStartWorkflow`` as a coroutine (HTTP errors returned).

        Retried only when the start cannot have happened (the SDK resends any 5xx).

        :param graphName: The workflow to start.
        :param bucket: The bucket of the object.
        :param object: The object's key.
        :param inputs: Workflow parameters by name (JSON values).
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        spec = executions.start_spec(graphName, bucket, object, inputs)
        return await self._result(spec, AsyncAPIStartWorkflowResponse)

    async def listWorkflowExecution(
        self,
        graphName: str,
        executionType: str | None = None,
        nextMarker: str | None = None,
        limit: int | None = None,
        executionState: str | None = None,
    ) -> GetResult[ListWorkflowExecutionResponse]:
        """One page; ``executionState`` filters it without following further pages, so
        no item is skipped (the SDK's loop can skip items, and needs ``limit``). As in

        :param graphName: The workflow.
        :param executionType: ``APICALL`` or ``TRIGGERCAL``.
        :param nextMarker: Where the page starts: the previous page's
            ``nextMarker``.
        :param limit: Items per page, 1-1000.
        :param executionState: Keep only executions in this state (filtered on
            the client).
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        request = validate_request(
            ListExecutionsRequest,
            graph_name=graphName,
            execution_type=executionType or None,
            next_marker=nextMarker or None,
            limit=limit or None,
            state=executionState or None,
        )
        result = await self._result(
            executions.list_executions_spec(request), ListWorkflowExecutionResponse
        )
        body = result.body
        if request.state is None or not isinstance(body, ListWorkflowExecutionResponse):
            return result
        kept = [
            item
            for item in body.executions or []
            if isinstance(item, dict) and item.get("execution_state") == request.state.value
        ]
        filtered = body.model_copy(update={"executions": kept, "count": len(kept)})
        return result.model_copy(update={"body": filtered})

    async def getWorkflowExecution(
        self, executionName: str, graphName: str
    ) -> GetResult[GetWorkflowExecutionResponse]:
        """``GET /v2/workflowexecutions/{executionName}?x-workflow-graph-name=...``.

        :param executionName: The execution's name.
        :param graphName: The workflow.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        spec = executions.get_execution_spec(executions.execution_ref(graphName, executionName))
        return await self._result(spec, GetWorkflowExecutionResponse)

    async def restoreFailedWorkflowExecution(
        self, executionName: str, graphName: str
    ) -> GetResult[RestoreFailedWorkflowExecutionResponse]:
        """``PUT /v2/workflowexecutions/{executionName}?x-workflow-graph-name=...``.

        :param executionName: The FAILED execution to resume.
        :param graphName: The workflow.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        spec = executions.restore_execution_spec(executions.execution_ref(graphName, executionName))
        return await self._result(spec, RestoreFailedWorkflowExecutionResponse)

    # -- trigger policies ------------------------------------------------------------------

    async def putTriggerPolicy(
        self, bucketName: str, rules: Sequence[TriggerRule]
    ) -> GetResult[str]:
        """``PUT /?obsworkflowtriggerpolicy`` on the bucket (body ``{"rules": [...]}``).

        :param bucketName: The bucket.
        :param rules: The trigger rules, replacing the bucket's policy.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        request = validate_request(PutTriggerPolicyRequest, bucket=bucketName, rules=rules)
        return await self._text(policies.put_trigger_policy_spec(request))

    async def getTriggerPolicy(self, bucketName: str) -> GetResult[GetTriggerPolicyResponse]:
        """``GET /?obsworkflowtriggerpolicy`` on the bucket.

        :param bucketName: The bucket.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        spec = policies.get_trigger_policy_spec(policies.bucket_ref(bucketName))
        return await self._result(spec, GetTriggerPolicyResponse)

    async def deleteTriggerPolicy(self, bucketName: str) -> GetResult[str]:
        """``DELETE /?obsworkflowtriggerpolicy`` on the bucket.

        :param bucketName: The bucket.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        return await self._text(
            policies.delete_trigger_policy_spec(policies.bucket_ref(bucketName))
        )
