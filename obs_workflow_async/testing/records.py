"""The fake service's records: an execution, a template, a workflow, and the error
an operation raises (:class:`ServiceError`); plain data, no I/O."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal

JSON = dict[str, object]

InputMode = Literal["json_text", "object", "without_object", "none"]
"""How execution details carry ``execution_info.input`` (see :class:`WorkflowStore`)."""


class ServiceError(Exception):
    """An error answer: HTTP status, service code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def now_iso(now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


@dataclass
class Execution:
    """A workflow execution the fake started (or a bucket trigger started)."""

    graph_name: str
    bucket: str
    object_key: str
    inputs: dict[str, object] | None
    execution_name: str
    execution_urn: str
    started_at: str
    request_id: str
    execution_type: str = "APICALL"
    state: str = "RUNNING"
    stopped_at: str = ""
    finish_at: float | None = None
    restores: int = 0
    visible_at: float = 0.0
    """Store-clock time from which listings show it (``listing_lag``)."""

    @property
    def marker(self) -> str:
        """The list order key, also the ``next_marker`` form: type then name."""
        return self.execution_type + self.execution_name


@dataclass
class _Template:
    name: str
    body: JSON
    create_time: str = field(default_factory=now_iso)
    last_modify_time: str = field(default_factory=now_iso)


@dataclass
class _Workflow:
    name: str
    graph_urn: str
    created_at: str
    template_name: str | None = None
    agency: str | None = None
    description: str | None = None
    parameters: object = None
    last_modified: str = field(default_factory=now_iso)


Outcome = Callable[[Execution], str]
"""Decides how a running execution ends: ``"SUCCESS"`` or ``"FAILED"`` (or another state)."""


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _always_success(execution: Execution) -> str:
    return "SUCCESS"


def _offset_listing(
    key: str, names: list[str], start: int, limit: int, render: Callable[[str], JSON]
) -> JSON:
    """One page of an offset-paginated list (1-based ``start``, ``next_start`` if truncated)."""
    first = start - 1
    page = names[first : first + limit]
    body: JSON = {
        "count": len(page),
        key: [render(name) for name in page],
        "is_truncated": first + limit < len(names),
    }
    if body["is_truncated"]:
        body["next_start"] = start + limit
    return body
