"""DWR v3 (Data Workshop workflows): the successor API, on the same async core.

``AsyncDwrClient`` shares :class:`~obs_workflow_async.AsyncWorkflowClient`'s transport,
retries, errors, hooks and credentials; :mod:`.signing` is ``SDK-HMAC-SHA256`` as pure
functions. See ``docs/dwr-v3.md``.
"""

from .client import AsyncDwrClient, DiscoveryError, ProjectIdError
from .dialect import DWR_REGION_HOSTS, DwrDialect
from .models import (
    DwrExecutionDetail,
    DwrExecutionPage,
    DwrMyTemplateDefinition,
    DwrWorkflowDefinition,
)

__all__ = [
    "DWR_REGION_HOSTS",
    "AsyncDwrClient",
    "DiscoveryError",
    "DwrDialect",
    "DwrExecutionDetail",
    "DwrExecutionPage",
    "DwrMyTemplateDefinition",
    "DwrWorkflowDefinition",
    "ProjectIdError",
]
