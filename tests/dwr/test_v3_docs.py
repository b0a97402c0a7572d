"""docs/dwr-v3.md names the methods and parameters ``AsyncDwrClient`` really takes."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from obs_workflow_async.dwr import AsyncDwrClient

DOCS = Path(__file__).resolve().parents[2] / "docs" / "dwr-v3.md"


def _documented_calls() -> list[tuple[str, list[str]]]:
    text = DOCS.read_text(encoding="utf-8")
    table = text.split("## Migrating from huaweicloudsdkdwr", 1)[1].split("\n\n", 2)[1]
    calls: list[tuple[str, list[str]]] = []
    for cell in re.findall(r"^\| `\w+` \| (.*) \|$", table, flags=re.MULTILINE):
        for name, args in re.findall(r"`(\w+)\(([^)]*)\)`", cell):
            params = [a.strip().rstrip("=") for a in args.split(",") if a.strip()]
            calls.append((name, [p for p in params if p != "..." and not p.startswith('"')]))
    return calls


CALLS = _documented_calls()


def test_the_table_covers_the_23_sdk_calls() -> None:
    text = DOCS.read_text(encoding="utf-8")
    table = text.split("## Migrating from huaweicloudsdkdwr", 1)[1].split("\n\n", 2)[1]
    assert len(re.findall(r"^\| `\w+` \| ", table, flags=re.MULTILINE)) == 23
    assert len(CALLS) >= 23


@pytest.mark.parametrize(("method", "params"), CALLS, ids=[c[0] for c in CALLS])
def test_documented_parameters_exist(method: str, params: list[str]) -> None:
    signature = inspect.signature(getattr(AsyncDwrClient, method))
    names = [p for p in signature.parameters if p not in ("self", "options")]
    assert all(p in names for p in params), (method, params, names)
    positional = [
        p.name
        for p in signature.parameters.values()
        if p.kind is p.POSITIONAL_OR_KEYWORD and p.name != "self"
    ]
    keyword_only = [p for p in params if p not in positional]
    assert all(
        signature.parameters[p].kind is inspect.Parameter.KEYWORD_ONLY for p in keyword_only
    ), (method, keyword_only)
