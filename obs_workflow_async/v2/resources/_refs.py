"""The models and readers the v2 client and its resources use, imported on first
access (``_refs.Name``) or all at once by :func:`load_models`, which the client's
constructor calls: importing the client builds no pydantic model (issue 20)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._core import _refs as _core_refs
from ..._lazy import lazy_names

if TYPE_CHECKING:
    from ...models._answers import read_operation as read_operation
    from ...models._base import validate_request as validate_request
    from ...models._executions import ExecutionDetail as ExecutionDetail
    from ...models._executions import ExecutionPage as ExecutionPage
    from ...models._executions import ExecutionRef as ExecutionRef
    from ...models._executions import ExecutionState as ExecutionState
    from ...models._executions import ListExecutionsRequest as ListExecutionsRequest
    from ...models._executions import RestoreExecutionResult as RestoreExecutionResult
    from ...models._executions import StartWorkflowRequest as StartWorkflowRequest
    from ...models._starts import start_body as start_body
    from ._names import BucketRef as BucketRef
    from ._names import GraphRef as GraphRef
    from ._names import TemplateRef as TemplateRef

__all__ = ["load_models"]

_NAMES: dict[str, str] = {
    "BucketRef": "._names",
    "ExecutionDetail": "...models._executions",
    "ExecutionPage": "...models._executions",
    "ExecutionRef": "...models._executions",
    "ExecutionState": "...models._executions",
    "GraphRef": "._names",
    "ListExecutionsRequest": "...models._executions",
    "RestoreExecutionResult": "...models._executions",
    "StartWorkflowRequest": "...models._executions",
    "TemplateRef": "._names",
    "read_operation": "...models._answers",
    "start_body": "...models._starts",
    "validate_request": "...models._base",
}

_getattr, _load = lazy_names(__package__, _NAMES, globals())
if not TYPE_CHECKING:  # type checkers see the imports above, and would accept any name
    __getattr__ = _getattr


def load_models() -> None:
    """Import (build) every model above and the shared ones of
    :mod:`obs_workflow_async._core._refs`."""
    _core_refs.load_models()
    _load()
