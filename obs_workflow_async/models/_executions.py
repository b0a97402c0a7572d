"""Executions: start, list, get, restore; their states and types."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Annotated, ClassVar

from pydantic import (
    BeforeValidator,
    Field,
    JsonValue,
    PrivateAttr,
    model_validator,
)

# pydantic exports it at the top level only from 2.10 on (the floor is 2.7)
from pydantic.functional_validators import ModelWrapValidatorHandler
from pydantic_core import PydanticCustomError

from .._error_body import scalar_text as _scalar_text
from ..validation import check_text
from ._base import (
    BucketName,
    ExecutionName,
    Flag,
    GraphName,
    ListLimit,
    NullableDict,
    NullableList,
    ObjectKey,
    OptionalAwareDatetime,
    RequestModel,
    ResponseModel,
    ResultModel,
    WorkflowInputs,
    copy_headers,
    decode_json_text,
    json_body,
    parse_timestamp,
    timestamp_span,
)
from ._timestamps import _from_common_iso

if TYPE_CHECKING:
    from pydantic import ModelWrapValidatorHandler
    from typing_extensions import Self

__all__ = [
    "ExecutionDetail",
    "ExecutionPage",
    "ExecutionState",
    "ExecutionSummary",
    "ExecutionType",
    "ListExecutionsRequest",
    "RestoreExecutionResult",
    "StartWorkflowRequest",
    "StartWorkflowResult",
    "StateRun",
    "read_start_answer",
]


class _OpenEnum(str, Enum):
    """A string enum that also accepts values the service adds later.

    An unknown value becomes a pseudo-member (``ExecutionState("timeout")``) that
    compares equal to its string, instead of failing validation.

    ``str()``, ``format()`` and f-strings give the value (``"RUNNING"``), as
    :class:`enum.StrEnum` does on Python 3.11+ (this base works on 3.10 too), not
    ``"ExecutionState.RUNNING"``.
    """

    def __str__(self) -> str:
        return str.__str__(self)

    def __format__(self, format_spec: str) -> str:
        return str.__format__(self.value, format_spec)

    @classmethod
    def _missing_(cls, value: object) -> _OpenEnum | None:
        if isinstance(value, str) and value:
            member = str.__new__(cls, value)
            member._name_ = value.upper()
            member._value_ = value
            return member
        return None


class ExecutionState(_OpenEnum):
    """State of an execution. v2 documents RUNNING, SUCCESS, FAILED; others are kept.

    ``UNKNOWN`` (value ``""``) is what an answer with an empty, ``null`` or missing
    ``execution_state`` reads as: not terminal, so a wait goes on polling.
    """

    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    UNKNOWN = ""

    @property
    def is_terminal(self) -> bool:
        """Finished, one way or another (DWR v3 spellings included)."""
        return self.value.upper() in _TERMINAL

    @property
    def is_success(self) -> bool:
        """Whether the state is SUCCESS (v3: ``success``)."""
        return self.value.upper() == "SUCCESS"


_TERMINAL = frozenset({"SUCCESS", "FAILED", "FAIL", "TIMEOUT", "CANCEL", "CANCELLED", "CANCELED"})


class ExecutionType(_OpenEnum):
    """How an execution was started."""

    APICALL = "APICALL"
    """Started through the API (``start_workflow``)."""
    TRIGGERCAL = "TRIGGERCAL"
    """Started by a bucket event through a trigger policy."""


# -- requests ------------------------------------------------------------------------


class StartWorkflowRequest(RequestModel):
    """Arguments of ``POST /v2/workflows/{graph_name}`` (start an execution)."""

    graph_name: GraphName
    bucket: BucketName
    object_key: ObjectKey
    inputs: WorkflowInputs | None = None
    ascii_body: ClassVar[bool] = False
    """Non-ASCII text as ``\\uXXXX`` in the body (the API's SDK's serialisation)."""

    def body(self) -> bytes:
        """The JSON body, formatted as the official SDK formats it; no ``"inputs": null``."""
        payload: dict[str, JsonValue] = {"bucket": self.bucket, "object": self.object_key}
        if self.inputs is not None:
            payload["inputs"] = self.inputs
        return json_body(payload, ascii_only=self.ascii_body)


class ListExecutionsRequest(RequestModel):
    """Arguments of ``GET /v2/workflowexecutions``."""

    graph_name: GraphName
    execution_type: ExecutionType | None = None
    next_marker: str | None = Field(default=None, min_length=1, max_length=1024)
    limit: ListLimit | None = None
    state: ExecutionState | None = None

    def query(self) -> tuple[tuple[str, str | None], ...]:
        """Query arguments in the SDK's order. The state filter is applied client-side."""
        query: list[tuple[str, str | None]] = [("x-workflow-graph-name", self.graph_name)]
        if self.next_marker:
            query.append(("x-workflow-next-marker", self.next_marker))
        if self.limit:
            query.append(("x-workflow-limit", str(self.limit)))
        if self.execution_type is not None:
            query.append(("x-workflow-execution-type", self.execution_type.value))
        return tuple(query)


class ExecutionRef(RequestModel):
    """A graph and one of its executions."""

    graph_name: GraphName
    execution_name: ExecutionName


# -- responses --------------------------------------------------------------------------


def _state(value: object) -> object:
    return "" if value is None else value


def _blank_is_none(value: object) -> object:
    return None if value == "" else value


AnswerText = Annotated[str | None, BeforeValidator(_scalar_text)]
"""An id the service returns: ``None`` when missing, ``null``, ``""`` or not text."""
_StateField = Annotated[ExecutionState, BeforeValidator(_state)]
"""An execution state: ``""``, ``null`` or missing read as :attr:`ExecutionState.UNKNOWN`."""
_TypeField = Annotated[ExecutionType | None, BeforeValidator(_blank_is_none)]


class StartWorkflowResult(ResultModel):
    """The answer to a start call (plus ``request_id``, ``headers``, ``retries_taken``).

    A 2xx answer is a start: it is a result as soon as it names the execution by
    ``execution_name`` or ``execution_urn`` (either may then be ``None``).
    ``started_at`` reads any form of :func:`~._base.parse_timestamp`; when the body's
    is missing, empty, ``null`` or unreadable, it is the answer's ``Date`` header,
    and ``None`` only if that is missing or unreadable too. An answer naming no
    execution raises :class:`~obs_workflow_async.errors.ResponseParseError`, which
    says the execution may have started.
    """

    execution_urn: AnswerText = None
    execution_name: AnswerText = None
    started_at: OptionalAwareDatetime = None

    @model_validator(mode="after")
    def _names_an_execution(self) -> StartWorkflowResult:
        if self.execution_name is None and self.execution_urn is None:
            raise PydanticCustomError(
                "obs_start", "the answer names no execution (no execution_name or execution_urn)"
            )
        if self.started_at is None:
            date = parse_timestamp(self.headers.get("date"))
            if date is not None:
                object.__setattr__(self, "started_at", date)  # frozen: set once, here
        return self


_START_FIELDS = frozenset({"execution_urn", "execution_name", "started_at"})
_METADATA_FIELDS = frozenset({"headers", "retries_taken"})


def _refuse_constant(name: str) -> object:
    raise ValueError(name)  # NaN, Infinity: left to the full validation


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def _has_surrogate(value: object) -> bool:
    """A string that pydantic's JSON reader refuses (a lone surrogate escape)."""
    return type(value) is str and check_text(value) is not None


def read_start_answer(
    body: bytes, headers: Mapping[str, str], request_id: str | None, retries_taken: int
) -> StartWorkflowResult | None:
    """The common start answer (a JSON object of at most ``execution_urn``,
    ``execution_name`` and ``started_at``) read with ``json``'s scanner and the same
    rules as :class:`StartWorkflowResult`'s validation, into an equal result; ``None``
    for any other body (more fields, no execution named, not JSON, ...), which the full
    validation then reads or refuses with its own error."""
    try:
        text = body.decode("utf-8")
        # json.loads without its frames; at 0: no leading whitespace (the full reading)
        data, end = _SCAN(text, 0)
    except (ValueError, StopIteration):  # UnicodeDecodeError, JSONDecodeError; no value
        return None
    if end != len(text) and text[end:].strip(" \t\n\r"):
        return None  # something after the value
    if type(data) is not dict:
        return None
    shape = ("execution_urn" in data, "execution_name" in data, "started_at" in data)
    if len(data) != shape[0] + shape[1] + shape[2]:
        return None  # another field
    raw_urn = data.get("execution_urn")
    raw_name = data.get("execution_name")
    raw_time = data.get("started_at")
    # UTF-8 decodes to no lone surrogate: only a \u escape can write one.
    if "\\u" in text and (
        _has_surrogate(raw_urn) or _has_surrogate(raw_name) or _has_surrogate(raw_time)
    ):
        return None
    # _scalar_text, its common case inline: text ("" reads as None)
    urn = (raw_urn or None) if type(raw_urn) is str else _scalar_text(raw_urn)
    name = (raw_name or None) if type(raw_name) is str else _scalar_text(raw_name)
    if urn is None and name is None:
        return None
    copied = copy_headers(headers)
    started = (type(raw_time) is str and _from_common_iso(raw_time)) or parse_timestamp(raw_time)
    if started is None:
        started = parse_timestamp(copied.get("date"))
    values = {
        "request_id": request_id,
        "headers": copied,
        "retries_taken": retries_taken,
        "execution_urn": urn,
        "execution_name": name,
        "started_at": started,
    }
    return _start_result((*shape, request_id is not None), values)


def _start_result(shape: tuple[bool, ...], values: dict[str, object]) -> StartWorkflowResult:
    """What ``StartWorkflowResult.model_construct(given, **values)`` builds, without its
    loop over the fields and their defaults (``values`` in the fields' order;
    tests/unit/test_start_answer_fast.py holds the two equal: fields, order, fields set,
    extra, repr). ``shape``: whether the body has ``execution_urn``, ``execution_name``,
    ``started_at``, and whether a request id came."""
    result = _new_start_result(StartWorkflowResult)
    _set_dict(result, values)
    _set_private(result, None)
    _set_extra(result, {})
    given = _GIVEN.get(shape)
    if given is None:
        given = {name for name, present in zip(_SHAPE_FIELDS, shape, strict=True) if present}
        given |= _METADATA_FIELDS
        _set_fields(result, given)
        result.model_post_init(None)  # shares the set of given fields per shape
        if len(_GIVEN) < _GIVEN_MAX:
            _GIVEN[shape] = result.__pydantic_fields_set__
    else:
        _set_fields(result, given)
    return result


_SHAPE_FIELDS = ("execution_urn", "execution_name", "started_at", "request_id")
_GIVEN: dict[tuple[bool, ...], set[str]] = {}
"""The set of given fields of each answer shape (body fields, request id or not), shared
as :meth:`ResultModel.model_post_init` shares it (results are frozen)."""
_GIVEN_MAX = 64
_SCAN: Callable[[str, int], tuple[object, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
"""``_DECODER.raw_decode`` without its frame (what it calls)."""


_new_start_result = object.__new__


def _slot_setter(name: str) -> Callable[[object, object], None]:
    """The setter of one of the model's slots (``object.__setattr__`` of it, as pydantic's
    ``model_construct`` sets it, without looking the name up each time)."""
    for klass in StartWorkflowResult.__mro__:
        found = klass.__dict__.get(name)
        if found is not None:
            setter: Callable[[object, object], None] = found.__set__
            return setter
    raise AttributeError(name)  # pragma: no cover - pydantic's BaseModel has them


_set_dict = _slot_setter("__dict__")
_set_fields = _slot_setter("__pydantic_fields_set__")
_set_extra = _slot_setter("__pydantic_extra__")
_set_private = _slot_setter("__pydantic_private__")


_NO_TIME: object = object()
_ZONELESS = (timedelta(hours=-14), timedelta(hours=12))
"""As :func:`~._base.timestamp_span` widens a time written without a zone."""


def quick_span(value: object) -> tuple[datetime, datetime] | None:
    """:func:`~._base.timestamp_span` of ``value``, with the service's common form
    (``2026-12-03T10:00:00[.fff][Z]``) read without the regular expressions: with
    ``Z`` exactly that moment, without a zone the span of every zone."""
    if type(value) is str:
        moment = _from_common_iso(value)
        if moment is not None:
            if value[-1] == "Z":
                return moment, moment
            return moment + _ZONELESS[0], moment + _ZONELESS[1]
    return timestamp_span(value)


def raw_started_at(data: object) -> object:
    """The ``started_at`` as the service wrote it (top level, then inside
    ``execution_info``, then v3's ``begin_time``), as the models read it; ``_NO_TIME``
    for data that is not a mapping. Each place is read only when the one before it
    holds nothing."""
    if not isinstance(data, Mapping):
        return _NO_TIME
    value = data.get("started_at")
    if value is not None and value != "":
        return value
    info = data.get("execution_info")
    if info is not None:
        value = _info_field(info, "started_at")
        if value is not None and value != "":
            return value
    value = data.get("begin_time")
    if value is not None and value != "":
        return value
    return None


def _info_field(info: object, name: str) -> object:
    info = decode_json_text(info)
    return info.get(name) if isinstance(info, Mapping) else None


class ExecutionSummary(ResponseModel):
    """One item of an execution list."""

    _started_at_span: tuple[datetime, datetime] | None = PrivateAttr(default=None)

    execution_name: str
    execution_state: _StateField = ExecutionState.UNKNOWN
    """``UNKNOWN`` (``""``) when the service sent none, ``""`` or ``null``."""
    execution_type: _TypeField = None
    execution_urn: str | None = None
    graph_urn: str | None = None
    started_at: OptionalAwareDatetime = None
    stopped_at: OptionalAwareDatetime = None
    """``None`` while the execution runs (the service sends ``""``)."""

    @model_validator(mode="wrap")
    @classmethod
    def _keep_started_at_span(cls, data: object, handler: ModelWrapValidatorHandler[Self]) -> Self:
        model = handler(data)
        raw = raw_started_at(data)
        if raw is _NO_TIME:
            raw = model.started_at
        model._started_at_span = quick_span(raw)
        return model

    @property
    def started_at_span(self) -> tuple[datetime, datetime] | None:
        """The moments ``started_at`` may denote as the service wrote it:
        ``(t, t)`` for a time with a zone; a span across every zone for a time
        without one (``started_at`` reads it as UTC); for a number, its plausible
        reading as epoch seconds or milliseconds (``started_at`` reads milliseconds);
        ``None`` when unreadable or missing."""
        return self._started_at_span

    @property
    def is_terminal(self) -> bool:
        """Whether the execution has finished, one way or another."""
        return self.execution_state.is_terminal

    @property
    def succeeded(self) -> bool:
        """Whether the execution finished successfully."""
        return self.execution_state.is_success


_PAGE_ALIASES = {"isTruncated": "is_truncated", "nextMarker": "next_marker"}


class ExecutionPage(ResultModel):
    """One page of ``list_executions``; follow ``next_marker`` while ``is_truncated``.

    The service sends ``next_marker`` only when the list goes on: a page with a
    ``next_marker`` but no ``is_truncated`` (missing or ``null``) reads as truncated.
    The camelCase spellings ``isTruncated`` and ``nextMarker`` read as the snake_case
    fields when those are missing.
    """

    @model_validator(mode="before")
    @classmethod
    def _spellings(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for camel, snake in _PAGE_ALIASES.items():
            if out.get(snake) is None and out.get(camel) is not None:
                out[snake] = out[camel]
        marker = out.get("next_marker")
        if out.get("is_truncated") is None and isinstance(marker, str) and marker:
            out["is_truncated"] = True
        return out

    count: int | None = None
    """What the service reported for this page (before any client-side state filter)."""
    executions: NullableList[ExecutionSummary] = Field(default_factory=list)
    """``null`` reads as ``[]`` (and ``null`` items are dropped)."""
    is_truncated: Flag = False
    next_marker: str | None = None


class StateRun(ResponseModel):
    """One state of an execution's ``state_map``."""

    state_name: str | None = None
    status: str | None = None
    type: str | None = None
    started_at: OptionalAwareDatetime = None
    input: JsonValue = None


class ExecutionDetail(ExecutionSummary, ResultModel):
    """``get_execution``: the service's ``execution_info``, typed and flattened."""

    @model_validator(mode="before")
    @classmethod
    def _unwrap_execution_info(cls, data: object) -> object:
        if isinstance(data, dict) and "execution_info" in data:
            info = decode_json_text(data["execution_info"])
            if isinstance(info, dict):
                rest = {k: v for k, v in data.items() if k != "execution_info"}
                return {**info, **rest}
        return data

    start_state: str | None = None
    input: JsonValue = None
    state_map: NullableDict[StateRun] = Field(default_factory=dict)


class RestoreExecutionResult(ResultModel):
    """The answer to restoring a failed execution."""

    execution_urn: AnswerText = None
    execution_name: str
    restored_at: OptionalAwareDatetime = None
