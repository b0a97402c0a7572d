"""The models and readers the shared core uses, imported on first access
(``_refs.Name``) or all at once by :func:`load_models` (a client's constructor calls
it through its API's references): importing the core builds no pydantic model
(issue 20)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_names

if TYPE_CHECKING:
    from ..models._answers import read_started as read_started

__all__ = ["load_models"]

_NAMES: dict[str, str] = {"read_started": "..models._answers"}

_getattr, load_models = lazy_names(__package__, _NAMES, globals())
if not TYPE_CHECKING:  # type checkers see the imports above, and would accept any name
    __getattr__ = _getattr
