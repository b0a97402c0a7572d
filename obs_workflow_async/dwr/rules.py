"""The v3 argument rules shared by the resources (pure: nothing is sent when one breaks)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, TypeVar

from ..errors import ErrorDetail, InvalidRequestError
from . import _refs

if TYPE_CHECKING:
    from pydantic import BaseModel, JsonValue

__all__ = ["agreement", "checked", "cursor_int", "as_definition", "execution", "template"]

_M = TypeVar("_M", bound="BaseModel")


_GRAPH_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
""":data:`~.models.DwrGraphName`'s pattern (ASCII classes, the whole text)."""


def checked(name: str, value: str) -> str:
    """``value`` if it is a :data:`~.models.DwrGraphName`, else
    :class:`InvalidRequestError` naming the argument ``name``."""
    if type(value) is str and _GRAPH_NAME.fullmatch(value) is not None:
        return value  # what the model would validate it into, without building it
    try:
        return _refs.validate_request(_refs.GraphNameRef, value=value).value
    except InvalidRequestError as exc:
        raise InvalidRequestError([ErrorDetail(name, e.rule) for e in exc.errors]) from None


def template(name: str) -> str:
    if not isinstance(name, str) or not name or "/" in name or len(name) > 128:
        raise InvalidRequestError([ErrorDetail("template_name", "must be 1-128 characters, no /")])
    return name


def execution(name: str) -> str:
    if (
        not isinstance(name, str)
        or not name
        or "/" in name
        or len(name) > 256
        or name in (".", "..")
    ):
        raise InvalidRequestError(
            [ErrorDetail("execution_name", "must be 1-256 characters, no /, not . or ..")]
        )
    return name


_AGREEMENTS = ("use_public_action_privacy_statement", "register_public_action_statement")


def agreement(value: str) -> str:
    if value not in _AGREEMENTS:
        raise InvalidRequestError(
            [ErrorDetail("agreement_type", f"must be one of {', '.join(_AGREEMENTS)}")]
        )
    return value


def as_definition(model: type[_M], value: _M | Mapping[str, JsonValue]) -> _M:
    if isinstance(value, model):
        return value
    return _refs.validate_request(model, **dict(value))


def cursor_int(cursor: object) -> int | None:
    """A page cursor as the offset it names (``None``: none, or not a number)."""
    if cursor is None or isinstance(cursor, int):
        return cursor if not isinstance(cursor, bool) else None
    if isinstance(cursor, str) and cursor.isdigit():
        return int(cursor)
    return None
