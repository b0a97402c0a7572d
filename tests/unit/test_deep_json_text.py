"""JSON text nested deeper than Python's recursion limit, inside a field read as
"object or JSON text" (``execution_info``, an execution's ``input``): read as the text
it is (``json.loads`` raises ``RecursionError`` there, not ``ValueError``), never a
``RecursionError`` out of a model or out of settling."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from obs_workflow_async._batch.settle_match import input_targets
from obs_workflow_async.models import ExecutionDetail
from obs_workflow_async.models._base import decode_json_text

DEEP = "[" * 100_000 + "]" * 100_000


def test_deep_json_text_is_kept_as_text() -> None:
    assert decode_json_text(DEEP) == DEEP
    assert input_targets(DEEP) is None
    assert input_targets({"input": DEEP}) is None


def test_a_detail_whose_execution_info_is_deep_json_text_is_refused_typed() -> None:
    body = json.dumps({"execution_info": DEEP}).encode()
    with pytest.raises(ValidationError):
        ExecutionDetail.model_validate_json(body)
