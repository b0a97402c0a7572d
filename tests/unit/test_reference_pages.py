"""Every public name is in the API reference (``docs/reference/*.md``).

The reference is one page per module or class group; each ``::: dotted.path``
directive renders one object, or a module's public members (its ``__all__``, or the
``members:`` list under it). This checks that every name exported by the public
modules is rendered on some page, and that every directive names something that
exists (mkdocstrings would otherwise fail the strict build, but only there).
"""

from __future__ import annotations

import importlib
import re
import types
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference"
PUBLIC_MODULES = (
    "obs_workflow_async",
    "obs_workflow_async.dwr",
    "obs_workflow_async.compat",
    "obs_workflow_async.testing",
    "obs_workflow_async.errors",
    "obs_workflow_async.credentials",
    "obs_workflow_async.hooks",
    "obs_workflow_async.otel",
)
NOT_RENDERED = {"__version__"}  # a string, shown on the home page and in the changelog
_DIRECTIVE = re.compile(r"^::: ([\w.]+)\n((?:[ \t]+.*\n)*)", re.MULTILINE)
_MEMBERS = re.compile(r"members:\s*\[([^\]]*)\]")


def _resolve(path: str) -> object:
    module, _, rest = path.partition(".")
    obj: object = importlib.import_module(module)
    for part in path.split(".")[1:]:
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = importlib.import_module(f"{module}.{part}")
        module = f"{module}.{part}"
    del rest
    return obj


def directives() -> list[tuple[Path, str, list[str] | None]]:
    found = []
    for page in sorted(REFERENCE.glob("*.md")):
        for match in _DIRECTIVE.finditer(page.read_text(encoding="utf-8")):
            listed = _MEMBERS.search(match.group(2))
            members = None
            if listed:
                members = [m.strip() for m in listed.group(1).split(",") if m.strip()]
            found.append((page, match.group(1), members))
    return found


def rendered() -> set[int]:
    """The ids of the objects the reference pages render."""
    ids: set[int] = set()
    for _, path, members in directives():
        obj = _resolve(path)
        ids.add(id(obj))
        if isinstance(obj, types.ModuleType):
            names = members if members is not None else list(getattr(obj, "__all__", []))
            ids.update(id(getattr(obj, name)) for name in names)
    return ids


def test_the_reference_is_split_into_pages() -> None:
    pages = sorted(p.name for p in REFERENCE.glob("*.md"))
    assert len(pages) >= 8, pages
    assert not (REFERENCE.parent / "reference.md").exists(), "the one-page reference is back"


@pytest.mark.parametrize("directive", directives(), ids=lambda d: f"{d[0].name}:{d[1]}")
def test_every_directive_names_something(directive: tuple[Path, str, list[str] | None]) -> None:
    _, path, members = directive
    obj = _resolve(path)
    for name in members or ():
        assert hasattr(obj, name), f"{path} has no member {name}"


def test_every_public_name_is_in_the_reference() -> None:
    ids = rendered()
    missing = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            if name in NOT_RENDERED:
                continue
            if id(getattr(module, name)) not in ids:
                missing.append(f"{module_name}.{name}")
    assert not missing, f"public names in no reference page: {missing}"
