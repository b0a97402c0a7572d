"""Readers of the shared results, for :meth:`~obs_workflow_async._core.client.CoreClient.request`:
a start's answer (both APIs) and an answer whose body carries nothing."""

from __future__ import annotations

from typing import TypeVar, cast

from pydantic import BaseModel

from .._core.answers import parse_model
from .._pipeline import RawResponse
from ._base import OperationResult
from ._executions import StartWorkflowResult, read_start_answer

__all__ = ["parse_answer", "read_operation", "read_started"]

_M = TypeVar("_M", bound=BaseModel)

STARTED_NOTE = (
    "; the execution may have started: check the workflow's executions "
    "before starting this object again"
)
"""Added to a start answer that cannot be read: a 2xx to a start is a start."""


def read_started(raw: RawResponse) -> StartWorkflowResult:
    """A start's 2xx answer: the common one read without pydantic's validator
    (:func:`~.read_start_answer`, an equal result), anything else validated; a body
    that does not fit says the execution may have started (``may_have_started``)."""
    started = read_start_answer(raw.body, raw.headers, raw.request_id, raw.retries_taken)
    if started is not None:
        return started
    return parse_model(StartWorkflowResult, raw, STARTED_NOTE)


def read_operation(raw: RawResponse) -> OperationResult:
    """An answer whose body carries nothing (204, or an empty or opaque 200)."""
    return OperationResult.model_validate(
        {
            "status": raw.status,
            "request_id": raw.request_id,
            "headers": raw.headers,
            "retries_taken": raw.retries_taken,
        }
    )


def parse_answer(model: type[_M], raw: RawResponse) -> _M:
    """``raw`` read as ``model``, with the reader each shared result takes."""
    if model is StartWorkflowResult:
        return cast(_M, read_started(raw))
    if model is OperationResult:
        return cast(_M, read_operation(raw))
    return parse_model(model, raw)
