"""Batch fan-out: ``start_many`` with bounded memory, rate and adaptive concurrency control.

``models`` holds the request, outcome and live statistics; ``throttle`` the token
bucket and the AIMD controller; ``runner`` the lazily-consuming scheduler;
``settle`` the pure settling logic. The CLI's manifest, results and resume files
and its progress display are in :mod:`obs_workflow_async.cli`.
"""

from .models import BatchStats, StartOutcome, StartRequest
from .runner import BatchRun

__all__ = ["BatchRun", "BatchStats", "StartOutcome", "StartRequest"]
