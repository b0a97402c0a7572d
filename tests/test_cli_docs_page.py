"""``docs/cli.md`` cannot drift from the parser: its reference part is what the
parser generates, every option and variable is on the page, and the page names no
option that does not exist."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from obs_workflow_async.cli.config import CONNECTION_OPTIONS
from obs_workflow_async.cli.parser import build_parser
from obs_workflow_async.cli.reference import BEGIN, END, reference

PAGE = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
FAKE_SERVER_OPTIONS = {
    "--execution-duration",
    "--fault-503",
    "--fault-reset",
    "--stop-on-stdin-eof",
    "--no-authorization",
}


def _options() -> tuple[set[str], list[str]]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    options = {o for a in parser._actions for o in a.option_strings}
    for command in sub.choices.values():
        options |= {o for a in command._actions for o in a.option_strings}
    return options, list(sub.choices)


def test_the_reference_part_is_generated_from_the_parser() -> None:
    page = PAGE.read_text(encoding="utf-8")
    generated = BEGIN + page.partition(BEGIN)[2].partition(END)[0] + END
    assert generated == reference(), (
        "docs/cli.md is out of date: run python -m obs_workflow_async.cli.reference docs/cli.md"
    )


def test_every_command_option_and_variable_is_on_the_page_and_nothing_stale() -> None:
    page = PAGE.read_text(encoding="utf-8")
    options, commands = _options()
    for command in commands:
        assert f"### `{command}`" in page, command
    for option in options - {"-h", "--help"}:
        assert f"`{option}" in page, option
    for option in CONNECTION_OPTIONS:
        assert f"`{option.env}`" in page, option.env
    named = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", page))
    assert named - options - FAKE_SERVER_OPTIONS == set()


def test_no_development_notes_or_literal_escapes() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert "Measured:" not in page
    spans = re.findall(r"`([^`\n]+)`", page.replace("```", ""))
    assert [span for span in spans if "\\|" in span] == []  # a \| in a code span shows
