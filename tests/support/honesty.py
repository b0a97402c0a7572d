"""An AST scan of the test files for tests that cannot catch a bug.

What it finds (each a :class:`Finding`):

- ``private-write``: an assignment, augmented assignment or ``del`` of an attribute
  ``x._name`` of an object that is not ``self``/``cls`` (or ``setattr(x, "_name", ...)``):
  a test that changes a private field tests a state the package never reaches;
  inject clocks, sleeps and randomness with ``runtime=Runtime(...)`` instead.
- ``private-call``: a call ``x._name(...)`` on an object that is not ``self``/``cls``
  (nor ``super()``): the test drives an internal step the public API may never take.
  A private access that is another library's (the official SDK's, a
  ``requests.Response`` built by hand) or a fake's reuse of its own parts says so with
  ``# private: <reason>`` on its line or the line above.
- ``cannot-fail``: an assert that holds whatever the code does: a constant
  (``assert True``, ``assert "text"``, ``assert (x, "message")``), ``x is not None``
  or ``isinstance(x, C)`` where ``x`` was just built by calling a class (``x = C(...)``).
- ``no-assert``: a test function with no ``assert``, no ``pytest.raises``/``warns``/
  ``fail``, no call of a helper (in ``tests/``) that asserts, and no
  ``# must not raise: <reason>`` comment saying that finishing is the check.

Kept precise rather than complete: each rule matches a pattern that is wrong in every
case it matches, so a finding is fixed, never argued with.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

MUST_NOT_RAISE = re.compile(r"#\s*must not raise:\s*\S")
# a private access that is not the package's (another library's object) or that is
# the point (a fake reusing its own parts), on its line or the line above
PRIVATE_OK = re.compile(r"#\s*private:\s*\S")
CHECKING_CALLS = {"raises", "warns", "fail", "deprecated_call", "approx"}
SELF_NAMES = {"self", "cls"}
PYDANTIC_CONSTRUCTORS = {"model_validate", "model_validate_json", "model_construct"}
# private calls that are not the package's: the standard library's and pytest's
ALLOWED_PRIVATE_CALLS = {"_getframe", "_exit", "_replace", "_asdict", "_make", "_current_frames"}


@dataclass(frozen=True)
class Finding:
    kind: str
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}: {self.text}"


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _base_is_self(node: ast.Attribute) -> bool:
    """``self.x``, ``cls.x`` or ``super().x``: the class's own business."""
    base = node.value
    if isinstance(base, ast.Call) and isinstance(base.func, ast.Name):
        return base.func.id == "super"
    return isinstance(base, ast.Name) and base.id in SELF_NAMES


def _targets(node: ast.AST) -> Iterator[ast.expr]:
    if isinstance(node, ast.Assign):
        for target in node.targets:
            yield from _flatten(target)
    elif isinstance(node, ast.AugAssign | ast.AnnAssign):
        yield node.target
    elif isinstance(node, ast.Delete):
        for target in node.targets:
            yield from _flatten(target)


def _flatten(target: ast.expr) -> Iterator[ast.expr]:
    if isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _flatten(element)
    elif isinstance(target, ast.Starred):
        yield from _flatten(target.value)
    else:
        yield target


def private_writes(tree: ast.AST, path: str) -> Iterator[Finding]:
    for node in ast.walk(tree):
        for target in _targets(node):
            if (
                isinstance(target, ast.Attribute)
                and _is_private(target.attr)
                and not _base_is_self(target)
            ):
                yield Finding("private-write", path, node.lineno, ast.unparse(target))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "setattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _is_private(node.args[1].value)
        ):
            yield Finding("private-write", path, node.lineno, ast.unparse(node))


def private_calls(tree: ast.AST, path: str) -> Iterator[Finding]:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and _is_private(node.func.attr)
            and node.func.attr not in ALLOWED_PRIVATE_CALLS
            and not _base_is_self(node.func)
        ):
            yield Finding("private-call", path, node.lineno, ast.unparse(node.func))


def _constant(node: ast.expr) -> bool:
    """A constant or a display: a non-empty one always holds, an empty one always fails."""
    return isinstance(
        node, ast.Constant | ast.JoinedStr | ast.Tuple | ast.List | ast.Set | ast.Dict
    )


def _constructed(statements: list[ast.stmt]) -> dict[str, str]:
    """Names bound in ``statements`` to a call of a class (``x = Name(...)``, capitalised)."""
    built: dict[str, str] = {}
    for statement in statements:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            target, value = statement.target, statement.value
        else:
            for name in _bound_names(statement):
                built.pop(name, None)
            continue
        if isinstance(target, ast.Name):
            if isinstance(value, ast.Call) and _builds(value):
                built[target.id] = ast.unparse(value.func)
            else:
                built.pop(target.id, None)
        else:
            for name in _bound_names(statement):
                built.pop(name, None)
    return built


def _builds(call: ast.Call) -> bool:
    """A call of a class (a capitalised name) or of a pydantic model's constructor."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id[:1].isupper()
    return isinstance(func, ast.Attribute) and func.attr in PYDANTIC_CONSTRUCTORS


def _bound_names(statement: ast.stmt) -> Iterator[str]:
    for node in ast.walk(statement):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            yield node.id


def _cannot_fail_in(statements: list[ast.stmt], path: str) -> Iterator[Finding]:
    for index, statement in enumerate(statements):
        if isinstance(statement, ast.Assert):
            test = statement.test
            if _constant(test):
                yield Finding("cannot-fail", path, statement.lineno, ast.unparse(statement))
                continue
            built = _constructed(statements[:index])
            subject = None
            if (
                isinstance(test, ast.Compare)
                and len(test.ops) == 1
                and isinstance(test.ops[0], ast.IsNot)
                and isinstance(test.comparators[0], ast.Constant)
                and test.comparators[0].value is None
                and isinstance(test.left, ast.Name)
            ):
                subject = test.left.id
            elif (
                isinstance(test, ast.Call)
                and isinstance(test.func, ast.Name)
                and test.func.id == "isinstance"
                and len(test.args) == 2
                and isinstance(test.args[0], ast.Name)
                and built.get(test.args[0].id) == ast.unparse(test.args[1])
            ):
                subject = test.args[0].id
            if subject is not None and subject in built:
                yield Finding("cannot-fail", path, statement.lineno, ast.unparse(statement))
        for field in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(statement, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                yield from _cannot_fail_in(inner, path)
            elif isinstance(inner, list):
                for handler in inner:
                    if isinstance(handler, ast.ExceptHandler):
                        yield from _cannot_fail_in(handler.body, path)


def cannot_fail(tree: ast.Module, path: str) -> Iterator[Finding]:
    yield from _cannot_fail_in(tree.body, path)


def _checks_directly(function: ast.AST) -> bool:
    for node in ast.walk(function):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.Raise) and node.exc is not None:
            raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(raised, ast.Name) and raised.id in {"AssertionError", "SystemExit"}:
                return True
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in CHECKING_CALLS or name.startswith("assert_"):
                return True
    return False


def _called_names(function: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                names.add(func.attr)
            elif isinstance(func, ast.Name):
                names.add(func.id)
    return names


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def checking_helpers(trees: Iterable[ast.AST]) -> set[str]:
    """Names of the functions in ``trees`` that assert, directly or through another."""
    functions = [f for tree in trees for f in _functions(tree)]
    checking = {f.name for f in functions if _checks_directly(f)}
    changed = True
    while changed:
        changed = False
        for function in functions:
            if function.name not in checking and _called_names(function) & checking:
                checking.add(function.name)
                changed = True
    return checking


def _test_functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            yield node
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for member in node.body:
                if isinstance(
                    member, ast.FunctionDef | ast.AsyncFunctionDef
                ) and member.name.startswith("test"):
                    yield member


def without_assert(
    tree: ast.Module, source: str, path: str, helpers: set[str]
) -> Iterator[Finding]:
    lines = source.splitlines()
    for function in _test_functions(tree):
        if _checks_directly(function) or _called_names(function) & helpers:
            continue
        end = function.end_lineno or function.lineno
        if any(MUST_NOT_RAISE.search(line) for line in lines[function.lineno - 1 : end]):
            continue
        yield Finding("no-assert", path, function.lineno, function.name)


def _explained(finding: Finding, lines: list[str]) -> bool:
    near = lines[max(finding.line - 2, 0) : finding.line]
    return any(PRIVATE_OK.search(line) for line in near)


def scan(root: Path) -> list[Finding]:
    """Every finding in the ``test*.py``, ``conftest.py`` and support files under ``root``."""
    files = sorted(p for p in root.rglob("*.py") if "typing" not in p.relative_to(root).parts)
    parsed = {path: (path.read_text(), ast.parse(path.read_text())) for path in files}
    helpers = checking_helpers(tree for _, tree in parsed.values())
    findings: list[Finding] = []
    for path, (source, tree) in parsed.items():
        name = str(path.relative_to(root.parent))
        private = list(private_writes(tree, name))
        if path.name != "inspect.py":  # tests/support/inspect.py: the one window inside
            private += private_calls(tree, name)
        findings += [f for f in private if not _explained(f, source.splitlines())]
        findings += cannot_fail(tree, name)
        if path.name.startswith("test"):
            findings += without_assert(tree, source, name, helpers)
    return findings
