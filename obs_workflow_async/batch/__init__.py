"""Batch fan-out: ``start_many`` with bounded memory, rate and adaptive concurrency control.

``models`` holds the request, outcome and live statistics; ``throttle`` the token
bucket and the AIMD controller; ``runner`` the lazily-consuming scheduler;
``manifest`` the CLI's manifest, results and resume files; ``progress`` a
dependency-free progress display.
"""

from .models import BatchStats, StartOutcome, StartRequest
from .runner import BatchRun

__all__ = ["BatchRun", "BatchStats", "StartOutcome", "StartRequest"]
