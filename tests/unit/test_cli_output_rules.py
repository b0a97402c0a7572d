"""The pure rules behind the CLI conventions: how a resource renders per ``--output``,
the doctor's clock and signature verdicts, and manifest file lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from obs_workflow_async.cli.doctor import clock_check, signed_check
from obs_workflow_async.cli.manifest import read_manifest
from obs_workflow_async.cli.output import name_of, render, render_item, render_items
from obs_workflow_async.errors import APIStatusError

RECORD = {"execution_name": "e1", "execution_state": "RUNNING", "input": {"bucket": "b"}}


def test_render_per_format() -> None:
    assert render(RECORD, "json").startswith("{\n  ")
    assert render(RECORD, "text") == (
        'execution_name: e1\nexecution_state: RUNNING\ninput: {"bucket": "b"}'
    )
    table = render(RECORD, "table")
    assert table is not None and table.splitlines()[0].split() == ["FIELD", "VALUE"]
    assert render(RECORD, "json", quiet=True) == "e1" == name_of(RECORD)
    assert render_item(RECORD, "text") == 'e1\tRUNNING\t{"bucket": "b"}'


def test_a_table_of_items_keeps_scalar_columns_aligned() -> None:
    text = render_items([{"name": "a", "n": 1, "x": [1]}, {"name": "long-name", "n": 22}])
    assert text is not None
    header, first, second = text.splitlines()
    assert header.split() == ["NAME", "N"]
    assert first.rfind("1") == second.index("22") == header.rfind("N")
    assert render_items([]) is None


def test_control_characters_never_reach_the_terminal() -> None:
    out = render({"name": "a\x1b[2Jb"}, "json")
    assert out is not None and "\x1b" not in out


@pytest.mark.parametrize(
    ("offset", "status"),
    [
        (0.0, "ok"),
        (-299.0, "ok"),
        (301.0, "WARN"),
        (-899.0, "WARN"),
        (901.0, "FAIL"),
        (-3600, "FAIL"),
    ],
)
def test_clock_thresholds(offset: float, status: str) -> None:
    check = clock_check(offset)
    assert check.status == status
    assert (check.fix is not None) == (status == "FAIL")


def test_signature_verdicts() -> None:
    def error(status: int, code: str) -> APIStatusError:
        return APIStatusError(
            status=status, code=code, message="m", request_id=None, headers={}, body=""
        )

    assert signed_check(None).status == "ok"
    assert signed_check(error(403, "SignatureDoesNotMatch")).status == "FAIL"
    assert "clock" in (signed_check(error(403, "RequestTimeTooSkewed")).fix or "")
    assert signed_check(error(403, "AccessDenied")).status == "ok"  # the authorization's say
    assert signed_check(error(500, "InternalError")).status == "FAIL"


def test_items_know_their_file_line(tmp_path: Path) -> None:
    csv_file = tmp_path / "m.csv"
    csv_file.write_text("bucket,object\n\nmedia,a\n\n\nmedia,b\n")
    assert [(i.index, i.line) for i in read_manifest(csv_file)] == [(0, 3), (1, 6)]
    jsonl = tmp_path / "m.jsonl"
    jsonl.write_text('\n{"bucket": "m", "object": "a"}\nnot json\n')
    assert [(i.index, i.line, i.problem is None) for i in read_manifest(jsonl)] == [
        (0, 2, True),
        (1, 3, False),
    ]
