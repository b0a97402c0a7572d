"""Typed look-alikes of the official SDK's ``GetResult``, for code leaving ``obs.WorkflowClient``.

The official SDK returns a ``GetResult`` for HTTP errors instead of raising; the
camelCase methods of :class:`~obs_workflow_async.AsyncWorkflowClient` do the same
with these models, but fill ``requestId`` from ``X-Request-ID`` (which the SDK drops).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, TypeVar
from urllib.parse import unquote

from pydantic import AliasGenerator, BaseModel, ConfigDict, JsonValue
from pydantic.alias_generators import to_snake

from .errors import APIStatusError

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
    "UpdateWorkflowResponse",
    "compat_headers",
]

BodyT = TypeVar("BodyT")

# const.ALLOWED_RESPONSE_HTTP_HEADER_METADATA_NAMES of esdk-obs-python 3.26.6.
_KEPT_HEADERS = frozenset(
    {
        "content-type", "content-md5", "checksum-crc64ecma", "content-length",
        "content-language", "expires", "origin", "cache-control", "content-disposition",
        "content-encoding", "x-default-storage-class", "location", "date", "etag", "host",
        "last-modified", "content-range", "x-reserved", "access-control-allow-origin",
        "access-control-allow-headers", "access-control-max-age",
        "access-control-allow-methods", "access-control-expose-headers", "connection",
        "x-reserved-indicator", "x-oef-request-id",
    }
)  # fmt: skip


def compat_headers(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """The SDK's ``GetResult.header``: allow-listed names, ``x-obs-*``/``x-amz-*`` with the
    prefix stripped (values URL-decoded), plus ``x-request-id`` which the SDK drops."""
    result: list[tuple[str, str]] = []
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in _KEPT_HEADERS or lowered == "x-request-id":
            result.append((lowered, value))
        elif lowered.startswith("x-obs-") or lowered.startswith("x-amz-"):
            result.append((lowered[6:], unquote(value)))
    return result


class _SdkBody(BaseModel):
    """A ``GetResult.body``: the SDK's camelCase names, read from the service's snake_case
    JSON; fields the SDK does not know are kept too."""

    model_config = ConfigDict(
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
    createTime: str | None = None
    lastModifyTime: str | None = None


class ListWorkflowTemplateResponse(_SdkBody):
    templates: list[JsonValue] | None = None
    count: int | None = None
    nextStart: int | None = None
    isTruncated: bool | None = None


class CreateWorkflowResponse(_SdkBody):
    graphName: str | None = None
    graphUrn: str | None = None
    createdAt: str | None = None


class GetWorkflowResponse(_SdkBody):
    name: str | None = None
    createdAt: str | None = None
    definition: JsonValue = None
    graphUrn: str | None = None
    description: str | None = None


class UpdateWorkflowResponse(_SdkBody):
    graphName: str | None = None
    graphUrn: str | None = None
    lastModified: str | None = None


class ListWorkflowResponse(_SdkBody):
    graphs: list[JsonValue] | None = None
    count: int | None = None
    nextStart: int | None = None
    isTruncated: bool | None = None


class AsyncAPIStartWorkflowResponse(_SdkBody):
    """``GetResult.body`` of ``asyncAPIStartWorkflow``: the SDK's camelCase fields."""

    executionUrn: str | None = None
    startedAt: str | None = None
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
    restoredAt: str | None = None
    executionName: str | None = None


class GetTriggerPolicyResponse(_SdkBody):
    rules: list[JsonValue] | None = None


class GetResult(BaseModel, Generic[BodyT]):
    """Shaped like ``obs.model.GetResult``; ``body`` is ``None`` when ``status >= 300``.

    For deletes and ``putTriggerPolicy`` the SDK's body is the raw response text, and
    so is ours (``GetResult[str]``).
    """

    model_config = ConfigDict(frozen=True)

    status: int
    reason: str | None = None
    errorCode: str | None = None
    errorMessage: str | None = None
    requestId: str | None = None
    indicator: str | None = None
    hostId: str | None = None
    resource: str | None = None
    header: list[tuple[str, str]] = []
    body: BodyT | None = None

    @classmethod
    def from_error(cls, error: APIStatusError) -> GetResult[BodyT]:
        """The result the SDK returns for an HTTP error answer."""
        return cls(
            status=error.status,
            reason=error.reason,
            errorCode=error.code,
            errorMessage=error.message,
            requestId=error.request_id,
            indicator=error.headers.get("x-reserved-indicator"),
            hostId=error.host_id or error.headers.get("x-obs-id-2"),
            resource=error.resource,
            header=compat_headers(error.headers),
            body=None,
        )
