"""The fake server's answers in the service's shape: JSON bodies and error bodies, both
with the request id headers."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from aiohttp import web

__all__ = ["error_reply", "json_reply", "request_id_headers"]


def request_id_headers(request_id: str) -> dict[str, str]:
    return {"X-Request-ID": request_id, "x-obs-request-id": request_id}


def json_reply(status: int, body: object, request_id: str) -> web.Response:
    """``body`` as JSON (no body for a 204 or ``None``)."""
    headers = request_id_headers(request_id)
    if status == 204 or body is None:
        return web.Response(status=status, headers=headers)
    return web.json_response(body, status=status, headers=headers)


ErrorReply = Callable[[int, str, str, str, Mapping[str, str] | None], web.Response]
"""Builds an error answer: status, code, message, request id, extra headers."""


def error_reply(
    status: int,
    code: str,
    message: str,
    request_id: str,
    extra_headers: Mapping[str, str] | None = None,
) -> web.Response:
    """A service-style JSON error: ``code``, ``message``, ``request_id``."""
    body = json.dumps({"code": code, "message": message, "request_id": request_id})
    headers = {
        **request_id_headers(request_id),
        "Content-Type": "application/json;charset=UTF-8",
        **(extra_headers or {}),
    }
    return web.Response(status=status, text=body, headers=headers)
