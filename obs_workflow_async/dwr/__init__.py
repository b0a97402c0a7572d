"""DWR v3 (Data Workshop workflows): the successor API, on the same async core.

``AsyncDwrClient`` shares :class:`~obs_workflow_async.AsyncWorkflowClient`'s transport,
retries, errors, hooks and credentials; :mod:`.signing` is ``SDK-HMAC-SHA256`` as pure
functions. See ``docs/dwr-v3.md``.

The names below are imported on first use: ``obs_workflow_async.dwr.signing`` (pure
functions) imports neither the client nor aiohttp.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .client import AsyncDwrClient, DiscoveryError, ProjectIdError
    from .dialect import DWR_REGION_HOSTS, DwrDialect
    from .models import (
        DwrExecutionDetail,
        DwrExecutionPage,
        DwrMyTemplateDefinition,
        DwrWorkflowDefinition,
    )

_EXPORTS: dict[str, str] = {
    "AsyncDwrClient": ".client",
    "DWR_REGION_HOSTS": ".dialect",
    "DiscoveryError": ".client",
    "DwrDialect": ".dialect",
    "DwrExecutionDetail": ".models",
    "DwrExecutionPage": ".models",
    "DwrMyTemplateDefinition": ".models",
    "DwrWorkflowDefinition": ".models",
    "ProjectIdError": ".client",
}

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

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
