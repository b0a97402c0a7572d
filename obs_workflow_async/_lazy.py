"""Lazy package exports (PEP 562): a name is imported when it is first used.

A package ``__init__`` lists its public names with the module that defines each
(and imports them under ``TYPE_CHECKING`` for type checkers), then installs the
``__getattr__`` and ``__dir__`` made here. ``import package`` then costs next to
nothing; ``from package import Name`` and ``package.Name`` import the defining module
on first use and keep the name in the package's namespace (later lookups are plain
attribute reads).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Mapping, MutableMapping

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str,
    exports: Mapping[str, str],
    namespace: MutableMapping[str, object],
    submodules: Collection[str] = (),
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``.

    :param package: the package's ``__name__``.
    :param exports: public name -> the module defining it, relative to ``package``
        (``".errors"``).
    :param namespace: the package's ``globals()``, where a name is kept once imported.
    :param submodules: submodules that ``package.name`` imports on first use (as an
        eager ``__init__`` that imported them made them attributes).
    """

    def module_getattr(name: str) -> object:
        module = exports.get(name)
        if module is not None:
            value: object = getattr(importlib.import_module(module, package), name)
        elif name in submodules:
            value = importlib.import_module(f".{name}", package)
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value
        return value

    def module_dir() -> list[str]:
        return sorted({*namespace, *exports, *submodules})

    return module_getattr, module_dir
