"""The client core: one pipeline over one transport, its lifecycle, and the one typed call.

An API's client holds a :class:`CoreClient` (``self._core``) made from its
:class:`~.options.ClientOptions` and its dialect (addressing and signing); its
resources build a :class:`~obs_workflow_async._pipeline.RequestSpec` and call
:meth:`CoreClient.request` with a reader of the answer (:mod:`.answers`). Every call
goes through the same pipeline: credentials, signing, retries, hooks and errors.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from .._config import Endpoint, Runtime
from .._pipeline import CallOptions, Dialect, Pipeline, RawResponse, RequestSpec
from ..credentials import CredentialsCache
from ..hooks import Hook
from ..transport import Transport
from .options import ClientOptions, RequestOptions

__all__ = ["CoreClient", "RequestOptions"]

_T = TypeVar("_T")


class CoreClient:
    """Configuration, lifecycle and the typed call of one client, whatever its API."""

    __slots__ = ("_closers", "options", "pipeline")

    def __init__(self, endpoint: Endpoint, dialect: Dialect, options: ClientOptions) -> None:
        self.options: ClientOptions = options
        self.pipeline: Pipeline = self.side_pipeline(
            endpoint, dialect, options.make_transport(endpoint)
        )
        self._closers: list[Callable[[], Awaitable[None]]] = []

    def close_with(self, close: Callable[[], Awaitable[None]]) -> None:
        """Call ``close`` when this client closes what it owns (a side pipeline, a
        background task of the API's): before the transport, never for a copy."""
        if self.options.owns_transport:
            self._closers.append(close)

    def side_pipeline(self, endpoint: Endpoint, dialect: Dialect, transport: Transport) -> Pipeline:
        """A pipeline to ``endpoint`` with this client's credentials, proxy, hooks and
        runtime (the client's own, or one to a side service such as an identity one)."""
        options = self.options
        return Pipeline(
            endpoint=endpoint,
            credentials=options.credentials,
            transport=transport,
            proxy=options.proxy,
            hooks=options.hooks,
            runtime=options.runtime,
            dialect=dialect,
        )

    # -- what the API's client and its resources read --------------------------------

    @property
    def credentials(self) -> CredentialsCache:
        return self.options.credentials

    @property
    def runtime(self) -> Runtime:
        return self.options.runtime

    @property
    def hooks(self) -> tuple[Hook, ...]:
        return self.options.hooks

    @property
    def transport(self) -> Transport:
        return self.pipeline.transport

    @property
    def server(self) -> str:
        return self.pipeline.endpoint.origin

    @property
    def owns_transport(self) -> bool:
        """Whether this client closes the transport (a copy shares its parent's)."""
        return self.options.owns_transport

    def copy_options(self, overrides: RequestOptions) -> ClientOptions:
        """A copy's options: other call defaults, this transport and credentials."""
        return self.options.merged(overrides, self.transport)

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self.pipeline.closed

    async def open(self) -> None:
        await self.pipeline.open()

    async def aclose(self) -> None:
        """Close the transport and the credentials this client owns (idempotent)."""
        if self.options.owns_transport:
            for close in self._closers:
                await close()
            await self.pipeline.aclose()
        if self.options.owns_credentials:
            await self.options.credentials.aclose()  # a background refresh still running

    # -- the call ----------------------------------------------------------------------

    def call_options(self, overrides: RequestOptions | CallOptions) -> CallOptions:
        """One call's options: the client's defaults with ``overrides``."""
        if isinstance(overrides, CallOptions):
            return overrides
        return self.options.call_options(overrides)

    def request(
        self,
        spec: RequestSpec,
        read: Callable[[RawResponse], _T],
        options: RequestOptions | CallOptions,
    ) -> Awaitable[_T]:
        """The one call path of every API method: send ``spec`` through the pipeline
        (with the client's settings and these overrides, or ready ``CallOptions``) and
        read the 2xx answer with ``read`` (:mod:`.answers`). Not a coroutine of its
        own: the pipeline's call is the one awaited (unknown overrides raise here)."""
        call = options if isinstance(options, CallOptions) else self.options.call_options(options)
        return self.pipeline.call(spec, read, call)
