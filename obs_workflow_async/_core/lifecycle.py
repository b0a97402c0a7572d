"""The lifecycle every client shares: ``async with``, :meth:`aclose`, ``closed``,
``server`` and copies with other defaults (:meth:`with_options`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .client import CoreClient
from .options import RequestOptions

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

__all__ = ["Lifecycle"]


class Lifecycle:
    """Lifecycle methods over ``_core``; a copy is the class called again with
    ``_arguments`` (its API's constructor arguments) and the merged options."""

    _core: CoreClient
    _arguments: Mapping[str, object]
    """The API's own constructor arguments, as a copy is built with them."""

    async def __aenter__(self) -> Self:
        await self._core.open()
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
        await self._core.aclose()

    @property
    def closed(self) -> bool:
        return self._core.closed

    @property
    def server(self) -> str:
        return self._core.server

    def with_options(self, **options: Unpack[RequestOptions]) -> Self:
        """A copy of this client with other defaults, sharing its connection pool.

        ``client.with_options(timeout=5, max_retries=0)``: the class called again with
        this client's arguments and the merged options, sending through this client's
        transport with its credentials; closing the copy closes neither, closing the
        parent does.

        :param options: The copy's defaults (:class:`RequestOptions`): ``timeout``,
            ``max_retries``, ``deadline``, ``max_retry_wait``, ``retry_non_idempotent``;
            omitted ones keep this client's.
        :raises InvalidRequestError: An option is invalid.
        """
        arguments: dict[str, Any] = dict(self._arguments)
        build: Callable[..., Self] = type(self)
        return build(**arguments, _options=self._core.copy_options(options))
