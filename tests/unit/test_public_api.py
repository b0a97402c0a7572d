"""The public contract: what ``__all__`` of each public module names is importable and
documented (the class, and every public method and property it defines)."""

from __future__ import annotations

import importlib
import inspect
import typing

import pytest

PUBLIC_MODULES = [
    "obs_workflow_async",
    "obs_workflow_async.errors",
    "obs_workflow_async.models",
    "obs_workflow_async.credentials",
    "obs_workflow_async.hooks",
    "obs_workflow_async.compat",
    "obs_workflow_async.dwr",
    "obs_workflow_async.testing",
    "obs_workflow_async.testing.mock",
]


def _undocumented(obj: object, where: str) -> list[str]:
    missing: list[str] = []
    if not (inspect.getdoc(obj) or "").strip():
        missing.append(where)
    if not inspect.isclass(obj):
        return missing
    for name, member in vars(obj).items():
        if name.startswith("_"):
            continue
        target = member.fget if isinstance(member, property) else member
        target = getattr(target, "__func__", target)
        if inspect.isfunction(target) and not (target.__doc__ or "").strip():
            missing.append(f"{where}.{name}")
    return missing


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_name_is_documented(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert (module.__doc__ or "").strip(), module_name
    missing: list[str] = []
    for name in module.__all__:
        obj = getattr(module, name)
        if typing.get_origin(obj) is not None:
            continue  # a type alias such as Hook = Callable[[RequestEvent], None]
        if inspect.isclass(obj) or inspect.isfunction(obj):
            missing += _undocumented(obj, f"{module_name}.{name}")
    assert missing == []


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_no_public_module_is_internal(module_name: str) -> None:
    """Internal modules have a leading underscore; the public ones do not import them
    under public names."""
    module = importlib.import_module(module_name)
    for name in module.__all__:
        obj = getattr(module, name)
        assert not name.startswith("_") or name == "__version__"
        if inspect.ismodule(obj):
            private = [part for part in obj.__name__.split(".") if part.startswith("_")]
            assert private == [], f"{module_name}.{name} is the internal {obj.__name__}"
