"""The models and readers the v3 client and its resources use, imported on first
access (``_refs.Name``) or all at once by :func:`load_models`, which the client's
constructor calls: importing the client builds no pydantic model (issue 20)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._core import _refs as _core_refs
from .._lazy import lazy_names

if TYPE_CHECKING:
    from ..models._answers import read_operation as read_operation
    from ..models._base import validate_request as validate_request
    from .iam_answer import IamProjects as IamProjects
    from .models import DwrAgreement as DwrAgreement
    from .models import DwrAuthorization as DwrAuthorization
    from .models import DwrCreateMyTemplateResult as DwrCreateMyTemplateResult
    from .models import DwrCreateWorkflowResult as DwrCreateWorkflowResult
    from .models import DwrExecutionDetail as DwrExecutionDetail
    from .models import DwrExecutionPage as DwrExecutionPage
    from .models import DwrListExecutionsRequest as DwrListExecutionsRequest
    from .models import DwrListRequest as DwrListRequest
    from .models import DwrMyTemplateDefinition as DwrMyTemplateDefinition
    from .models import DwrRestoreResult as DwrRestoreResult
    from .models import DwrTemplateDetail as DwrTemplateDetail
    from .models import DwrTemplatePage as DwrTemplatePage
    from .models import DwrUpdateMyTemplateResult as DwrUpdateMyTemplateResult
    from .models import DwrUpdateWorkflowRequest as DwrUpdateWorkflowRequest
    from .models import DwrUpdateWorkflowResult as DwrUpdateWorkflowResult
    from .models import DwrWorkflow as DwrWorkflow
    from .models import DwrWorkflowDefinition as DwrWorkflowDefinition
    from .models import DwrWorkflowPage as DwrWorkflowPage
    from .models import _GraphNameRef
    from .models import start_parts as start_parts
    from .models import v3_state as v3_state

    GraphNameRef = _GraphNameRef

__all__ = ["load_models"]

_NAMES: dict[str, str] = {
    "DwrAgreement": ".models",
    "DwrAuthorization": ".models",
    "DwrCreateMyTemplateResult": ".models",
    "DwrCreateWorkflowResult": ".models",
    "DwrExecutionDetail": ".models",
    "DwrExecutionPage": ".models",
    "DwrListExecutionsRequest": ".models",
    "DwrListRequest": ".models",
    "DwrMyTemplateDefinition": ".models",
    "DwrRestoreResult": ".models",
    "DwrTemplateDetail": ".models",
    "DwrTemplatePage": ".models",
    "DwrUpdateMyTemplateResult": ".models",
    "DwrUpdateWorkflowRequest": ".models",
    "DwrUpdateWorkflowResult": ".models",
    "DwrWorkflow": ".models",
    "DwrWorkflowDefinition": ".models",
    "DwrWorkflowPage": ".models",
    "GraphNameRef": ".models:_GraphNameRef",
    "IamProjects": ".iam_answer",
    "read_operation": "..models._answers",
    "start_parts": ".models",
    "v3_state": ".models",
    "validate_request": "..models._base",
}

_getattr, _load = lazy_names(__package__, _NAMES, globals())
if not TYPE_CHECKING:  # type checkers see the imports above, and would accept any name
    __getattr__ = _getattr


def load_models() -> None:
    """Import (build) every model above and the shared ones of
    :mod:`obs_workflow_async._core._refs`."""
    _core_refs.load_models()
    _load()
