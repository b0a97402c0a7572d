"""Lazy package exports (PEP 562): a name is imported when it is first used.

A package ``__init__`` lists its public names with the module that defines each
(and imports them under ``TYPE_CHECKING`` for type checkers), then installs the
``__getattr__`` and ``__dir__`` made here. ``import package`` then costs next to
nothing; ``from package import Name`` and ``package.Name`` import the defining module
on first use and keep the name in the package's namespace (later lookups are plain
attribute reads).

A module that *uses* names defined in modules costly to import (the pydantic models)
holds them in a references module made with :func:`lazy_names`: its users read
``_refs.Name``, which imports the defining module on first access, and a client's
constructor calls the references module's ``load()`` so the models are built when
the first client is made, never when a client module is imported.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Mapping, MutableMapping

__all__ = ["lazy_exports", "lazy_names"]


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


def lazy_names(
    package: str | None, names: Mapping[str, str], namespace: MutableMapping[str, object]
) -> tuple[Callable[[str], object], Callable[[], None]]:
    """``__getattr__`` and ``load`` for a references module (see the module's text).

    :param package: the references module's ``__package__`` (the modules in ``names``
        are relative to it).
    :param names: name -> the module defining it (``"..models._executions"``), or
        ``"module:attribute"`` where the defining module names it otherwise.
    :param namespace: the references module's ``globals()``, where a name is kept once
        imported (later reads are plain attribute reads).

    ``load()`` imports every name not imported yet (a client's constructor calls it).
    """

    def module_getattr(name: str) -> object:
        where = names.get(name)
        if where is None:
            raise AttributeError(f"module {namespace.get('__name__')!r} has no attribute {name!r}")
        module, _, attribute = where.partition(":")
        value: object = getattr(importlib.import_module(module, package), attribute or name)
        namespace[name] = value
        return value

    def load() -> None:
        for name in names:
            if name not in namespace:
                module_getattr(name)

    return module_getattr, load
