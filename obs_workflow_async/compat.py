"""Typed look-alikes of the official SDK's ``GetResult``, for code leaving ``obs.WorkflowClient``.

The official SDK returns a ``GetResult`` for HTTP errors instead of raising; the
camelCase methods of :class:`~obs_workflow_async.AsyncWorkflowClient` do the same
with these models, but fill ``requestId`` from ``X-Request-ID`` (which the SDK drops).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, TypeVar
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict

from .errors import APIStatusError

__all__ = ["AsyncAPIStartWorkflowResponse", "GetResult", "compat_headers"]

BodyT = TypeVar("BodyT", bound=BaseModel)

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


class AsyncAPIStartWorkflowResponse(BaseModel):
    """``GetResult.body`` of ``asyncAPIStartWorkflow``: the SDK's camelCase fields."""

    model_config = ConfigDict(extra="allow", frozen=True)

    executionUrn: str | None = None
    startedAt: str | None = None
    executionName: str | None = None


class GetResult(BaseModel, Generic[BodyT]):
    """Shaped like ``obs.model.GetResult``; ``body`` is ``None`` when ``status >= 300``."""

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
