"""Every cross-reference in a docstring of the package points at something that exists.

The docstrings use Sphinx roles (``:class:`~.errors.NotFoundError```, ``:meth:`x```,
``:func:``, ``:attr:``, ``:exc:``, ``:mod:``, ``:data:``, ``:obj:``, ``:const:``, and
reST's default role: a single-backquoted ``~.x.y``). The
docs build renders them as inline code (``docs/_hooks/sphinx_roles.py``) and resolves
none, so ``mkdocs build --strict`` passes with a reference to a module that was renamed
or removed. This test is the check: it reads every docstring of every module in the
package from the source (module, class, function and attribute docstrings, private
ones included), takes each role's target and resolves it by import, as Sphinx's Python
domain would look it up:

- ``.name`` or ``~.name`` (a leading dot): the name in the docstring's class, then its
  module, then any object of the package whose dotted path ends with ``.name``
  (``~.errors.NotFoundError`` finds ``obs_workflow_async.errors.NotFoundError``);
- ``a.b.c``: an importable path (``asyncio.shield``, ``obs_workflow_async.cli.main``;
  outside the package, a module that imports is enough: ``enum.StrEnum`` is not on
  Python 3.10, and another project's names are not ours to check), else ``a`` looked
  up where the docstring is (its class and the classes around it, its
  module's names and imports, those under ``TYPE_CHECKING`` included, the builtins),
  then ``.b.c`` as attributes.

An attribute is a class attribute, a pydantic field, an annotated (dataclass,
``TypedDict``, ``NamedTuple``) field, or an attribute the class's methods assign
(``self.name = ...``). Nothing here names a module or class of the package: a module
moved or renamed is checked against the tree as it is.

``python tests/unit/test_docstring_references.py`` prints every unresolved reference.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import itertools
import pkgutil
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

import obs_workflow_async

PACKAGE = Path(obs_workflow_async.__file__).resolve().parent
ROOT = PACKAGE.parent
EXTRA_MODULES = [ROOT / "_obs_workflow_async_pytest.py"]  # the pytest11 entry point

ROLE = re.compile(
    r":(?:py:)?(?P<role>class|meth|func|mod|attr|exc|data|obj|const):`(?P<target>[^`]+)`"
    # reST's default role: a single-backquoted ``~.x.y`` is a reference too
    r"|(?<![`:\w])`(?P<bare>~[^`\s]+)`(?!`)"
)

# The ``:param options:`` paragraph repeated over the request methods, and the one
# wording that should replace it (the public name: it survives any move of the module
# that defines RequestOptions).
OPTIONS_PARAGRAPH = re.compile(r":param options:.*?(?=\n\s*:|\Z)", re.DOTALL)
OPTIONS_WORDING = (
    ":param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`): "
    "``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``, "
    "``retry_non_idempotent``; omitted ones keep the client's."
)


@dataclass(frozen=True)
class Reference:
    """One role in one docstring."""

    file: str  # relative to the repository
    line: int  # of the docstring's first line
    where: str  # the documented object's dotted path
    role: str
    target: str  # as written, ``~`` included
    in_options_paragraph: bool

    def __str__(self) -> str:
        return f"{self.file}:{self.line} {self.where}: :{self.role}:`{self.target}`"


@dataclass
class _Scope:
    """Where a docstring is: its module, the classes around it, the module's names."""

    module: str
    classes: list[str] = field(default_factory=list)


def module_name(path: Path) -> str:
    if path.parent == ROOT:
        return path.stem
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> list[Path]:
    return [*sorted(PACKAGE.rglob("*.py")), *EXTRA_MODULES]


# ---------------------------------------------------------------------------
# Reading the docstrings


def _docstring(node: ast.AST) -> tuple[str, int] | None:
    body = getattr(node, "body", None)
    if not body:
        return None
    first = body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return first.value.value, first.lineno
    return None


def _attribute_docstrings(body: list[ast.stmt]) -> Iterator[tuple[str, str, int]]:
    """``(name, docstring, line)``: a string right after an assignment documents it."""
    for before, after in itertools.pairwise(body):
        if not (
            isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            continue
        if isinstance(before, ast.AnnAssign) and isinstance(before.target, ast.Name):
            yield before.target.id, after.value.value, after.lineno
        elif isinstance(before, ast.Assign) and isinstance(before.targets[0], ast.Name):
            yield before.targets[0].id, after.value.value, after.lineno


Found = tuple["_Scope", str, str, int]
Definition = ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef


def _definitions(node: ast.AST) -> Iterator[Definition]:
    """The classes and functions defined in ``node``'s body, under ``if``, ``try``,
    ``with`` and loops included, not inside the definitions themselves."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, Definition):
            yield child
        elif isinstance(child, ast.stmt | ast.excepthandler):
            yield from _definitions(child)


def docstrings(path: Path) -> Iterator[Found]:
    """``(scope, documented object's path, docstring, line)`` for one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = module_name(path)

    def walk(node: ast.AST, classes: list[str], where: str) -> Iterator[Found]:
        found = _docstring(node)
        if found:
            yield _Scope(module, list(classes)), where, found[0], found[1]
        if isinstance(node, ast.Module | ast.ClassDef):
            for name, text, line in _attribute_docstrings(node.body):
                yield _Scope(module, list(classes)), f"{where}.{name}", text, line
        for child in _definitions(node):
            inner = [*classes, child.name] if isinstance(child, ast.ClassDef) else classes
            yield from walk(child, inner, f"{where}.{child.name}")

    yield from walk(tree, [], module)


def references() -> list[Reference]:
    found: list[Reference] = []
    for path in source_files():
        rel = path.relative_to(ROOT).as_posix()
        for scope, where, text, line in docstrings(path):
            options = [m.span() for m in OPTIONS_PARAGRAPH.finditer(text)]
            for match in ROLE.finditer(text):
                target = (match["target"] or match["bare"]).strip()
                if "<" in target and target.endswith(">"):  # an explicit title
                    target = target[target.index("<") + 1 : -1]
                inside = any(a <= match.start() < b for a, b in options)
                role = match["role"] or "default role"
                found.append(Reference(rel, line, where, role, target, inside))
                _SCOPES[found[-1]] = scope
    return found


_SCOPES: dict[Reference, _Scope] = {}


# ---------------------------------------------------------------------------
# Resolving a target


def _resolve_relative(module: str, level: int, name: str | None) -> str:
    path = ROOT / Path(*module.split("."))
    package = module if (path / "__init__.py").exists() else module.rpartition(".")[0]
    base = package.split(".")
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


@cache
def module_names(module: str) -> dict[str, str]:
    """The names a module's top level binds (imports, those under ``TYPE_CHECKING``
    and ``try`` included; definitions; assignments), each to its dotted path."""
    path = ROOT / Path(*module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: dict[str, str] = {}

    def top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
        for node in body:
            yield node
            if isinstance(node, ast.If | ast.Try):
                yield from top_level(node.body)
                yield from top_level(node.orelse)
                if isinstance(node, ast.Try):
                    for handler in node.handlers:
                        yield from top_level(handler.body)
                    yield from top_level(node.finalbody)

    for node in top_level(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    names[head] = head
        elif isinstance(node, ast.ImportFrom):
            source = (
                _resolve_relative(module, node.level, node.module) if node.level else node.module
            )
            for alias in node.names:
                names[alias.asname or alias.name] = f"{source}.{alias.name}"
        elif isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names[node.name] = f"{module}.{node.name}"
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        names[name.id] = f"{module}.{name.id}"
    return names


@cache
def _assigned_attributes(cls: type) -> frozenset[str]:
    """``self.name = ...`` in the class's (and its bases') own source."""
    found: set[str] = set()
    for klass in cls.__mro__:
        module = sys.modules.get(klass.__module__)
        file = getattr(module, "__file__", None)
        if not file or not Path(file).resolve().is_relative_to(PACKAGE):
            continue
        found |= _assigned_by_class(Path(file).resolve()).get(klass.__name__, frozenset())
    return frozenset(found)


@cache
def _assigned_by_class(path: Path) -> dict[str, frozenset[str]]:
    """For each class name defined in a file (at any depth), the ``self.name = ...``
    and ``cls.name = ...`` inside every class of that name, its inner classes' too:
    each file walked once, not once per class and base."""
    found: dict[str, set[str]] = {}
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ClassDef):
            names = found.setdefault(node.name, set())
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Attribute)
                    and isinstance(inner.ctx, ast.Store)
                    and isinstance(inner.value, ast.Name)
                    and inner.value.id in ("self", "cls")
                ):
                    names.add(inner.attr)
    return {name: frozenset(attrs) for name, attrs in found.items()}


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


_MISSING = object()


def _member(owner: object, name: str) -> object:
    """``owner.name``, or a field of it (``_MISSING`` when neither)."""
    try:
        return getattr(owner, name)
    except Exception:  # a lazy export that fails to import, a pydantic field
        pass
    if isinstance(owner, type):
        fields = getattr(owner, "model_fields", None) or {}
        annotated = {n for k in owner.__mro__ for n in getattr(k, "__annotations__", {})}
        if name in fields or name in annotated or name in _assigned_attributes(owner):
            return field  # a stand-in: it exists, but is not a class attribute
    return _MISSING


def _import(path: str) -> object:
    """The object at a dotted path: the longest importable module, then attributes."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        name = ".".join(parts[:cut])
        if name.split(".")[-1] == "__main__":
            continue  # importing it would run it
        try:
            obj: object = importlib.import_module(name)
        except ImportError:
            continue
        for part in parts[cut:]:
            obj = _member(obj, part)
            if obj is _MISSING:
                return _MISSING
        return obj
    return _MISSING


def _outside(name: str) -> bool:
    """``name`` is an importable module from outside the package."""
    try:
        module = importlib.import_module(name)
    except ImportError:
        return False
    file = getattr(module, "__file__", None)
    return file is None or not Path(file).resolve().is_relative_to(PACKAGE)


def exists(path: str) -> bool:
    return bool(path) and _import(path) is not _MISSING


@cache
def package_paths() -> frozenset[str]:
    """The dotted path of every module, class, function, attribute and field of the
    package (for ``.name`` references, found by their end)."""
    paths: set[str] = set()
    modules = [obs_workflow_async.__name__] + [
        m.name
        for m in pkgutil.walk_packages(obs_workflow_async.__path__, "obs_workflow_async.")
        if not m.name.endswith("__main__")
    ]
    for name in modules:
        module = importlib.import_module(name)
        paths.add(name)
        members = set(vars(module)) | set(getattr(module, "__all__", ()))
        members |= set(module_names(name))
        for member in members:
            value = _member(module, member)
            if value is _MISSING:
                continue
            paths.add(f"{name}.{member}")
            if isinstance(value, type):
                inner = set(dir(value)) | set(getattr(value, "model_fields", None) or {})
                inner |= {n for k in value.__mro__ for n in getattr(k, "__annotations__", {})}
                inner |= _assigned_attributes(value)
                paths |= {f"{name}.{member}.{attr}" for attr in inner}
    return frozenset(paths)


@cache
def package_path_ends() -> frozenset[str]:
    """Every ``.b.c`` that a path of :func:`package_paths` ends with (from one of its
    dots on): ``p.endswith(target)`` for a target that starts with a dot, for every
    path at once, as one set lookup."""
    ends: set[str] = set()
    for path in package_paths():
        parts = path.split(".")
        ends.update("." + ".".join(parts[i:]) for i in range(1, len(parts)))
    return frozenset(ends)


@cache
def public_names() -> dict[str, str]:
    """Every name a public module of the package exports (its ``__all__``), to its
    path: a bare ``NotFoundError`` is the package's, wherever it is written."""
    names: dict[str, str] = {}
    for path in package_paths():
        module, _, name = path.rpartition(".")
        if any(part.startswith("_") for part in module.split(".")):
            continue
        exported = getattr(sys.modules.get(module), "__all__", ())
        if name in exported:
            names.setdefault(name, path)
    return names


def resolves(reference: Reference) -> bool:
    scope = _SCOPES[reference]
    target = reference.target.lstrip("~").strip()
    target = target.removesuffix("()")
    if not target:
        return False
    if target.startswith("."):
        name = target[1:]
        if not name or name.startswith("."):
            return False  # ``..x``: Sphinx finds nothing
        candidates = [
            ".".join([scope.module, *scope.classes[:depth], name])
            for depth in range(len(scope.classes), -1, -1)
        ]
        if any(exists(c) for c in candidates):
            return True
        return target in package_path_ends()
    if exists(target):
        return True
    head, _, rest = target.partition(".")
    if rest and head != obs_workflow_async.__name__ and _outside(head):
        return True  # another project's name (``enum.StrEnum`` is 3.11+): its module imports
    # the classes around the docstring, innermost first, then the module's names
    for depth in range(len(scope.classes), 0, -1):
        owner = ".".join([scope.module, *scope.classes[:depth]])
        if exists(f"{owner}.{target}"):
            return True
    bound = module_names(scope.module).get(head)
    if bound and exists(f"{bound}.{rest}" if rest else bound):
        return True
    public = public_names().get(head)
    if public and exists(f"{public}.{rest}" if rest else public):
        return True
    if head in vars(builtins):
        return not rest or _member(vars(builtins)[head], rest) is not _MISSING
    return False


@cache
def unresolved() -> tuple[Reference, ...]:
    return tuple(r for r in references() if not resolves(r))


# ---------------------------------------------------------------------------
# The tests


def test_the_checker_reads_the_docstrings() -> None:
    """Not vacuous: the package's docstrings hold hundreds of references, and every
    kind of scope the resolver handles occurs."""
    found = references()
    assert len(found) > 300
    assert any(r.target.startswith("~.") for r in found)
    assert any("." not in r.target for r in found)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("~.errors.NotFoundError", True),  # by its end
        ("~.AsyncWorkflowClient", True),  # a public name, by its end
        ("obs_workflow_async.errors.may_have_started", True),  # absolute
        ("asyncio.shield", True),  # outside the package
        ("enum.StrEnum", True),  # outside the package, on every Python (3.11+ only)
        ("ObsWorkflowError", True),  # a name the module binds
        ("TransportError.request_sent", True),  # an attribute set in __init__
        ("ValueError", True),  # a builtin
        ("~.nowhere.Missing", False),
        ("~..errors.NotFoundError", False),  # Sphinx finds nothing after two dots
        ("NoSuchName", False),
        ("TransportError.no_such_attribute", False),
        ("obs_workflow_async.no_such_module.Thing", False),
    ],
)
def test_the_resolver(target: str, expected: bool) -> None:
    """The resolver itself, on a docstring of ``obs_workflow_async.errors``: it must
    fail a broken reference, or the test below proves nothing."""
    reference = Reference("x.py", 1, "obs_workflow_async.errors", "class", target, False)
    _SCOPES[reference] = _Scope("obs_workflow_async.errors")
    assert resolves(reference) is expected


# Files another change is rewriting right now (issue 19: the neutral core, the
# resources): their references are reported, as expected failures, until it lands.
# Strict: once a file passes, its entry must go. Paths relative to the repository.
IN_FLIGHT: dict[str, str] = {}


def _files() -> list[object]:
    params: list[object] = []
    for path in source_files():
        rel = path.relative_to(ROOT).as_posix()
        reason = IN_FLIGHT.get(rel)
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        params.append(pytest.param(rel, id=rel, marks=marks))
    return params


def test_in_flight_files_exist() -> None:
    """An entry for a file that moved or went away is stale: remove it (the file under
    its new name is checked like any other)."""
    assert [rel for rel in IN_FLIGHT if not (ROOT / rel).is_file()] == []


@pytest.mark.parametrize("file", _files())
def test_every_docstring_reference_resolves(file: str) -> None:
    broken = [r for r in unresolved() if r.file == file and not r.in_options_paragraph]
    assert not broken, f"{len(broken)} docstring references point nowhere:\n" + "\n".join(
        map(str, broken)
    )


def test_the_options_paragraph_references_resolve() -> None:
    """The ``:param options:`` paragraph of the request methods: reported on its own,
    with the wording that should replace every copy of it."""
    broken = [r for r in unresolved() if r.in_options_paragraph]
    assert not broken, (
        f"{len(broken)} :param options: paragraphs cite a target that does not exist; "
        f"replace each with:\n    {OPTIONS_WORDING}\n" + "\n".join(map(str, broken))
    )


if __name__ == "__main__":
    every = references()
    missing = unresolved()
    for reference in missing:
        print(reference)
    print(f"{len(missing)} of {len(every)} references unresolved", file=sys.stderr)
