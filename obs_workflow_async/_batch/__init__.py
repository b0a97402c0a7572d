"""Batch fan-out: ``start_many`` with bounded memory, rate and adaptive concurrency control.

``models`` holds the request, outcome and live statistics; ``throttle`` the token
bucket and the AIMD controller; ``runner`` the lazily-consuming scheduler;
``settle`` the pure settling logic. The CLI's manifest, results and resume files
and its progress display are in :mod:`obs_workflow_async.cli`.

The names below are imported on first use, so that importing ``settle`` (pure, no
pydantic) does not import the runner and the models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .models import BatchStats, StartOutcome, StartRequest
    from .runner import BatchRun

_EXPORTS: dict[str, str] = {
    "BatchRun": ".runner",
    "BatchStats": ".models",
    "StartOutcome": ".models",
    "StartRequest": ".models",
}

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

__all__ = ["BatchRun", "BatchStats", "StartOutcome", "StartRequest"]
