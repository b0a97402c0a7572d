"""``GetResult`` and the camelCase bodies it carries, shaped as the SDK shapes them."""

from __future__ import annotations

from datetime import timezone
from typing import Annotated, ClassVar, Generic, TypeVar

from pydantic import AliasGenerator, BaseModel, BeforeValidator, ConfigDict, JsonValue
from pydantic.alias_generators import to_snake

from .._pipeline import RawResponse
from ..errors import APIStatusError
from ..models._base import parse_timestamp
from ._headers import compat_headers, header_request_id, lowered, sdk_error_fields

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
    "SdkTime",
]

BodyT = TypeVar("BodyT")


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
            requestId=fields.request_id or header_request_id(headers),
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
        headers = lowered(raw.headers)
        return cls(
            status=raw.status,
            reason=raw.reason,
            requestId=header_request_id(headers),
            indicator=headers.get("x-reserved-indicator"),
            header=compat_headers(headers),
            body=body,
        )
