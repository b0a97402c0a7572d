"""Every public parameter of the three clients is described in its docstring.

The API reference renders ``:param name:`` lines as the parameter tables; a parameter
without one shows an empty description. This counts, over the public methods of
:class:`~obs_workflow_async.AsyncWorkflowClient`, :class:`~obs_workflow_async.dwr.AsyncDwrClient`
and :class:`~obs_workflow_async.compat.WorkflowClient` (their constructors included, whose
parameters the class docstring may describe), the parameters with a ``:param`` line,
and fails naming any without one. ``python tests/unit/test_parameter_docs.py`` prints
the counts.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator

from obs_workflow_async import AsyncWorkflowClient
from obs_workflow_async.compat import WorkflowClient
from obs_workflow_async.dwr import AsyncDwrClient

CLASSES: tuple[type, ...] = (AsyncWorkflowClient, AsyncDwrClient, WorkflowClient)
_PARAM = re.compile(r"^\s*:param\s+(?:[^:]*\s)?\*{0,2}(\w+)\s*:", re.MULTILINE)


def _methods(cls: type) -> Iterator[tuple[str, Callable[..., object], str]]:
    """``(name, function, docstring)`` for every public method (and the constructor)."""
    for name in sorted(dir(cls)):
        if name.startswith("_") and name != "__init__":
            continue
        attr = inspect.getattr_static(cls, name, None)
        if isinstance(attr, staticmethod | classmethod):
            attr = attr.__func__
        if not inspect.isfunction(attr):
            continue
        doc = inspect.getdoc(attr) or ""
        if name == "__init__":
            doc = (cls.__doc__ or "") + "\n" + doc
        yield name, attr, doc


def parameters() -> Iterator[tuple[str, bool]]:
    """``(Class.method(param), described)`` for every public parameter."""
    for cls in CLASSES:
        for name, func, doc in _methods(cls):
            described = set(_PARAM.findall(doc))
            for param in inspect.signature(func).parameters.values():
                if param.name in ("self", "cls") or param.name.startswith("_"):
                    continue
                yield f"{cls.__name__}.{name}({param.name})", param.name in described


def test_every_public_parameter_has_a_param_line() -> None:
    missing = [where for where, described in parameters() if not described]
    assert not missing, f"{len(missing)} parameters without a :param line: {missing}"


def test_the_count_covers_the_clients() -> None:
    # The walk finds the methods (a broken walk would pass the test above vacuously).
    seen = [where for where, _ in parameters()]
    assert any(w.startswith("AsyncDwrClient.start_workflow(") for w in seen)
    assert any(w.startswith("WorkflowClient.__init__(") for w in seen)
    assert any(w.startswith("AsyncWorkflowClient.list_executions(") for w in seen)
    assert len(seen) > 200


if __name__ == "__main__":  # pragma: no cover
    rows = list(parameters())
    for where, described in rows:
        if not described:
            print("missing:", where)
    print(f"documented {sum(d for _, d in rows)} of {len(rows)} public parameters")
