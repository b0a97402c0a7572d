"""DWR v3 results: the answers of the 23 calls, read as ``huaweicloudsdkdwr`` reads them
(tolerant: text where the SDK takes any scalar, lists where it takes one item)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, JsonValue, model_validator

from .._error_body import scalar_text as _scalar_text
from ..models._base import (
    NullableList,
    OptionalAwareDatetime,
    ResponseModel,
    ResultModel,
)
from ..models._executions import (
    AnswerText,
    ExecutionDetail,
    ExecutionSummary,
    RestoreExecutionResult,
)

__all__ = [
    "DwrActionTemplate",
    "DwrAgreement",
    "DwrAuthorization",
    "DwrCreateMyTemplateResult",
    "DwrCreateWorkflowResult",
    "DwrExecutionDetail",
    "DwrExecutionPage",
    "DwrExecutionSummary",
    "DwrNodeExecution",
    "DwrRestoreResult",
    "DwrTemplateDetail",
    "DwrTemplatePage",
    "DwrUpdateMyTemplateResult",
    "DwrUpdateWorkflowResult",
    "DwrWorkflow",
    "DwrWorkflowPage",
    "DwrWorkflowSummary",
]


_Text = AnswerText
"""Text where the SDK takes any scalar (the v2 answers' rule, one ``scalar_text``)."""
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
