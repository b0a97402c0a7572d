"""Settling: what a sweep reads of one execution's details, without the typed model.

A settle sweep fetches the details of every execution that may lie in an item's window
(100,000 of them when a big batch ran in the windows) and reads only a few of their
fields: the input (which object it names), the start time, the type, the graph.
:class:`DetailFacts` holds those; :func:`detail_reader` reads them from an answer:

- quickly, with ``json.loads`` (:mod:`.settle_json`), when the body has the shape the
  services send (v2: ``{"execution_info": {...}}``; v3: the FunctionGraph fields or
  the same ``execution_info``) and every field the model types holds a value the
  model takes as it is: the facts are then read by the functions the model reads
  them with, and equal the model's (``tests/unit/test_settle_detail_facts.py``);
- by the typed model otherwise (:func:`facts_of` of its result), which gives the same
  facts or raises its usual
  :class:`~obs_workflow_async.errors.ResponseParseError`.

Any doubt goes to the model: a field it declares that this reading has no rule for,
a value of another type, an ``execution_info`` that is not an object, nesting deeper
than :data:`~.settle_json.MAX_DEPTH`, text pydantic may read otherwise. No I/O here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import NamedTuple, cast

from .._core.answers import parse_model
from .._error_body import scalar_text
from .._pipeline import RawResponse
from ..models import ExecutionDetail
from ..models._base import parse_timestamp
from ..models._executions import quick_span, raw_started_at
from .settle_json import decode_object, shallow

__all__ = ["DetailFacts", "DetailShape", "detail_reader", "facts_of", "quick_facts"]


class DetailFacts(NamedTuple):
    """What a settle sweep reads of one execution's details (each as the typed
    detail model gives it)."""

    input: object
    """``ExecutionDetail.input``: the JSON value (or JSON text) naming the object."""
    started_at: datetime | None
    started_at_span: tuple[datetime, datetime] | None
    """``ExecutionDetail.started_at_span``."""
    execution_type: str | None
    """The value of ``ExecutionDetail.execution_type`` (``None``: none)."""
    created_by: object
    """``getattr(detail, "created_by", None)`` (v3's field; an extra field on v2)."""
    graph_urn: str | None
    execution_name: str | None = None
    """The execution the answer names (``ExecutionDetail.execution_name``; ``None``:
    none): details naming another execution than the one asked for say nothing of it."""


def facts_of(detail: ExecutionDetail) -> DetailFacts:
    """The facts of a typed detail (what :func:`quick_facts` reads without it)."""
    kind = detail.execution_type
    return DetailFacts(
        detail.input,
        detail.started_at,
        detail.started_at_span,
        None if kind is None else kind.value,
        getattr(detail, "created_by", None),
        detail.graph_urn,
        detail.execution_name or None,
    )


# -- what the model takes as it is ---------------------------------------------------------

Rule = Callable[[object], bool]
"""Whether the model takes a field's value as it is (then the facts read it as the
model does); ``False``: leave the body to the model."""


def _anything(value: object) -> bool:
    return True  # any JSON value: JsonValue, a timestamp (unreadable: None), scalar text


def _text(value: object) -> bool:
    return value is None or type(value) is str


def _name(value: object) -> bool:
    return type(value) is str


def _state_run(value: object) -> bool:
    if value is None:
        return True  # dropped (NullableDict)
    if type(value) is not dict:
        return False
    get = value.get
    return _text(get("state_name")) and _text(get("status")) and _text(get("type"))


def _state_map(value: object) -> bool:
    return value is None or (type(value) is dict and all(map(_state_run, value.values())))


def _node_list(value: object) -> bool:
    return value is None or (
        type(value) is list and all(node is None or type(node) is dict for node in value)
    )


_STATE_RUN_FIELDS = frozenset({"state_name", "status", "type", "started_at", "input"})
"""``StateRun``'s fields: :func:`_state_run` checks the typed ones (the others, and any
extra field, take any value)."""
_NODE_FIELDS = frozenset(
    {"status", "input", "output", "begin_time", "end_time", "error_message", "request_id"}
)
"""``DwrNodeExecution``'s fields: every one takes any value (scalar text, JSON,
timestamps)."""

_V2_RULES: dict[str, Rule] = {
    "request_id": _text,
    "headers": _anything,  # the answer's headers replace it
    "retries_taken": _anything,  # so does the call's count
    "execution_name": _name,
    "execution_state": _text,
    "execution_type": _text,
    "execution_urn": _text,
    "graph_urn": _text,
    "started_at": _anything,
    "stopped_at": _anything,
    "start_state": _text,
    "input": _anything,
    "state_map": _state_map,
}
"""``ExecutionDetail``'s fields and when it takes a value as it is."""

_V3_RULES: dict[str, Rule] = {
    **_V2_RULES,
    "execution_name": _anything,  # text of any scalar, "" for anything else
    "execution_urn": _anything,  # scalar text: None for what is not a scalar
    "graph_urn": _anything,
    "workflow_id": _anything,
    "workflow_urn": _anything,
    "execution_id": _anything,
    "begin_time": _anything,
    "end_time": _anything,
    "status": _anything,
    "output": _anything,
    "created_by": _anything,
    "last_update_time": _anything,
    "execution_headers": _anything,
    "node_execution_details": _node_list,
}
"""``DwrExecutionDetail``'s fields and when it takes a value as it is."""


class DetailShape(NamedTuple):
    """How one API's detail model reads a body: the checks of its typed fields, the
    fields it requires, how it reshapes the body first, and how it reads
    ``graph_urn`` and ``created_by``."""

    checks: Mapping[str, Rule]
    """The rule of every field the model does not take whatever its value."""
    checks_given_id: Mapping[str, Rule]
    """:attr:`checks` when the answer's metadata gives the ``request_id`` (the
    body's is then replaced, whatever it holds)."""
    required: frozenset[str]
    reshape: Callable[[object], object]
    text: Callable[[object], object]
    """What the model reads a scalar-text field as (v3: :func:`scalar_text`)."""


def _as_is(value: object) -> object:
    return value


def shape_of(model: type[ExecutionDetail]) -> DetailShape:
    """The :class:`DetailShape` of ``model`` (``ExecutionDetail`` or
    ``DwrExecutionDetail``): its own validators reshape the body, its fields' rules
    come from :data:`_V2_RULES` / :data:`_V3_RULES`; a field without a rule sends
    every body that has it to the model."""
    from ..dwr.results import DwrExecutionDetail

    v3 = issubclass(model, DwrExecutionDetail)
    table = _V3_RULES if v3 else _V2_RULES
    rules = {name: table.get(name, _never) for name in model.model_fields}
    checks = {name: rule for name, rule in rules.items() if rule is not _anything}
    given_id = {name: rule for name, rule in checks.items() if name != "request_id"}
    required = frozenset(name for name, field in model.model_fields.items() if field.is_required())
    step = Callable[[object], object]
    unwrap = cast(step, model._unwrap_execution_info)  # the model's own "before" validators
    if v3:
        regroup = cast(step, model._function_graph_shape)  # type: ignore[attr-defined]

        def reshape(data: object) -> object:
            # as the model runs them: the FunctionGraph names first (on a body without
            # execution_info), then execution_info unwrapped
            return unwrap(regroup(data))

        return DetailShape(checks, given_id, required, reshape, scalar_text)
    return DetailShape(checks, given_id, required, unwrap, _as_is)


def _never(value: object) -> bool:
    return False


_MISSING = object()


def quick_facts(
    body: bytes, shape: DetailShape, context: Mapping[str, object]
) -> DetailFacts | None:
    """The facts of a details answer read with ``json.loads``, equal to what the model
    (validated with the answer's metadata ``context``: ``headers``, ``retries_taken``
    and maybe ``request_id``) gives; ``None`` when this reading is not sure the model
    takes the body as it is."""
    decoded = decode_object(body)
    if decoded is None:
        return None
    data, text = decoded
    if not shallow(text, body=body):
        return None
    info = data.get("execution_info")
    if type(info) is dict and len(data) == 1 and "execution_info" not in info:
        fields: dict[str, object] = info  # what unwrapping it gives (a copy): common v2
    else:
        reshaped = shape.reshape(data)
        if type(reshaped) is not dict or "execution_info" in reshaped:
            return None  # an execution_info the model does not unwrap: its reading
        fields = reshaped
    get = fields.get
    checks = shape.checks_given_id if "request_id" in context else shape.checks
    for name, rule in checks.items():
        value = get(name, _MISSING)
        if value is not _MISSING and not rule(value):
            return None
    for name in shape.required:
        if name not in fields and name not in context:
            return None
    kind = get("execution_type")
    typed = shape.text
    return DetailFacts(
        get("input"),
        parse_timestamp(get("started_at")),
        quick_span(raw_started_at(data)),
        None if kind is None or kind == "" else kind,  # type: ignore[arg-type]  # checked: text
        typed(get("created_by")),
        typed(get("graph_urn")),  # type: ignore[arg-type]  # checked: text
        typed(get("execution_name")) or None,  # type: ignore[arg-type]  # checked: text
    )


def detail_reader(model: type[ExecutionDetail]) -> Callable[[RawResponse], DetailFacts]:
    """The reader of one API's details answers as a settle sweep reads them
    (:func:`quick_facts`, else :func:`facts_of` the model's reading, or its
    :class:`~obs_workflow_async.errors.ResponseParseError`)."""
    shape = shape_of(model)

    def read(raw: RawResponse) -> DetailFacts:
        context: dict[str, object] = {"headers": raw.headers, "retries_taken": raw.retries_taken}
        if raw.request_id is not None:
            context["request_id"] = raw.request_id
        facts = quick_facts(raw.body, shape, context)
        if facts is not None:
            return facts
        return facts_of(parse_model(model, raw))

    return read
