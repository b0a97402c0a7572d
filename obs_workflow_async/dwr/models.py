"""DWR v3 requests and results (typed after ``huaweicloudsdkdwr`` 3.1.219).

Answers are parsed liberally where the digest lists open questions: unknown fields
are kept (``model_extra``), ``null`` lists read as ``[]``, and the two documented
shapes of an execution detail both read into :class:`DwrExecutionDetail`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from ..models._base import (
    RequestModel,
)
from ..models._base import json_body as _json_body
from ..models._executions import (
    ExecutionState,
    StartWorkflowRequest,
)
from ..models._starts import start_body
from .results import (  # re-exported: the results live in .results
    DwrActionTemplate,
    DwrAgreement,
    DwrAuthorization,
    DwrCreateMyTemplateResult,
    DwrCreateWorkflowResult,
    DwrExecutionDetail,
    DwrExecutionPage,
    DwrExecutionSummary,
    DwrNodeExecution,
    DwrRestoreResult,
    DwrTemplateDetail,
    DwrTemplatePage,
    DwrUpdateMyTemplateResult,
    DwrUpdateWorkflowResult,
    DwrWorkflow,
    DwrWorkflowPage,
    DwrWorkflowSummary,
)

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


class _GraphNameRef(BaseModel):
    """A bare workflow (graph) name, validated before anything is sent."""

    value: DwrGraphName


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


def json_body(payload: Mapping[str, object]) -> bytes:
    """A body as ``huaweicloudsdkcore`` serialises it (``", "``/``": "``, non-ASCII as
    ``\\uXXXX``), so the bytes and the payload hash equal the SDK's.

    :param payload: The body's fields.
    """
    return _json_body(payload, ascii_only=True)


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


class DwrStartRequest(StartWorkflowRequest):
    """v2's start request (the same body) under the v3 graph-name rule, serialised
    as ``huaweicloudsdkcore`` does."""

    ascii_body: ClassVar[bool] = True

    graph_name: DwrGraphName


def start_parts(
    graph_name: object, bucket: object, object_key: object, inputs: object
) -> tuple[str, bytes]:
    """The graph name and body of a start, validated with :class:`DwrStartRequest`
    (:func:`~obs_workflow_async.models._starts.start_body`, as v2's)."""
    if inputs is not None and type(inputs) is not dict:
        inputs = dict(inputs)  # type: ignore[call-overload]  # pairs, as the SDK takes them
    return start_body(graph_name, bucket, object_key, inputs, DwrStartRequest)


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
