"""v3 answers parse liberally where the digest leaves questions open (docs/dwr-v3.md)."""

from __future__ import annotations

import pytest

from obs_workflow_async.dwr.models import (
    DwrAuthorization,
    DwrExecutionDetail,
    DwrExecutionPage,
    DwrTemplateDetail,
    DwrTemplatePage,
    v3_state,
)
from obs_workflow_async.models import ExecutionState


def test_v2_shaped_detail_reads_too() -> None:
    detail = DwrExecutionDetail.model_validate(
        {
            "execution_info": {
                "execution_name": "e1",
                "execution_state": "SUCCESS",
                "state_map": {"s": {"status": "SUCCESS"}},
            }
        }
    )
    assert detail.execution_name == "e1" and detail.succeeded and "s" in detail.state_map


def test_function_graph_detail_fills_the_v2_names() -> None:
    detail = DwrExecutionDetail.model_validate(
        {
            "execution_id": "e2",
            "status": "timeout",
            "workflow_urn": "urn:fss:x",
            "begin_time": "2025-01-01T00:00:00Z",
            "end_time": "2025-01-01T00:01:00Z",
            "headers": {"h": "v"},
            "output": {"o": 1},
            "node_execution_details": [{"status": "timeout", "end_time": 1735689660000}],
        },
        context={"headers": {"x-request-id": "r"}, "retries_taken": 0},
    )
    assert detail.execution_name == "e2" and detail.graph_urn == "urn:fss:x"
    assert detail.execution_state == ExecutionState("timeout") and detail.is_terminal
    assert not detail.succeeded and detail.stopped_at is not None
    assert detail.execution_headers == {"h": "v"} and detail.headers["X-Request-Id"] == "r"
    assert detail.node_execution_details[0].end_time is not None


def test_cursor_choices() -> None:
    page = DwrExecutionPage.model_validate(
        {"executions": [], "is_truncated": False, "next_offset": 5}
    )
    assert page.next_cursor(0) is None
    marker = DwrExecutionPage.model_validate(
        {
            "executions": [{"execution_name": "a"}],
            "is_truncated": True,
            "next_marker": "TRIGGERCALabc",
        }
    )
    assert marker.next_cursor(1) == "TRIGGERCALabc"
    silent = DwrExecutionPage.model_validate(
        {"executions": [{"execution_name": "a"}], "next_offset": "11", "count": None}
    )
    assert silent.next_cursor(1) == 11
    templates = DwrTemplatePage.model_validate(
        {"action_templates": [{"name": "t"}], "offset": 11, "is_truncated": True}
    )
    assert templates.next_cursor(1) == 11


def test_provided_actions_object_or_list_and_authorization_shapes() -> None:
    assert (
        len(DwrTemplateDetail.model_validate({"provided_actions": {"a": 1}}).provided_actions) == 1
    )
    assert len(DwrTemplateDetail.model_validate({"provided_actions": [1, 2]}).provided_actions) == 2
    flat = DwrAuthorization.model_validate({"agency_name": "n", "role_x": "kept"})
    assert flat.agency_name == "n" and flat.model_extra == {"role_x": "kept"}
    nested = DwrAuthorization.model_validate({"agencies": [{"agency_name": "n"}]})
    assert nested.agencies == [{"agency_name": "n"}]


STATES = [
    ("FAILED", "fail"),
    ("Success", "success"),
    (ExecutionState.RUNNING, "running"),
    ("CANCEL", "cancel"),
    ("timeout", "timeout"),
]


@pytest.mark.parametrize(("given", "wire"), STATES)
def test_state_filters(given: ExecutionState | str, wire: str) -> None:
    assert v3_state(given) == wire


def test_unknown_state_filter() -> None:
    with pytest.raises(ValueError):
        v3_state("done")
