"""The wire contract is public: a transport can be written with public names alone."""

from __future__ import annotations

import ast
import pathlib

import obs_workflow_async
from obs_workflow_async import transport
from obs_workflow_async.testing import mock

PACKAGE = pathlib.Path(obs_workflow_async.__file__).parent


def _imported_modules(path: pathlib.Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            modules.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return modules


def test_the_mock_transport_imports_no_private_module() -> None:
    imported = _imported_modules(pathlib.Path(mock.__file__))
    private = sorted(
        m
        for m in imported
        if m != "__future__" and any(p.startswith("_") for p in m.split(".") if p)
    )
    assert "..transport" in imported
    assert private == []


def test_everything_send_may_raise_is_public() -> None:
    for name in ("Transport", "PreparedRequest", "Answer", "SendError", "SlotWaitExpired"):
        assert name in transport.__all__
        assert not getattr(transport, name).__module__.split(".")[-1].startswith("_")
    assert issubclass(transport.SendError, Exception)
    assert {f.name for f in transport.Failure} == {"NOT_SENT", "REFUSED", "AMBIGUOUS", "FINAL"}


def test_the_default_transport_satisfies_the_contract() -> None:
    client = obs_workflow_async.AiohttpTransport
    assert all(callable(getattr(client, m)) for m in ("open", "send", "aclose"))
    assert isinstance(
        mock.MockTransport(lambda request: mock.MockResponse(200)), transport.Transport
    )
