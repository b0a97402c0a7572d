"""One options object: every setting of a client but its API's addressing and signing.

A public constructor takes keywords (documented there) and turns them into a
:class:`ClientOptions` with :meth:`ClientOptions.build`, the one place they are
checked; a copy (``with_options``) is the client's class called with merged options.
Per-call overrides are :class:`RequestOptions`. Nothing here names an API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import TypedDict

import aiohttp

from .._aiohttp_transport import AiohttpTransport
from .._config import (
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_RETRY_AFTER_CAP,
    DEFAULT_TIMEOUT,
    Endpoint,
    Proxy,
    RetryConfig,
    Runtime,
    TimeoutLike,
    VerifyLike,
    parse_proxy,
    to_timeout,
)
from .._logs import configure_from_env
from .._pipeline import CallOptions
from .._version import __version__
from ..credentials import (
    Credentials,
    CredentialsCache,
    CredentialsProvider,
    StaticProvider,
    resolve_credentials,
)
from ..errors import ErrorDetail, InvalidRequestError
from ..hooks import Hook
from ..transport import Transport
from ..validation import check_header_value

__all__ = ["DEFAULT_USER_AGENT", "ClientOptions", "RequestOptions"]

DEFAULT_USER_AGENT = f"obs-workflow-async/{__version__}"


class RequestOptions(TypedDict, total=False):
    """Per-call overrides of the client's settings; omitted keys keep the client's."""

    timeout: TimeoutLike
    max_retries: int
    deadline: float | None
    retry_non_idempotent: bool
    max_retry_wait: float | None


_OVERRIDES = frozenset(RequestOptions.__annotations__)


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


def _check_deadline(deadline: float | None) -> None:
    if deadline is not None and not deadline > 0:
        raise InvalidRequestError(
            [ErrorDetail("deadline", f"must be positive or None (got {deadline!r})")]
        )


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """A client's settings, checked (:meth:`build`), whatever its API."""

    credentials: CredentialsCache
    owns_credentials: bool
    """Whether the client closes ``credentials`` (not a cache passed in, or a copy's)."""
    call: CallOptions
    """The defaults of every call (timeout, retries, deadline)."""
    max_connections: int
    keepalive_timeout: float
    reuse_connections_for_starts: bool
    verify: VerifyLike
    proxy: Proxy | None
    trust_env: bool
    hooks: tuple[Hook, ...]
    user_agent: str
    session: aiohttp.ClientSession | None
    transport: Transport | None
    """A transport to send through (``None``: an :class:`AiohttpTransport` is made)."""
    owns_transport: bool
    """Whether the client closes its transport (not a copy's, sharing its parent's)."""
    runtime: Runtime

    @classmethod
    def build(
        cls,
        *,
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
    ) -> ClientOptions:
        """The options of the constructor's keywords (the public constructors document
        them), checked: :class:`InvalidRequestError` naming the first broken rule."""
        configure_from_env(environ)  # OBS_WORKFLOW_LOG=debug: read now, never at import
        if isinstance(max_connections, bool) or not isinstance(max_connections, int):
            raise InvalidRequestError([ErrorDetail("max_connections", "must be an int")])
        if max_connections < 1:
            raise InvalidRequestError(
                [ErrorDetail("max_connections", f"must be >= 1 (got {max_connections})")]
            )
        _check_deadline(deadline)
        cache = _credentials_cache(
            credentials, access_key_id, secret_access_key, security_token, environ
        )
        if user_agent is not None and check_header_value(user_agent) is not None:
            raise InvalidRequestError([ErrorDetail("user_agent", "must not contain CR, LF or NUL")])
        if transport is not None and session is not None:
            raise InvalidRequestError(
                [ErrorDetail("session", "pass either transport= or session=")]
            )
        retry = RetryConfig(
            max_retries=max_retries,
            retry_non_idempotent=retry_non_idempotent,
            retry_after_cap=retry_after_cap,
            max_retry_wait=max_retry_wait,
        )
        return cls(
            credentials=cache,
            # A cache passed in may be shared with other clients: only ours is closed.
            owns_credentials=not isinstance(credentials, CredentialsCache),
            call=CallOptions(to_timeout(timeout), retry, deadline),
            max_connections=max_connections,
            keepalive_timeout=keepalive_timeout,
            reuse_connections_for_starts=reuse_connections_for_starts,
            verify=verify,
            proxy=parse_proxy(proxy) if proxy is not None else None,
            trust_env=trust_env,
            hooks=tuple(hooks),
            user_agent=user_agent or DEFAULT_USER_AGENT,
            session=session,
            transport=transport,
            owns_transport=True,
            runtime=runtime or Runtime(),
        )

    @classmethod
    def from_arguments(cls, arguments: Mapping[str, object]) -> ClientOptions:
        """:meth:`build` of the constructor keywords among ``arguments`` (a public
        constructor's ``locals()``: the keywords are written once, in its signature)."""
        build: Callable[..., ClientOptions] = cls.build
        return build(**{name: arguments[name] for name in _keywords() if name in arguments})

    def make_transport(
        self, endpoint: Endpoint, *, max_connections: int | None = None
    ) -> Transport:
        """The transport of these options: the one passed in, else an
        :class:`AiohttpTransport` to ``endpoint`` (``max_connections``: another pool
        size than the client's, e.g. for a side service)."""
        if self.transport is not None:
            return self.transport
        own_pool = max_connections is None
        return AiohttpTransport(
            endpoint=endpoint,
            verify=self.verify,
            max_connections=self.max_connections if max_connections is None else max_connections,
            keepalive_timeout=self.keepalive_timeout,
            reuse_for_non_idempotent=self.reuse_connections_for_starts and own_pool,
            user_agent=self.user_agent,
            session=self.session if own_pool else None,
            proxy=self.proxy,
            trust_env=self.trust_env,
            clock=self.runtime.clock,
        )

    def call_options(self, overrides: RequestOptions) -> CallOptions:
        """The options of one call: these defaults with ``overrides``."""
        if not overrides:
            return self.call
        unknown = overrides.keys() - _OVERRIDES
        if unknown:
            raise TypeError(f"unknown request options: {', '.join(sorted(unknown))}")
        base = self.call
        retry = base.retry
        if {"max_retries", "retry_non_idempotent", "max_retry_wait"} & overrides.keys():
            retry = replace(
                retry,
                max_retries=overrides.get("max_retries", retry.max_retries),
                retry_non_idempotent=overrides.get(
                    "retry_non_idempotent", retry.retry_non_idempotent
                ),
                max_retry_wait=overrides.get("max_retry_wait", retry.max_retry_wait),
            )
        deadline = overrides.get("deadline", base.deadline)
        _check_deadline(deadline)
        timeout = to_timeout(overrides["timeout"]) if "timeout" in overrides else base.timeout
        return CallOptions(timeout, retry, deadline)

    def merged(self, overrides: RequestOptions, transport: Transport) -> ClientOptions:
        """A copy's options: these with other call defaults, sending through the
        parent's ``transport`` with its credentials, neither closed by the copy."""
        return replace(
            self,
            call=self.call_options(overrides),
            transport=transport,
            owns_transport=False,
            owns_credentials=False,
            session=None,
        )


@cache
def _keywords() -> tuple[str, ...]:
    """The keywords :meth:`ClientOptions.build` takes."""
    code = ClientOptions.__dict__["build"].__func__.__code__
    names: tuple[str, ...] = code.co_varnames
    return names[code.co_argcount : code.co_argcount + code.co_kwonlyargcount]
