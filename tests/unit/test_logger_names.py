"""Every module logs to a logger of its own name (``logging.getLogger(__name__)``), a
child of ``obs_workflow_async``: users can quiet or raise one layer."""

from __future__ import annotations

import ast
import pathlib

import obs_workflow_async

PACKAGE = pathlib.Path(obs_workflow_async.__file__).parent


def _logger_calls() -> list[tuple[str, int, ast.expr]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute)
                and node.value.func.attr == "getLogger"
                and any(isinstance(t, ast.Name) and t.id == "logger" for t in node.targets)
                and node.col_offset == 0
            ):
                arg = node.value.args[0] if node.value.args else ast.Constant(None)
                found.append((str(path.relative_to(PACKAGE)), node.lineno, arg))
    return found


def test_module_loggers_are_named_after_their_module() -> None:
    calls = _logger_calls()
    assert len(calls) >= 4  # the layers that log: transport, pipeline, batch, credentials
    wrong = [
        f"{path}:{line}"
        for path, line, arg in calls
        if not (isinstance(arg, ast.Name) and arg.id == "__name__")
    ]
    assert wrong == []
