"""The engines' view of an API's executions, made of its request builders: one
:class:`~.protocols.Starter` and :class:`~.protocols.ExecutionPoller` for both APIs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from .._pipeline import CallOptions, RawResponse, RequestSpec
from . import _refs
from .options import RequestOptions

if TYPE_CHECKING:
    from pydantic import JsonValue

    from .._batch.models import StartRequest
    from ..models import ExecutionDetail, StartWorkflowResult

__all__ = ["Send", "Starts"]

_T = TypeVar("_T")
_D = TypeVar("_D", bound="ExecutionDetail")


class Send(Protocol):
    """How an API sends a spec (the core's call, or one that first fills in what the
    API discovers, such as the v3 project id)."""

    def __call__(
        self,
        spec: RequestSpec,
        read: Callable[[RawResponse], _T],
        options: RequestOptions | CallOptions,
    ) -> Awaitable[_T]: ...


class Starts(Generic[_D]):
    """Starts and polls through ``send`` with an API's builders: ``start_spec`` (raw
    arguments, validated: nothing sent if one breaks a rule) and ``get`` (the spec and
    the reader of one execution, its names validated)."""

    __slots__ = ("_get", "_send", "_start_spec")

    def __init__(
        self,
        send: Send,
        start_spec: Callable[[object, object, object, object], RequestSpec],
        get: Callable[[str, str], tuple[RequestSpec, Callable[[RawResponse], _D]]],
    ) -> None:
        self._send = send
        self._start_spec = start_spec
        self._get = get

    # Not coroutines of their own: the send is the one awaited (an invalid argument
    # raises here, before anything is sent).

    def start(
        self,
        graph_name: str,
        bucket: str,
        object_key: str,
        inputs: Mapping[str, JsonValue] | None,
        options: RequestOptions,
    ) -> Awaitable[StartWorkflowResult]:
        spec = self._start_spec(graph_name, bucket, object_key, inputs)
        return self._send(spec, _refs.read_started, options)

    def start_item(
        self, request: StartRequest, options: CallOptions
    ) -> Awaitable[StartWorkflowResult]:
        spec = self._start_spec(
            request.graph_name, request.bucket, request.object_key, request.inputs
        )
        return self._send(spec, _refs.read_started, options)

    def poller(
        self, graph_name: str, execution_name: str
    ) -> Callable[[RequestOptions], Awaitable[_D]]:
        spec, read = self._get(graph_name, execution_name)
        return lambda options: self._send(spec, read, options)
