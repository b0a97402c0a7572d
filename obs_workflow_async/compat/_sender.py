"""The one way down for the call groups: a request through the wrapped client, its
answer shaped as a ``GetResult`` (HTTP errors returned, not raised)."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from .._core.answers import read_raw
from .._pipeline import RawResponse, RequestSpec
from ..errors import APIStatusError, ResponseParseError
from ..v2.client import AsyncWorkflowClient
from ._headers import header_request_id, lowered
from ._results import GetResult

__all__ = ["Sender"]

B = TypeVar("B", bound=BaseModel)


class Sender:
    """What every call group of :class:`~obs_workflow_async.compat.WorkflowClient` uses."""

    _client: AsyncWorkflowClient

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
                request_id=header_request_id(lowered(answer.headers)),
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
