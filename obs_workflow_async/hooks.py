"""Observability hooks: a callback for every step of every call, for metrics and tracing.

Pass ``hooks=[callback, ...]`` to the client; each callback receives a
:class:`RequestEvent` for:

- ``call_started``: a call begins (before any waiting);
- ``attempt_started``: an attempt's request is built and about to be sent;
- ``attempt_finished``: an answer arrived (``status``, ``request_id``) or the attempt
  failed (``error``), with the attempt's ``elapsed`` seconds;
- ``retry_scheduled``: another attempt follows after ``delay`` seconds;
- ``call_finished``: the call is over: ``outcome`` is ``"ok"``, ``"error"`` (with
  ``error``) or ``"cancelled"``; ``elapsed`` is the whole call.

Callbacks run inline on the event loop: keep them quick and non-blocking. An
exception in a callback is logged and ignored, so a metrics bug never breaks a call.
Events carry no credentials, headers or bodies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .errors import ObsWorkflowError

__all__ = ["EventKind", "Hook", "RequestEvent"]

EventKind = Literal[
    "call_started", "attempt_started", "attempt_finished", "retry_scheduled", "call_finished"
]


@dataclass(frozen=True, slots=True)
class RequestEvent:
    """One step of one call (see the module docstring for when each kind fires)."""

    kind: EventKind
    call_id: int
    """Distinguishes concurrent calls (unique across every client of the process)."""
    method: str
    url: str
    """Scheme, host and path, without the query string."""
    path: str
    """Path and query as sent."""
    attempt: int = 0
    """1 for the first attempt, 2 for the first retry, ... (0 before any attempt)."""
    status: int | None = None
    request_id: str | None = None
    elapsed: float | None = None
    delay: float | None = None
    error: ObsWorkflowError | None = None
    outcome: Literal["ok", "error", "cancelled"] | None = None
    operation: str = ""
    """The API operation (``start_workflow``, ``get_execution``, ...): a low-cardinality
    label for metrics and span names."""
    graph_name: str | None = None
    """The workflow the call concerns, when there is one."""


Hook = Callable[[RequestEvent], None]
"""A callback that receives every :class:`RequestEvent`."""
