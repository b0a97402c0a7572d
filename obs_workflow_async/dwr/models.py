"""DWR v3 requests and results (typed after ``huaweicloudsdkdwr`` 3.1.219).

Answers are parsed liberally where the digest lists open questions: unknown fields
are kept (``model_extra``), ``null`` lists read as ``[]``, and the two documented
shapes of an execution detail both read into :class:`DwrExecutionDetail`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from functools import lru_cache
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, JsonValue, model_validator

from .._error_body import scalar_text as _scalar_text
from .._plain_json import plain_start_body
from ..models._base import (
    BucketName,
    NullableList,
    ObjectKey,
    OptionalAwareDatetime,
    RequestModel,
    ResponseModel,
    ResultModel,
    WorkflowInputs,
    validate_request,
)
from ..models._executions import (
    ExecutionDetail,
    ExecutionState,
    ExecutionSummary,
    RestoreExecutionResult,
)
from ..validation import check_bucket_name, check_object_key

__all__ = [
    "DwrAction",
    "DwrActionResult",
    "DwrActionTemplate",
    "DwrAgreement",
    "DwrAuthorization",
    "DwrCreateMyTemplateResult",
    "DwrCreateWorkflowResult",
    "DwrExecutionDetail",
    "DwrExecutionPage",
    "DwrExecutionSummary",
    "DwrExpressConfig",
    "DwrFuncVpc",
    "DwrInput",
    "DwrMyTemplateDefinition",
    "DwrNodeExecution",
    "DwrPolicy",
    "DwrRestoreResult",
    "DwrState",
    "DwrStatement",
    "DwrTemplateDetail",
    "DwrTemplatePage",
    "DwrUpdateMyTemplateResult",
    "DwrUpdateWorkflowResult",
    "DwrWorkflow",
    "DwrWorkflowDefinition",
    "DwrWorkflowPage",
    "DwrWorkflowSummary",
    "V3_STATES",
    "format_v3_time",
    "start_parts",
    "v3_state",
]

DwrGraphName = Annotated[str, Field(strict=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
"""``graph_name``: ``[A-Za-z0-9_-]``, a letter or digit first, at most 64."""
DwrTemplateName = Annotated[str, Field(strict=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
"""An action template name (no ``/``)."""
DwrExecutionName = Annotated[
    str, Field(strict=True, min_length=1, max_length=256, pattern=r"^[^/]+$")
]
Offset = Annotated[int, Field(strict=True, ge=1, le=1000)]
Limit = Annotated[int, Field(strict=True, ge=1, le=1000)]
ExecutionLimit = Annotated[int, Field(strict=True, ge=1, le=200)]

V3_STATES = ("success", "fail", "running", "timeout", "cancel")
"""The states v3 documents (``execution_state`` and ``status``), lower case on the wire."""

_V2_TO_V3 = {"FAILED": "fail", "CANCELLED": "cancel", "CANCELED": "cancel"}


def v3_state(state: ExecutionState | str) -> str:
    """The v3 wire spelling of a state filter: any case of the five v3 states, or the
    v2 members (``SUCCESS``, ``FAILED``, ``RUNNING``). Raises ``ValueError`` otherwise."""
    text = str(state.value if isinstance(state, ExecutionState) else state).strip()
    upper = text.upper()
    wire = _V2_TO_V3.get(upper, text.lower())
    if wire not in V3_STATES:
        raise ValueError(f"must be one of {', '.join(V3_STATES)} (any case) or FAILED")
    return wire


def format_v3_time(value: datetime) -> str:
    """``yyyy-MM-ddTHH:mm:ssZ`` (UTC, no fraction); naive values are taken as UTC.

    :param value: The moment to format.
    """
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


_JSON_AS_SDK = json.JSONEncoder(ensure_ascii=True)


def json_body(payload: Mapping[str, object]) -> bytes:
    """A body as ``huaweicloudsdkcore`` serialises it (``", "``/``": "``, non-ASCII as
    ``\\uXXXX``), so the bytes and the payload hash equal the SDK's.

    :param payload: The body's fields.
    """
    return _JSON_AS_SDK.encode(payload).encode("ascii")


# -- requests --------------------------------------------------------------------------


class _Open(BaseModel):
    """A body part, serialised as the SDK's model of the same name: the known fields in
    the SDK model's order (``openapi_types``), whatever order the caller used, then
    unknown fields (passed through, in the caller's order); ``None`` fields not sent.
    Types are strict (``"5"`` is not an int, ``1`` not a bool), so a value is sent as
    given or refused; free-form maps (``dynamic_source``, ``constraints``) keep the
    caller's order and their ``null`` values, as the SDK sends them."""

    model_config: ClassVar[ConfigDict] = ConfigDict(extra="allow", frozen=True, strict=True)


_Number = int | float
"""A JSON number sent as given (``5`` stays ``5``, ``5.0`` stays ``5.0``)."""


class DwrInput(_Open):
    """``Input``: ``parameter_name``, ``type``, ``value_type``, ``template_parameter_name``,
    ``parameter_value``, ``description``, ``default``, ``label``, ``constraints``,
    ``invisible``."""

    parameter_name: str
    type: str
    """``string``, ``integer``, ``float``, ``boolean``, ``list`` or ``map``."""
    value_type: str | None = None
    template_parameter_name: str | None = None
    parameter_value: str | None = None
    description: str | None = None
    default: str | None = None
    label: str | None = None
    constraints: JsonValue = None
    """``{equal, valid_values, regex, invalid_values}`` (the SDK types it ``object``)."""
    invisible: bool | None = None


class DwrActionResult(_Open):
    """``ActionResult``: ``match``, ``retry_interval``, ``max_retry``, ``next_state``,
    ``is_terminal`` (the SDK validates none of them locally)."""

    match: str | None = None
    retry_interval: int | None = None
    max_retry: int | None = None
    next_state: str | None = None
    is_terminal: bool | None = None


class DwrAction(_Open):
    """``Action``, fields in the SDK's order."""

    action_name: str
    action_agency: str | None = None
    function: str | None = None
    function_template: str | None = None
    action_template_name: str | None = None
    action_template_category: str | None = None
    action_template_provider_name: str | None = None
    invocation_mode: str | None = None
    timeout: int | None = None
    payload_filter: str | None = None
    dynamic_source: dict[str, JsonValue] | None = None
    results: list[DwrActionResult] | None = None


class DwrState(_Open):
    """``State``, fields in the SDK's order (``start`` first)."""

    start: bool | None = None
    type: str
    """``DELAY``, ``OPERATION`` or ``END``."""
    payload_filter_in: str | None = None
    payload_filter_out: str | None = None
    state_name: str
    action_mode: str | None = None
    """``sequential`` or ``parallel``."""
    actions: list[DwrAction] | None = None
    next_state: str | None = None
    time_delay: int | None = None


class DwrExpressConfig(_Open):
    """``ExpressConfig``: ``log_level`` (``NONE``, ``ERROR``, ``ALL``), ``support_anonymous``."""

    log_level: str | None = None
    support_anonymous: bool | None = None


class DwrFuncVpc(_Open):
    """``FuncVpc``, fields in the SDK's order (``subnet_id`` first)."""

    subnet_id: str | None = None
    vpc_id: str | None = None
    vpc_name: str | None = None
    subnet_name: str | None = None
    cidr: str | None = None
    gateway: str | None = None


class DwrWorkflowDefinition(_Open):
    """``CreateWorkflowRequestBody``: every field optional, as in the SDK."""

    states: list[DwrState] | None = None
    inputs: list[DwrInput] | None = None
    description: str | None = None
    mode: str | None = None
    """``EXPRESS`` (synchronous) or ``NORMAL``."""
    express_config: DwrExpressConfig | None = None
    func_vpc: DwrFuncVpc | None = None
    agency: str | None = None

    def body(self) -> bytes:
        """The JSON body, byte for byte as ``huaweicloudsdkdwr`` sends the same model."""
        return json_body(self.model_dump(mode="json", exclude_none=True))


class DwrStatement(_Open):
    """``Statement``: ``action`` and ``resource`` lists."""

    action: list[str] | None = None
    resource: list[str] | None = None


class DwrPolicy(_Open):
    """``Policy`` (an IAM policy): ``version``, ``statement``."""

    version: str | None = None
    statement: list[DwrStatement] | None = None


class DwrMyTemplateDefinition(_Open):
    """``ThirdTemplateRequestBody``, fields in the SDK's order; the ``func_*`` maps are
    language-keyed (``{"zh-cn": ..., "en-us": ...}``) and keep the caller's order."""

    category: str
    inputs: list[DwrInput] | None = None
    dynamic_source_definition: dict[str, JsonValue] | None = None
    need_policy: list[DwrPolicy] | None = None
    """The IAM policies the template's function needs (the SDK's ``list[Policy]``)."""
    func_provider: dict[str, str]
    func_name: dict[str, str]
    func_description: dict[str, str]
    func_link: dict[str, str] | None = None
    app_urn: str | None = None
    bill_value: _Number | None = None
    agency: str | None = None
    register_status: str | None = None

    def body(self) -> bytes:
        """The JSON body, byte for byte as ``huaweicloudsdkdwr`` sends the same model."""
        return json_body(self.model_dump(mode="json", exclude_none=True))


class DwrStartRequest(RequestModel):
    graph_name: DwrGraphName
    bucket: BucketName
    object_key: ObjectKey
    inputs: WorkflowInputs | None = None

    def body(self) -> bytes:
        """``{bucket, object[, inputs]}``; ``inputs`` is sent as the map the docs show."""
        payload: dict[str, JsonValue] = {"bucket": self.bucket, "object": self.object_key}
        if self.inputs is not None:
            payload["inputs"] = self.inputs
        return json_body(payload)


_GRAPH_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
""":data:`DwrGraphName`'s pattern (``fullmatch``: its ``^...$`` in the Rust engine)."""


@lru_cache(maxsize=256)
def _names_valid(graph_name: str, bucket: str) -> bool:
    """Both names pass their rules (pure checks; a batch repeats the same pair)."""
    return _GRAPH_NAME.fullmatch(graph_name) is not None and check_bucket_name(bucket) is None


def start_parts(
    graph_name: object, bucket: object, object_key: object, inputs: object
) -> tuple[str, bytes]:
    """The graph name and body of a start, validated (nothing is sent if an argument
    breaks a rule: :class:`~obs_workflow_async.errors.InvalidRequestError`).

    Plain arguments (``str`` names, ``inputs`` ``None`` or a plain JSON ``dict``: the
    common start) are checked with the same rules without building the pydantic
    model; anything else, and anything that breaks a rule, goes through
    :class:`DwrStartRequest`, which names every broken rule. Both give the same body
    bytes (``tests/dwr/test_start_fast_path.py``).
    """
    if (
        type(graph_name) is str
        and type(bucket) is str
        and type(object_key) is str
        and _names_valid(graph_name, bucket)
        and check_object_key(object_key) is None
    ):
        body = plain_start_body(bucket, object_key, inputs, ascii_only=True)
        if body is not None:
            return graph_name, body
    request = validate_request(
        DwrStartRequest,
        graph_name=graph_name,
        bucket=bucket,
        object_key=object_key,
        inputs=None if inputs is None else dict(inputs),  # type: ignore[call-overload]
    )
    return request.graph_name, request.body()


class DwrListExecutionsRequest(RequestModel):
    graph_name: DwrGraphName
    limit: ExecutionLimit | None = None
    offset: Offset | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    status: str | None = None

    def query(self) -> list[tuple[str, str | int]]:
        query: list[tuple[str, str | int]] = [("graph_name", self.graph_name)]
        if self.limit is not None:
            query.append(("limit", self.limit))
        if self.offset is not None:
            query.append(("offset", self.offset))
        if self.start_time is not None:
            query.append(("start_time", format_v3_time(self.start_time)))
        if self.end_time is not None:
            query.append(("end_time", format_v3_time(self.end_time)))
        if self.status is not None:
            query.append(("status", self.status))
        return query


class DwrListRequest(RequestModel):
    """``prefix``, ``category``, ``status``, ``offset``, ``limit`` of the list calls."""

    prefix: Annotated[str, Field(strict=True, min_length=1, max_length=64)] | None = None
    category: Annotated[str, Field(strict=True, min_length=1, max_length=64)] | None = None
    status: Annotated[str, Field(strict=True, min_length=1, max_length=64)] | None = None
    offset: Offset | None = None
    limit: Limit | None = None

    def query(self) -> list[tuple[str, str | int]]:
        return [(k, v) for k, v in self.model_dump(exclude_none=True).items()]


class DwrUpdateWorkflowRequest(RequestModel):
    graph_name: DwrGraphName
    parameters: dict[str, str]

    def body(self) -> bytes:
        """The JSON body, serialised as ``huaweicloudsdkcore`` serialises it."""
        return json_body({"parameters": self.parameters})


# -- results ---------------------------------------------------------------------------


_Text = Annotated[str | None, BeforeValidator(_scalar_text)]
_Count = Annotated[int | None, BeforeValidator(lambda v: None if v in ("", None) else v)]


class DwrCreateWorkflowResult(ResultModel):
    graph_name: _Text = None
    graph_urn: _Text = None
    created_at: OptionalAwareDatetime = None


class DwrWorkflow(ResultModel):
    """``show_workflow_info``: ``definition`` as the service sent it."""

    name: _Text = None
    graph_urn: _Text = None
    created_at: OptionalAwareDatetime = None
    description: _Text = None
    definition: JsonValue = None


class DwrUpdateWorkflowResult(ResultModel):
    graph_name: _Text = None
    graph_urn: _Text = None
    last_modified: OptionalAwareDatetime = None


class DwrWorkflowSummary(ResponseModel):
    """One ``GraphItem``; an item without a ``name`` is kept (``None``), as the SDK keeps it."""

    name: _Text = None
    id: _Text = None
    graph_urn: _Text = None
    created_at: OptionalAwareDatetime = None


_PAGE_ALIASES = {
    "isTruncated": "is_truncated",
    "nextOffset": "next_offset",
    "nextMarker": "next_marker",
}


class _Page(ResultModel):
    @model_validator(mode="before")
    @classmethod
    def _camel_case(cls, data: object) -> object:
        """``isTruncated``/``nextOffset``/``nextMarker`` read as the snake_case fields
        when those are missing."""
        if not isinstance(data, dict) or not any(k in data for k in _PAGE_ALIASES):
            return data
        out = dict(data)
        for camel, snake in _PAGE_ALIASES.items():
            if out.get(snake) is None and out.get(camel) is not None:
                out[snake] = out[camel]
        return out

    count: _Count = None
    is_truncated: Annotated[bool | None, BeforeValidator(lambda v: v)] = None
    next_offset: _Count = None
    next_marker: _Text = None
    """Not in the SDK; the API Explorer example shows it on executions (kept if sent)."""

    def next_cursor(self, items: int) -> int | str | None:
        """The cursor of the next page, or ``None`` at the end (see the DWR docs page)."""
        truncated = self.is_truncated
        cursor: int | str | None = (
            self.next_offset if self.next_offset is not None else (self.next_marker)
        )
        if truncated is None:  # not sent: go on while a cursor and items come back
            truncated = cursor is not None and items > 0
        return cursor if truncated else None


class DwrWorkflowPage(_Page):
    graphs: NullableList[DwrWorkflowSummary] = Field(default_factory=list)


def _name_text(value: object) -> object:
    return "" if value is None else _scalar_text(value) or ""


_NameText = Annotated[str, BeforeValidator(_name_text)]


class DwrExecutionSummary(ExecutionSummary):
    """One ``Execution`` of a listing: the v2 summary's fields, text read as the SDK
    reads its ``str`` fields (a number as its text). An item without an
    ``execution_name`` is kept (the name reads as ``""``), as the SDK keeps it."""

    execution_name: _NameText = ""
    execution_urn: _Text = None
    graph_urn: _Text = None


class DwrExecutionPage(_Page):
    """A page of ``list_workflow_instance``: v3 items have the v2 summary's fields."""

    executions: NullableList[DwrExecutionSummary] = Field(default_factory=list)


class DwrNodeExecution(ResponseModel):
    """One entry of ``node_execution_details`` (times are epoch milliseconds)."""

    status: _Text = None
    input: JsonValue = None
    output: JsonValue = None
    begin_time: OptionalAwareDatetime = None
    end_time: OptionalAwareDatetime = None
    error_message: _Text = None
    request_id: _Text = None


_FG_TO_V2 = {
    "execution_id": "execution_name",
    "status": "execution_state",
    "workflow_urn": "graph_urn",
    "begin_time": "started_at",
    "end_time": "stopped_at",
}


class DwrExecutionDetail(ExecutionDetail):
    """``show_workflow_instance``, whichever shape comes back.

    The SDK's FunctionGraph shape (``execution_id``, ``status``, ``workflow_urn``,
    ``begin_time``, ``end_time``, ``input``, ``output``, ``node_execution_details``)
    is read into the v2 names (``execution_name``, ``execution_state``, ``graph_urn``,
    ``started_at``, ``stopped_at``) as well as kept; the v2 ``execution_info`` shape
    the reference shows reads as in v2. The body's own ``headers`` field is kept as
    ``execution_headers`` (``headers`` holds the response headers).
    """

    execution_name: _NameText = ""
    """``execution_id`` (or the v2 ``execution_name``); when the answer has neither,
    ``AsyncDwrClient.get_execution`` fills in the name it asked for."""
    execution_urn: _Text = None
    graph_urn: _Text = None
    workflow_id: _Text = None
    workflow_urn: _Text = None
    execution_id: _Text = None
    begin_time: _Text = None
    """As sent (``started_at`` holds it as a datetime)."""
    end_time: _Text = None
    """As sent (``stopped_at`` holds it as a datetime)."""
    status: _Text = None
    output: JsonValue = None
    created_by: _Text = None
    last_update_time: OptionalAwareDatetime = None
    execution_headers: JsonValue = None
    node_execution_details: NullableList[DwrNodeExecution] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _function_graph_shape(cls, data: object) -> object:
        if not isinstance(data, dict) or "execution_info" in data:
            return data
        out = dict(data)
        if "headers" in out:  # runs before the response metadata is merged in
            out["execution_headers"] = out.pop("headers")
        for fg, v2 in _FG_TO_V2.items():
            if out.get(v2) in (None, "") and out.get(fg) not in (None, ""):
                out[v2] = out[fg]
        if "status" in out:
            out["status"] = _scalar_text(out["status"])
        return out


class DwrAuthorization(ResultModel):
    """``check_workflow_authentication``: flat agency fields (SDK) or ``agencies`` (reference)."""

    agency_id: _Text = None
    agency_name: _Text = None
    agency_duration: _Text = None
    trust_domain_name: _Text = None
    role_id: _Text = None
    role_dependent_by_function: _Text = None
    role_remark_name: _Text = None
    role_remark_type: _Text = None
    create_time: OptionalAwareDatetime = None
    last_modify_time: _Text = None
    agencies: NullableList[dict[str, JsonValue]] = Field(default_factory=list)


class DwrAgreement(ResultModel):
    agreement_type: _Text = None
    create_time: OptionalAwareDatetime = None


class DwrActionTemplate(ResponseModel):
    """One template of a listing; an item without a ``name`` is kept (``None``), as the
    SDK keeps it. The other fields (``register_status``, ``provider_name``, ...) are
    kept as sent (``model_extra``)."""

    name: _Text = None
    category: _Text = None
    register_status: _Text = None
    provider_name: _Text = None
    description: _Text = None
    create_time: _Text = None
    last_modify_time: _Text = None


class DwrTemplatePage(ResultModel):
    """A page of action templates: ``offset`` is where the next page starts."""

    count: _Count = None
    total: _Count = None
    offset: _Count = None
    next_offset: _Count = None
    is_truncated: Annotated[bool | None, BeforeValidator(lambda v: v)] = None
    action_templates: NullableList[DwrActionTemplate] = Field(default_factory=list)

    def next_cursor(self, items: int) -> int | None:
        cursor = self.next_offset if self.next_offset is not None else self.offset
        truncated = self.is_truncated
        if truncated is None:
            truncated = cursor is not None and items > 0
        return cursor if truncated else None


def _as_list(value: object) -> object:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class DwrTemplateDetail(ResultModel):
    """``provided_actions`` is a list (system templates) or one object (public, mine):
    both read as a list."""

    provided_actions: Annotated[list[JsonValue], BeforeValidator(_as_list)] = Field(
        default_factory=list
    )


class DwrRestoreResult(RestoreExecutionResult):
    """``restore_workflow_execution``'s answer; one without ``execution_name`` is read
    (the client fills in the name it asked for)."""

    execution_name: str = ""


class DwrCreateMyTemplateResult(ResultModel):
    template_name: _Text = None
    created_at: OptionalAwareDatetime = None
    func_pkg_path: _Text = None


class DwrUpdateMyTemplateResult(ResultModel):
    template_name: _Text = None
    created_at: OptionalAwareDatetime = None
    version: _Text = None


AgreementType = Literal["use_public_action_privacy_statement", "register_public_action_statement"]
