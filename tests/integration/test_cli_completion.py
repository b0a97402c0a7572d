"""``obs-workflow completion bash|zsh|fish``: generated from the parser, names every
subcommand and option, parses in its shell, and (bash) completes."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

import pytest

from obs_workflow_async.cli.parser import build_parser
from tests.support.cli import run_cli


def _names() -> tuple[list[str], list[str]]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    options = {o for a in parser._actions for o in a.option_strings}
    for command in sub.choices.values():
        options |= {o for a in command._actions for o in a.option_strings}
    return list(sub.choices), sorted(options)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_script_names_every_subcommand_and_option_and_parses(
    shell: str, tmp_path: Path
) -> None:
    result = run_cli("completion", shell)
    assert result.returncode == 0 and result.stderr == ""
    commands, options = _names()
    for word in commands:
        assert word in result.stdout, word
    for option in options:
        spelled = (
            option
            if shell != "fish"
            else (f"-l {option[2:]}" if option.startswith("--") else f"-s {option[1:]}")
        )
        assert spelled in result.stdout, option
    for choice in ("v3", "oidc", "TRIGGERCAL", "execution"):
        assert choice in result.stdout
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    script = tmp_path / f"completion.{shell}"
    script.write_text(result.stdout, encoding="utf-8")
    checked = subprocess.run(
        [shell, "-n", str(script)], capture_output=True, timeout=60, check=False
    )
    assert checked.returncode == 0, checked.stderr


def _bash_complete(tmp_path: Path, *words: str) -> list[str]:
    script = tmp_path / "completion.bash"
    script.write_text(run_cli("completion", "bash").stdout, encoding="utf-8")
    quoted = " ".join(f"'{word}'" for word in words)
    program = (
        f"source {script}; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; "
        "_obs_workflow; printf '%s\\n' \"${COMPREPLY[@]}\""
    )
    done = subprocess.run(
        ["bash", "-c", program], capture_output=True, text=True, timeout=60, check=True
    )
    return [line for line in done.stdout.splitlines() if line]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_subcommands_options_and_choices(tmp_path: Path) -> None:
    assert _bash_complete(tmp_path, "obs-workflow", "st") == ["start", "start-many"]
    assert _bash_complete(tmp_path, "obs-workflow", "--sig") == ["--signature"]
    assert _bash_complete(tmp_path, "obs-workflow", "--api", "") == ["v2", "v3"]
    assert _bash_complete(tmp_path, "obs-workflow", "get", "")[-3:] == [
        "workflow",
        "template",
        "execution",
    ]
    assert _bash_complete(tmp_path, "obs-workflow", "start-many", "g", "--retry-") == [
        "--retry-ambiguous",
        "--retry-unknown-may-duplicate",
    ]
    assert _bash_complete(tmp_path, "obs-workflow", "list", "w", "--cred") == ["--credentials"]
    assert _bash_complete(tmp_path, "obs-workflow", "list", "--credentials", "e") == [
        "env",
        "ecs",
    ]
    assert _bash_complete(tmp_path, "obs-workflow", "start", "--manifest") == []
