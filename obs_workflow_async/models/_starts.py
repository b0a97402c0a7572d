"""A start's graph name and body, the same for both APIs: ``{"bucket", "object"[,
"inputs"]}``, validated with the API's request model (its graph-name rule)."""

from __future__ import annotations

from functools import lru_cache
from typing import TypeVar

from .._plain_json import plain_start_body
from ..validation import check_bucket_name, check_graph_name, check_object_key
from ._base import validate_request
from ._executions import StartWorkflowRequest

__all__ = ["start_body"]

_S = TypeVar("_S", bound=StartWorkflowRequest)


@lru_cache(maxsize=256)
def _names_valid(graph_name: str, bucket: str) -> bool:
    """Both names pass their rules (pure checks; a batch repeats the same pair)."""
    return check_graph_name(graph_name) is None and check_bucket_name(bucket) is None


def start_body(
    graph_name: object, bucket: object, object_key: object, inputs: object, model: type[_S]
) -> tuple[str, bytes]:
    """The graph name and body of a start, validated (nothing is sent if an argument
    breaks a rule: :class:`~obs_workflow_async.errors.InvalidRequestError`).

    Plain arguments (``str`` names, ``inputs`` ``None`` or a plain JSON ``dict``: the
    common start) are checked with the same rules without building the pydantic
    model; anything else, and anything that breaks a rule, goes through ``model``
    (the API's :class:`StartWorkflowRequest`), which names every broken rule. Both
    give the same body bytes (``tests/unit/test_start_fast_path.py``,
    ``tests/dwr/test_start_fast_path.py``).
    """
    if (
        type(graph_name) is str
        and type(bucket) is str
        and type(object_key) is str
        and _names_valid(graph_name, bucket)
        and check_object_key(object_key) is None
    ):
        # The inputs serialised once: the strict serialisation that checks them is the
        # body's (None when they are not plain JSON or break a rule: validated below).
        body = plain_start_body(bucket, object_key, inputs, ascii_only=model.ascii_body)
        if body is not None:
            return graph_name, body
    request = validate_request(
        model,
        graph_name=graph_name,
        bucket=bucket,
        object_key=object_key,
        inputs=inputs,
    )
    return request.graph_name, request.body()
