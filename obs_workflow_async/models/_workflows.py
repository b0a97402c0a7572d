"""Workflows and workflow templates: definitions, requests, pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from ._base import (
    Description,
    Flag,
    GraphName,
    ListLimit,
    ListStart,
    NullableList,
    OptionalAwareDatetime,
    RequestModel,
    ResponseModel,
    ResultModel,
    TemplateName,
    decode_json_text,
    json_body,
)

__all__ = [
    "Action",
    "ActionResult",
    "CreateTemplateRequest",
    "CreateTemplateResult",
    "CreateWorkflowRequest",
    "CreateWorkflowResult",
    "InputParameter",
    "ListRequest",
    "State",
    "Tag",
    "TemplatePage",
    "TemplateSummary",
    "UpdateWorkflowRequest",
    "UpdateWorkflowResult",
    "Workflow",
    "WorkflowPage",
    "WorkflowSummary",
    "WorkflowTemplate",
]


class _Part(BaseModel):
    """A piece of a definition: documented fields checked, undocumented ones passed on."""

    model_config: ClassVar[ConfigDict] = ConfigDict(extra="allow", frozen=True, defer_build=True)


ParameterName = Annotated[str, Field(pattern=r"^[a-z0-9-]{1,20}$")]


class InputParameter(_Part):
    """A workflow input (``Input`` in the service docs)."""

    parameter_name: ParameterName
    type: str | None = None
    value_type: str | None = None
    template_parameter_name: str | None = None
    parameter_value: JsonValue = None
    description: str | None = Field(default=None, max_length=256)
    default: JsonValue = None
    label: str | None = Field(default=None, max_length=64)
    constraints: JsonValue = None
    invisible: bool | None = None


class ActionResult(_Part):
    """Where an action goes next on a given outcome."""

    match: str
    retry_interval: int | None = Field(default=None, ge=0, le=86400)
    max_retry: int | None = Field(default=None, ge=0, le=10)
    next_state: str | None = None
    is_terminal: bool | None = None


class Action(_Part):
    """The action of an OPERATION state."""

    action_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,20}$")]
    action_template_name: str | None = None
    action_template_category: str | None = None
    action_template_provider_name: str | None = None
    function: str | None = None
    function_template: str | None = None
    invocation_mode: str | None = None
    timeout: int | None = Field(default=None, ge=0, le=300)
    payload_filter: str | None = None
    dynamic_source: JsonValue = None
    results: list[ActionResult] | None = None


class State(_Part):
    """A state of a template's state machine."""

    type: Literal["DELAY", "OPERATION", "END"] | str
    state_name: Annotated[str, Field(min_length=1, max_length=80)]
    start: bool | None = None
    payload_filter_in: str | None = None
    payload_filter_out: str | None = None
    next_state: str | None = None
    time_delay: int | None = Field(default=None, gt=0, le=86400)
    action_mode: str | None = None
    actions: list[Action] | None = None


class Tag(_Part):
    """A template tag."""

    key: str | None = None
    value: str | None = None


def _dump(parts: Sequence[_Part] | None) -> list[dict[str, JsonValue]] | None:
    if parts is None:
        return None
    return [part.model_dump(mode="json", exclude_none=True) for part in parts]


def _body(fields: Mapping[str, object]) -> bytes | None:
    """Only the fields that were given: the service never sees ``null`` placeholders."""
    payload = {name: value for name, value in fields.items() if value is not None}
    return json_body(payload)


# -- requests ------------------------------------------------------------------------


class ListRequest(RequestModel):
    """Offset-paginated listing: a name prefix, a 1-based start and a page size."""

    prefix: GraphName | None = None
    start: ListStart | None = None
    limit: ListLimit | None = None

    def query(self) -> tuple[tuple[str, str | None], ...]:
        """As the SDK sends it: the bare ``x-workflow-prefix`` always, then start, limit."""
        query: list[tuple[str, str | None]] = [("x-workflow-prefix", None)]
        if self.start:
            query.append(("x-workflow-start", str(self.start)))
        if self.limit:
            query.append(("x-workflow-limit", str(self.limit)))
        return tuple(query)


class CreateTemplateRequest(RequestModel):
    """``POST /v2/workflowtemplates/{template_name}``."""

    template_name: TemplateName
    description: Description | None = None
    states: list[State] | None = None
    inputs: list[InputParameter] | None = None
    tags: list[Tag] | None = None

    def body(self) -> bytes | None:
        """The JSON body, formatted as the official SDK formats it."""
        return _body(
            {
                "description": self.description,
                "states": _dump(self.states),
                "inputs": _dump(self.inputs),
                "tags": _dump(self.tags),
            }
        )


class CreateWorkflowRequest(RequestModel):
    """``POST /v2/workflows/{graph_name}?x-workflow-template-name=...`` (the SDK's form)."""

    graph_name: GraphName
    template_name: TemplateName
    agency: Annotated[str, Field(min_length=1, max_length=64)]
    description: Description | None = None
    parameters: list[InputParameter] | None = None

    def body(self) -> bytes | None:
        """The JSON body, formatted as the official SDK formats it."""
        return _body(
            {
                "agency": self.agency,
                "description": self.description,
                "parameters": _dump(self.parameters),
            }
        )


class UpdateWorkflowRequest(RequestModel):
    """``PUT /v2/workflows/{graph_name}``.

    ``parameters`` is documented both as an Input array and (in the example) as a
    name → value map; both are accepted and sent as given.
    """

    graph_name: GraphName
    parameters: list[InputParameter] | dict[str, JsonValue] | None = None
    description: Description | None = None

    def body(self) -> bytes | None:
        """The JSON body, formatted as the official SDK formats it."""
        params = self.parameters
        dumped = _dump(params) if isinstance(params, list) else params
        return _body({"parameters": dumped, "description": self.description})


# -- responses --------------------------------------------------------------------------


class CreateTemplateResult(ResultModel):
    template_name: str


class WorkflowTemplate(ResultModel):
    """``get_workflow_template``."""

    template_name: str
    description: str | None = None
    states: list[JsonValue] | None = None
    inputs: list[JsonValue] | None = None
    tags: list[JsonValue] | None = None
    create_time: OptionalAwareDatetime = None
    last_modify_time: OptionalAwareDatetime = None


class TemplateSummary(ResponseModel):
    """One item of a template list (its shape is not documented: fields are kept as sent)."""

    template_name: str | None = None
    description: str | None = None
    create_time: OptionalAwareDatetime = None
    last_modify_time: OptionalAwareDatetime = None


class TemplatePage(ResultModel):
    """One page of ``list_workflow_templates``; pass ``next_start`` as ``start``."""

    count: int | None = None
    templates: NullableList[TemplateSummary] = Field(default_factory=list)
    next_start: int | None = None
    is_truncated: Flag = False


class CreateWorkflowResult(ResultModel):
    graph_name: str
    graph_urn: str | None = None
    created_at: OptionalAwareDatetime = None


class Workflow(ResultModel):
    """``get_workflow``: a workflow and its definition."""

    @model_validator(mode="before")
    @classmethod
    def _decode_definition(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("definition"), str | bytes):
            return {**data, "definition": decode_json_text(data["definition"])}
        return data

    name: str
    graph_urn: str | None = None
    created_at: OptionalAwareDatetime = None
    description: str | None = None
    definition: dict[str, JsonValue] | None = None
    """``agency``, ``event_defs``, ``states`` and ``inputs`` as the service returns them."""


class UpdateWorkflowResult(ResultModel):
    graph_name: str
    graph_urn: str | None = None
    last_modified: OptionalAwareDatetime = None


class WorkflowSummary(ResponseModel):
    """One item of a workflow list."""

    name: str
    graph_urn: str | None = None
    created_at: OptionalAwareDatetime = None


class WorkflowPage(ResultModel):
    """One page of ``list_workflows``; pass ``next_start`` as ``start``."""

    count: int | None = None
    graphs: NullableList[WorkflowSummary] = Field(default_factory=list)
    next_start: int | None = None
    is_truncated: Flag = False
