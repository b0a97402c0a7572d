"""Result models: lenient where the service may grow, strict where the docs are clear."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obs_workflow_async import (
    ExecutionDetail,
    ExecutionState,
    ExecutionSummary,
    ExecutionType,
    InvalidRequestError,
    ResponseParseError,
    Workflow,
    models,
)
from obs_workflow_async._pipeline import RawResponse
from obs_workflow_async.models import (
    ListExecutionsRequest,
    PutTriggerPolicyRequest,
    validate_request,
)
from obs_workflow_async.models._answers import parse_answer

RESULT_MODELS = [
    models.StartWorkflowResult,
    models.ExecutionPage,
    models.ExecutionDetail,
    models.RestoreExecutionResult,
    models.CreateTemplateResult,
    models.WorkflowTemplate,
    models.TemplatePage,
    models.CreateWorkflowResult,
    models.Workflow,
    models.UpdateWorkflowResult,
    models.WorkflowPage,
    models.TriggerPolicy,
]


def test_execution_state_accepts_states_the_service_adds_later() -> None:
    assert ExecutionState("RUNNING") is ExecutionState.RUNNING
    assert not ExecutionState.RUNNING.is_terminal
    assert ExecutionState.FAILED.is_terminal and not ExecutionState.FAILED.is_success
    timeout = ExecutionState("timeout")
    assert timeout == "timeout" and timeout.is_terminal and not timeout.is_success
    assert ExecutionState("success").is_success
    assert not ExecutionState("PAUSED").is_terminal
    assert ExecutionType("NEWKIND") == "NEWKIND"


def test_summary_blank_stop_time_is_none_and_times_are_aware() -> None:
    item = ExecutionSummary.model_validate(
        {
            "execution_name": "e",
            "execution_state": "RUNNING",
            "execution_type": "TRIGGERCAL",
            "started_at": "2020-04-23T13:37:43.847Z",
            "stopped_at": "",
            "new": 1,
        }
    )
    assert item.stopped_at is None
    assert item.started_at is not None and item.started_at.tzinfo is not None
    assert item.execution_type is ExecutionType.TRIGGERCAL
    assert item.model_extra == {"new": 1}


@pytest.mark.parametrize("as_text", [False, True])
def test_execution_detail_unwraps_execution_info(as_text: bool) -> None:
    run = {"state_name": "s", "status": "FAILED", "type": "OPERATION"}
    info = {
        "execution_name": "e",
        "execution_state": "FAILED",
        "start_state": "s",
        "state_map": {"s": run},
    }
    body = {"execution_info": json.dumps(info) if as_text else info}
    detail = ExecutionDetail.model_validate_json(json.dumps(body))
    assert detail.execution_name == "e" and detail.is_terminal and not detail.succeeded
    assert detail.state_map["s"].status == "FAILED"


def test_workflow_definition_given_as_json_text() -> None:
    workflow = Workflow.model_validate({"name": "g", "definition": '{"agency": "a"}'})
    assert workflow.definition == {"agency": "a"}


def test_list_executions_query_is_in_the_sdk_order() -> None:
    request = validate_request(
        ListExecutionsRequest,
        graph_name="g",
        execution_type="APICALL",
        next_marker="m",
        limit=5,
        state="FAILED",
    )
    assert request.query() == (
        ("x-workflow-graph-name", "g"),
        ("x-workflow-next-marker", "m"),
        ("x-workflow-limit", "5"),
        ("x-workflow-execution-type", "APICALL"),
    )


def test_trigger_rule_filters_fit_together() -> None:
    rule = {
        "id": "r",
        "graph_urn": "u",
        "events": ["ObjectCreated:*"],
        "prefix": "p" * 600,
        "suffix": "s" * 600,
    }
    with pytest.raises(InvalidRequestError, match="together"):
        validate_request(PutTriggerPolicyRequest, bucket="bkt", rules=[rule])


@settings(max_examples=300, deadline=None)
@given(
    model=st.sampled_from(RESULT_MODELS),
    body=st.one_of(
        st.binary(max_size=200),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(st.text(max_size=12), inner, max_size=5)
            ),
            max_leaves=20,
        ).map(lambda v: json.dumps(v).encode()),
    ),
)
def test_any_body_gives_a_model_or_a_parse_error(
    model: type[models.ResultModel], body: bytes
) -> None:
    raw = RawResponse(200, "OK", {}, body, "rid", 0)
    try:
        result = parse_answer(model, raw)
    except ResponseParseError as error:
        assert error.status == 200 and error.request_id == "rid"
    else:
        assert isinstance(result, model)
