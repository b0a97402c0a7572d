"""Shared pieces of the models: validated name types, request and response bases.

Request models run the rules of :mod:`~obs_workflow_async.validation` so that a bad name fails
*before* anything is sent; :func:`validate_request` turns pydantic's
``ValidationError`` into :class:`~obs_workflow_async.errors.InvalidRequestError` naming the field
and the rule. Response models keep unknown fields the service adds
(``extra="allow"``) instead of failing on them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, TypeVar, overload

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .. import validation
from ..errors import ErrorDetail, InvalidRequestError
from ._timestamps import (  # the timestamp rules live in ._timestamps
    _required_timestamp,
    parse_timestamp,
    timestamp_span,
)

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "AwareDatetime",
    "BucketName",
    "Description",
    "ExecutionName",
    "GraphName",
    "Headers",
    "ListLimit",
    "ListStart",
    "ObjectKey",
    "OperationResult",
    "Flag",
    "NullableDict",
    "NullableList",
    "OptionalAwareDatetime",
    "RequestModel",
    "ResponseHeaders",
    "ResponseModel",
    "ResultModel",
    "copy_headers",
    "decode_json_text",
    "TemplateName",
    "WorkflowInputs",
    "json_body",
    "parse_timestamp",
    "timestamp_span",
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
"""A workflow (graph) name: 1-64; letter or digit first; letters, digits, ``_``, ``-``."""
TemplateName = GraphName
"""Template names follow the graph-name rule."""
BucketName = Annotated[str, Field(strict=True), AfterValidator(_rule(validation.check_bucket_name))]
"""An OBS bucket name."""
ObjectKey = Annotated[str, Field(strict=True), AfterValidator(_rule(validation.check_object_key))]
"""An object key (unicode, 1-1024 characters)."""
ExecutionName = Annotated[
    str, Field(strict=True), AfterValidator(_rule(validation.check_execution_name))
]
"""An execution name as the service returned it."""
Description = Annotated[
    str, Field(strict=True), AfterValidator(_rule(validation.check_description))
]
"""A description: 0-256; letters, digits, spaces and ``,.:-_``."""
WorkflowInputs = Annotated[dict[str, JsonValue], AfterValidator(_inputs_rule)]
"""Workflow parameters by name; values must serialise to JSON."""
ListLimit = Annotated[int, Field(strict=True, ge=1, le=1000)]
"""Items per page: 1-1000."""
ListStart = Annotated[int, Field(strict=True, ge=1)]
"""Offset of the first item (1-based), as ``next_start`` returned it."""


class RequestModel(BaseModel):
    """Base of the request models: immutable, unknown arguments refused.

    Every string the request holds, however deep (nested inputs, their keys, the
    parts of a template), must be valid Unicode text, and every number finite: a
    lone surrogate (what ``os.fsdecode`` gives for a non-UTF-8 file name) or a NaN
    fails here, naming the field, instead of failing to encode when sent.
    """

    # defer_build: validators are built on first use, not at import (see _DEFERRED).
    model_config: ClassVar[ConfigDict] = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    @model_validator(mode="after")
    def _sendable(self) -> Self:
        found = validation.find_unsendable(self)
        if found is not None:
            where, rule = found
            raise PydanticCustomError("obs_rule", rule, {"field": where})
        return self


_R = TypeVar("_R", bound=BaseModel)
_T = TypeVar("_T")

_PYDANTIC_RULES = {
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "dict_type": "must be a mapping",
    "list_type": "must be a list",
    "missing": "is required",
    "extra_forbidden": "is not a known argument",
    "string_unicode": validation.TEXT_RULE,
}


def _describe(error: Mapping[str, object]) -> ErrorDetail:
    loc = error.get("loc", ())
    parts = [str(p) for p in loc] if isinstance(loc, tuple) else []
    context = error.get("ctx")
    if isinstance(context, Mapping) and isinstance(context.get("field"), str):
        parts.append(context["field"])  # a model-level rule that names the field it broke
    field = ".".join(parts) or "request"
    kind = str(error.get("type", ""))
    rule = _PYDANTIC_RULES.get(kind) or str(error.get("msg", "is invalid"))
    return ErrorDetail(field=field, rule=rule)


def validate_request(model: type[_R], **values: object) -> _R:
    """Build ``model`` from ``values`` or raise :class:`InvalidRequestError`.

    The error lists every broken rule with its field name; it never echoes the
    values themselves (they may be long or private).

    :param model: The request model class to build.
    :param values: Its fields by name.
    :returns: The validated model.
    :raises InvalidRequestError: A value breaks one of the model's rules.
    """
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        details = [_describe(e) for e in exc.errors(include_url=False, include_input=False)]
        raise InvalidRequestError(details) from None


# json.dumps(ensure_ascii=False), as the SDK calls it, without building an encoder per call.
_JSON_AS_SDK = json.JSONEncoder(ensure_ascii=False)
_ASCII_JSON = json.JSONEncoder(ensure_ascii=True)


def json_body(payload: Mapping[str, object], *, ascii_only: bool = False) -> bytes:
    """A request body serialised exactly as the official SDKs serialise it: ``", "``
    and ``": "``, non-ASCII as UTF-8 (``esdk-obs-python``) or, with ``ascii_only``, as
    ``\\uXXXX`` (``huaweicloudsdkcore``, DWR v3)."""
    if ascii_only:
        return _ASCII_JSON.encode(payload).encode("ascii")
    return _JSON_AS_SDK.encode(payload).encode("utf-8")


def decode_json_text(value: object) -> object:
    """A field documented as "JSON" may come as an object or as JSON text: accept both."""
    if isinstance(value, str | bytes):
        try:
            decoded: object = json.loads(value)
        except (ValueError, RecursionError):  # RecursionError: nested beyond the stack
            return value
        return decoded
    return value


def _blank_is_none(value: object) -> object:
    return None if value == "" else value


AwareDatetime = Annotated[datetime, BeforeValidator(_required_timestamp)]
"""A timestamp in any of the forms :func:`parse_timestamp` reads; without a zone, UTC."""
OptionalAwareDatetime = Annotated[datetime | None, BeforeValidator(parse_timestamp)]
"""The one timestamp type of every result model: any form :func:`parse_timestamp`
reads; ``None`` when missing, ``""``, ``null`` or unreadable (a garbled time never
fails the whole answer)."""


def _none_is_empty_list(value: object) -> object:
    """``null`` where a list is expected reads as ``[]``; ``null`` items are dropped."""
    if value is None:
        return []
    if isinstance(value, list):
        return [item for item in value if item is not None]
    return value


def _none_is_empty_dict(value: object) -> object:
    """``null`` where an object is expected reads as ``{}``; ``null`` values are dropped."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {key: item for key, item in value.items() if item is not None}
    return value


def _none_is_false(value: object) -> object:
    return False if value is None else value


_L = TypeVar("_L")
NullableList = Annotated[list[_L], BeforeValidator(_none_is_empty_list)]
"""A list in an answer: ``null`` (or a missing field) is an empty list."""
NullableDict = Annotated[dict[str, _L], BeforeValidator(_none_is_empty_dict)]
"""An object in an answer: ``null`` (or a missing field) is an empty dict."""
Flag = Annotated[bool, BeforeValidator(_none_is_false)]
"""A boolean in an answer: ``null`` is ``False``."""


_NAMES: dict[str, str] = {}
"""Header names seen, lower-cased once and shared by every result (bounded)."""
_NAMES_MAX = 512


def _lower_name(name: str) -> str:
    lowered = _NAMES.get(name)
    if lowered is None:
        lowered = sys.intern(str(name).lower())
        if len(_NAMES) < _NAMES_MAX:
            _NAMES[name] = lowered
            # copy_headers' own tables (both within _NAMES' bound)
            if lowered in _SHARED_VALUES:
                _SHARED_NAMES[name] = lowered
            else:
                _PLAIN_NAMES[name] = lowered
    return lowered


_PLAIN_NAMES: dict[str, str] = {}
"""The names in :data:`_NAMES` whose values are not shared across answers."""
_SHARED_NAMES: dict[str, str] = {}
"""The names in :data:`_NAMES` of :data:`_SHARED_VALUES` headers."""


class Headers(dict[str, str]):
    """Response headers: a plain ``dict`` copy with lower-case names.

    Lookups (``[]``, ``get``, ``in``) take any case, so ``headers["X-Request-ID"]``
    and ``headers["x-request-id"]`` agree. It holds no aiohttp object: a kept result
    pins only these strings, not the response. A repeated header keeps its last value.
    """

    __slots__ = ()

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower() if isinstance(name, str) else name)

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name.lower() if isinstance(name, str) else name)

    @overload
    def get(self, name: str, default: None = None, /) -> str | None: ...
    @overload
    def get(self, name: str, default: str, /) -> str: ...
    @overload
    def get(self, name: str, default: _T, /) -> str | _T: ...
    def get(self, name: str, default: object = None, /) -> object:
        return super().get(name.lower() if isinstance(name, str) else name, default)


_VALUES: dict[str, str] = {}
"""Values of the low-cardinality headers below, shared by every result (bounded)."""
_SHARED_VALUES = frozenset(
    {"content-type", "content-length", "server", "connection", "content-encoding"}
)


_MAPPING_TYPES: set[type] = set()
"""Types of header mappings seen (not :class:`Headers`, returned as they are): a
``Mapping`` check per answer without the ABC machinery (bounded)."""
_MAPPING_TYPES_MAX = 16


def copy_headers(headers: object) -> Headers:
    """A :class:`Headers` copy of any mapping of header names to values.

    Equal values within one answer (``x-request-id`` and ``x-obs-request-id``) are
    one string, and the few values that repeat across answers (``content-type``,
    ``server``) are shared: a kept result costs little more than its own ids.
    """
    kind = type(headers)
    if kind not in _MAPPING_TYPES:
        if isinstance(headers, Headers):
            return headers
        if not isinstance(headers, Mapping):
            raise PydanticCustomError("dict_type", "headers must be a mapping")
        if len(_MAPPING_TYPES) < _MAPPING_TYPES_MAX:
            _MAPPING_TYPES.add(kind)  # isinstance of an ABC costs a thousand instructions
    copied = Headers()
    seen: dict[str, str] = {}  # equal values: one string
    plain = _PLAIN_NAMES
    shared = _SHARED_NAMES
    values = _VALUES
    pairs: Mapping[Any, object] = headers  # type: ignore[assignment]  # checked above
    # The common header in a few steps: a name seen before, a text value (what
    # _copy_one does for it, without its call); anything else goes to _copy_one.
    for name, value in pairs.items():
        if type(value) is str:
            lowered = plain.get(name)
            if lowered is not None:
                copied[lowered] = seen.setdefault(value, value)
                continue
            lowered = shared.get(name)
            if lowered is not None:
                text = values.get(value)
                if text is not None:
                    copied[lowered] = seen.setdefault(text, text)
                    continue
        _copy_one(copied, seen, name, value)
    return copied


def _copy_one(copied: Headers, seen: dict[str, str], name: object, value: object) -> None:
    """One header of :func:`copy_headers`, any name and value (a name that is not text
    is left out; a value that is not text is copied as its ``str``)."""
    lowered = _NAMES.get(name)  # type: ignore[call-overload]  # any hashable name
    if lowered is None:
        if not isinstance(name, str):
            return
        lowered = _lower_name(name)
    text = value if type(value) is str else str(value)
    if lowered in _SHARED_VALUES and len(text) <= 128:
        text = _VALUES.setdefault(text, text) if len(_VALUES) < _NAMES_MAX else text
    copied[lowered] = seen.setdefault(text, text)


def _headers_as_dict(headers: Mapping[str, str]) -> dict[str, str]:
    return dict(headers)


ResponseHeaders = Annotated[
    Mapping[str, str],  # at run time always a Headers: the type lets a mapping be passed
    PlainValidator(copy_headers),
    PlainSerializer(_headers_as_dict, return_type=dict[str, str]),
]
"""Response headers, copied into a plain lower-case :class:`Headers` dict (no aiohttp
object is kept): case-insensitive lookups; dumped as a lower-case dict."""


class ResponseModel(BaseModel):
    """Base of the response models: unknown fields from the service are kept."""

    model_config: ClassVar[ConfigDict] = ConfigDict(extra="allow", frozen=True, defer_build=True)


_FIELDS_SETS: dict[frozenset[str], set[str]] = {}


class ResultModel(ResponseModel):
    """A whole answer: the body's fields plus ``request_id``, ``headers``, ``retries_taken``.

    The client parses the JSON body and validates it in one step; the transport's
    metadata is merged in through the validation context.
    """

    request_id: str | None = None
    """``X-Request-ID``, else ``x-obs-request-id``, else the body's ``request_id``."""
    headers: ResponseHeaders = Field(default_factory=Headers, repr=False)
    """The response headers: a plain ``dict`` copy, lower-case names, lookups in any case."""
    retries_taken: int = 0
    """Attempts after the first one."""

    def model_post_init(self, context: object, /) -> None:
        """Share the set of given fields per answer shape (results are frozen)."""
        # The set of fields given is the same for most answers of a kind: share one
        # (results are frozen, and pydantic copies the set before changing a copy).
        given = self.__pydantic_fields_set__
        key = frozenset(given)
        shared = _FIELDS_SETS.get(key)
        if shared is not None:
            object.__setattr__(self, "__pydantic_fields_set__", shared)
        elif len(_FIELDS_SETS) < _NAMES_MAX:
            _FIELDS_SETS[key] = given

    @model_validator(mode="before")
    @classmethod
    def _merge_response_metadata(cls, data: object, info: ValidationInfo) -> object:
        context = info.context
        if isinstance(context, dict) and isinstance(data, dict):
            return {**data, **context}  # a copy: python-mode input belongs to the caller
        return data


class OperationResult(ResultModel):
    """The answer to a call whose body carries nothing (deletes, putting a policy)."""

    status: int
    """The HTTP status (200 or 204)."""
