"""Pydantic v2 models: validated requests going out, typed results coming back.

Request models run the rules of :mod:`.validation` so that a bad name fails
*before* anything is sent; :func:`validate_request` turns pydantic's
``ValidationError`` into :class:`~.errors.InvalidRequestError` naming the field
and the rule. Result models keep unknown fields the service adds
(``extra="allow"``) instead of failing on them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Annotated, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    PlainSerializer,
    SkipValidation,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from . import validation
from .errors import ErrorDetail, InvalidRequestError

__all__ = [
    "BucketName",
    "GraphName",
    "ObjectKey",
    "StartWorkflowRequest",
    "StartWorkflowResult",
    "WorkflowInputs",
    "validate_request",
]


def _rule(check: Callable[[str], str | None]) -> Callable[[str], str]:
    def validator(value: str) -> str:
        problem = check(value)
        if problem is not None:
            raise PydanticCustomError("obs_rule", problem)
        return value

    return validator


def _inputs_rule(value: dict[str, JsonValue]) -> dict[str, JsonValue]:
    problem = validation.check_inputs(value)
    if problem is not None:
        raise PydanticCustomError("obs_rule", problem)
    return value


GraphName = Annotated[str, Field(strict=True), AfterValidator(_rule(validation.check_graph_name))]
"""A workflow (graph) or template name."""
BucketName = Annotated[str, Field(strict=True), AfterValidator(_rule(validation.check_bucket_name))]
"""An OBS bucket name."""
ObjectKey = Annotated[str, Field(strict=True), AfterValidator(_rule(validation.check_object_key))]
"""An object key (unicode, 1-1024 characters)."""
WorkflowInputs = Annotated[dict[str, JsonValue], AfterValidator(_inputs_rule)]
"""Workflow parameters by name; values must serialise to JSON."""


# json.dumps(ensure_ascii=False), as the SDK calls it, without building an encoder per call.
_JSON_AS_SDK = json.JSONEncoder(ensure_ascii=False)


class _Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StartWorkflowRequest(_Request):
    """Arguments of ``POST /v2/workflows/{graph_name}`` (start an execution)."""

    graph_name: GraphName
    bucket: BucketName
    object_key: ObjectKey
    inputs: WorkflowInputs | None = None

    def body(self) -> bytes:
        """The JSON body, formatted as the official SDK formats it; no ``"inputs": null``."""
        payload: dict[str, JsonValue] = {"bucket": self.bucket, "object": self.object_key}
        if self.inputs is not None:
            payload["inputs"] = self.inputs
        return _JSON_AS_SDK.encode(payload).encode("utf-8")


_R = TypeVar("_R", bound=BaseModel)

_PYDANTIC_RULES = {
    "string_type": "must be a string",
    "dict_type": "must be a mapping",
    "missing": "is required",
    "extra_forbidden": "is not a known argument",
}


def _describe(error: Mapping[str, object]) -> ErrorDetail:
    loc = error.get("loc", ())
    parts = [str(p) for p in loc] if isinstance(loc, tuple) else []
    field = ".".join(parts) or "request"
    kind = str(error.get("type", ""))
    rule = _PYDANTIC_RULES.get(kind) or str(error.get("msg", "is invalid"))
    return ErrorDetail(field=field, rule=rule)


def validate_request(model: type[_R], **values: object) -> _R:
    """Build ``model`` from ``values`` or raise :class:`InvalidRequestError`.

    The error lists every broken rule with its field name; it never echoes the
    values themselves (they may be long or private).
    """
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        details = [_describe(e) for e in exc.errors(include_url=False, include_input=False)]
        raise InvalidRequestError(details) from None


def _assume_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


AwareDatetime = Annotated[datetime, AfterValidator(_assume_utc)]
"""A timestamp; one without a zone is taken as UTC (the service writes ``...Z``)."""


def _headers_as_dict(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


ResponseHeaders = Annotated[
    Mapping[str, str],
    SkipValidation,
    PlainSerializer(_headers_as_dict, return_type=dict[str, str]),
]
"""Response headers as received: case-insensitive lookups; dumped as a lower-case dict."""


class ResponseModel(BaseModel):
    """Base of the result models: unknown fields from the service are kept.

    Parse with :meth:`from_response`: the JSON body is parsed and validated in one
    step, and the transport's metadata (request id, headers, retries) is merged in
    through the validation context.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _merge_response_metadata(cls, data: object, info: ValidationInfo) -> object:
        context = info.context
        if isinstance(context, dict) and isinstance(data, dict):
            return {**data, **context}  # a copy: python-mode input belongs to the caller
        return data


class StartWorkflowResult(ResponseModel):
    """The answer to a start call.

    ``request_id`` comes from ``X-Request-ID``, else ``x-obs-request-id``, else the
    body's ``request_id``; ``headers`` are the response headers (a case-insensitive
    mapping);
    ``retries_taken`` counts the attempts after the first one.
    """

    execution_urn: str
    execution_name: str
    started_at: AwareDatetime
    request_id: str | None = None
    # The response's own case-insensitive header mapping: not copied, not re-validated.
    headers: ResponseHeaders = Field(default_factory=dict, repr=False)
    retries_taken: int = 0
