"""For code leaving ``esdk-obs-python``: :class:`WorkflowClient`, the official SDK's calls
as coroutines, and the typed ``GetResult`` they return.

Migrating is "change the import, add ``await``"::

    from obs_workflow_async.compat import WorkflowClient

    async with WorkflowClient(access_key_id=ak, secret_access_key=sk, server=server) as client:
        resp = await client.asyncAPIStartWorkflow("graph", "bucket", "object")

Like the SDK, these calls *return* HTTP errors as a ``GetResult`` with
``status >= 300`` (``errorCode``, ``errorMessage``, ``requestId``, ``hostId`` and
``body`` filled as the SDK fills them); invalid arguments and transport failures
raise. :class:`WorkflowClient` wraps an :class:`~obs_workflow_async.AsyncWorkflowClient`
(``client.async_client``), whose snake_case methods raise typed errors instead.
Every difference from the SDK is listed in ``docs/migration.md``.
"""

from __future__ import annotations

from ._arguments import SdkCompatWarning
from ._client import WorkflowClient
from ._headers import SdkErrorFields, compat_headers, sdk_error_fields
from ._results import (
    AsyncAPIStartWorkflowResponse,
    CreateWorkflowResponse,
    CreateWorkflowTemplateResponse,
    GetResult,
    GetTriggerPolicyResponse,
    GetWorkflowExecutionResponse,
    GetWorkflowResponse,
    GetWorkflowTemplateResponse,
    ListWorkflowExecutionResponse,
    ListWorkflowResponse,
    ListWorkflowTemplateResponse,
    RestoreFailedWorkflowExecutionResponse,
    UpdateWorkflowResponse,
)
from ._results import (
    SdkTime as SdkTime,  # the SDK's time text, annotating the bodies' fields
)
from ._results import (
    _SdkBody as _SdkBody,  # pyright: ignore[reportPrivateUsage]  # the bodies' base
)

__all__ = [
    "AsyncAPIStartWorkflowResponse",
    "CreateWorkflowResponse",
    "CreateWorkflowTemplateResponse",
    "GetResult",
    "GetTriggerPolicyResponse",
    "GetWorkflowExecutionResponse",
    "GetWorkflowResponse",
    "GetWorkflowTemplateResponse",
    "ListWorkflowExecutionResponse",
    "ListWorkflowResponse",
    "ListWorkflowTemplateResponse",
    "RestoreFailedWorkflowExecutionResponse",
    "SdkCompatWarning",
    "SdkErrorFields",
    "UpdateWorkflowResponse",
    "WorkflowClient",
    "compat_headers",
    "sdk_error_fields",
]
