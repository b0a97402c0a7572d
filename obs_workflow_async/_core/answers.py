"""Reading a 2xx answer into a typed result: the readers :meth:`~.client.CoreClient.request` takes.

A reader is a function of the :class:`~obs_workflow_async._pipeline.RawResponse`;
:func:`read_model` gives the one of any pydantic model. An API's resources may pass
a reader of their own (the start's, which reads the common answer without pydantic).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar, cast

from pydantic_core import ValidationError

from .._pipeline import RawResponse
from ..errors import ResponseParseError

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["Reader", "parse_error", "parse_model", "read_model", "read_raw"]

_M = TypeVar("_M", bound="BaseModel")
_T = TypeVar("_T")

Reader = Callable[[RawResponse], _T]
"""How a call reads its 2xx answer."""


def parse_error(
    raw: RawResponse, model: type[BaseModel], exc: ValidationError, note: str = ""
) -> ResponseParseError:
    """The :class:`ResponseParseError` of a body that does not fit ``model`` (``note``
    added to the message: what the caller should know, e.g. that a start may have
    happened)."""
    problems = exc.errors(include_url=False, include_input=False)
    if problems and problems[0]["type"] == "json_invalid":
        what = "body is not JSON"
    elif problems and problems[0]["type"] == "model_type":
        what = "expected a JSON object"
    else:
        details = ", ".join(".".join(str(p) for p in e["loc"]) + ": " + e["msg"] for e in problems)
        what = f"body does not match {model.__name__} ({details})"
    return ResponseParseError(
        what + note,
        status=raw.status,
        request_id=raw.request_id,
        body=raw.body[:2000].decode("utf-8", errors="replace"),
        headers=raw.headers,
    )


def parse_model(model: type[_M], raw: RawResponse, note: str = "") -> _M:
    """Validate the JSON body of a 2xx answer into ``model``, adding the response
    metadata; :class:`ResponseParseError` (with ``note``) if it does not fit."""
    context: dict[str, object] = {"headers": raw.headers, "retries_taken": raw.retries_taken}
    if raw.request_id is not None:
        context["request_id"] = raw.request_id  # else the body's request_id, if any
    try:
        # The compiled validator itself (model_validate_json adds only a Python frame).
        result: _M = model.__pydantic_validator__.validate_json(raw.body, context=context)
    except ValidationError as exc:
        raise parse_error(raw, model, exc, note) from None
    return result


_READERS: dict[type[BaseModel], Callable[[RawResponse], BaseModel]] = {}


def read_model(model: type[_M]) -> Callable[[RawResponse], _M]:
    """The reader of ``model`` (one per model)."""
    reader = _READERS.get(model)
    if reader is None:
        reader = _READERS[model] = partial(parse_model, model)
    return cast("Callable[[RawResponse], _M]", reader)


def read_raw(raw: RawResponse) -> RawResponse:
    """The answer as it came (the SDK-compat class builds its results from it)."""
    return raw
