"""CLI conventions: a closed pipe exits quietly, every option has help and a
default, the connection options come from flag > env > profile > default, and no
key is read from (or echoed out of) the config file."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from obs_workflow_async.cli.commands import connection_words
from obs_workflow_async.cli.config import CONNECTION_OPTIONS, ConfigError, resolve
from obs_workflow_async.cli.help_text import HelpFormatter
from obs_workflow_async.cli.parser import build_parser
from obs_workflow_async.testing import FakeWorkflowServer
from tests.support.cli import run_cli, server_env


def _parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return [("", parser), *sub.choices.items()]


def test_every_option_shown_has_help_and_a_default() -> None:
    shown = 0
    for name, parser in _parsers():
        formatter = HelpFormatter(parser.prog)
        for action in parser._actions:
            if action.help == argparse.SUPPRESS:  # connection options after a subcommand
                assert action.option_strings and name, action
                continue
            assert action.help, (name, action.dest)
            if action.option_strings and action.default != argparse.SUPPRESS:
                # private: argparse renders one option's help only through its formatter
                text = formatter._get_help_string(action) or ""
                assert "default" in text or "required" in text, (name, action.dest, text)
                shown += 1
    assert shown > 40


def test_connection_options_are_shown_once_and_examples_in_every_subcommand() -> None:
    main = run_cli("--help")
    assert main.returncode == 0
    for option in CONNECTION_OPTIONS:
        assert main.stdout.count(option.flag + " ") >= 1
        assert option.env in main.stdout
    for name, parser in _parsers()[1:]:
        text = parser.format_help()
        assert "examples:\n  obs-workflow" in text, name
        assert "--request-timeout" not in text.split("examples:")[0], name


def test_connection_options_still_accepted_after_the_subcommand() -> None:
    args = build_parser().parse_args(["list", "workflows", "--api", "v3", "--region", "r"])
    resolve(args, {})
    assert (args.api, args.region, args.signature) == ("v3", "r", "obs")
    args = build_parser().parse_args(["--region", "before", "list", "workflows"])
    resolve(args, {})
    assert args.region == "before"


def _config(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "config"
    path.write_text(text, encoding="utf-8")
    return {"OBS_WORKFLOW_CONFIG": str(path)}


def test_precedence_flag_then_env_then_profile_then_default(tmp_path: Path) -> None:
    env = _config(
        tmp_path,
        "[default]\nregion = from-default\n\n"
        "[prod]\nregion = from-profile\nsignature = v4\nrequest-timeout = 5\napi = v3\n",
    )
    env["OBS_WORKFLOW_SIGNATURE"] = "v2"
    args = build_parser().parse_args(["--profile", "prod", "list", "workflows", "--api", "v2"])
    resolve(args, env)
    assert args.api == "v2"  # flag
    assert args.signature == "v2"  # env over profile
    assert args.region == "from-profile"  # profile
    assert args.request_timeout == 5.0  # profile, converted
    assert args.max_retries == 3  # default
    args = build_parser().parse_args(["list", "workflows"])
    resolve(args, {**env, "OBS_WORKFLOW_PROFILE": "prod"})
    assert args.region == "from-profile"
    args = build_parser().parse_args(["list", "workflows"])
    resolve(args, env)
    assert args.region == "from-default"


def test_every_connection_option_reads_its_variable() -> None:
    for option in CONNECTION_OPTIONS:
        text = option.choices[-1] if option.choices else "2"
        args = build_parser().parse_args(["list", "workflows"])
        resolve(args, {option.env: text, "XDG_CONFIG_HOME": "/nonexistent"})
        assert getattr(args, option.dest) == option.type(text), option.flag


def test_xdg_config_home_is_honoured(tmp_path: Path) -> None:
    (tmp_path / "obs-workflow").mkdir()
    (tmp_path / "obs-workflow" / "config").write_text("[default]\nproject-id = p1\n")
    args = build_parser().parse_args(["start-many", "g", "--manifest", "m"])
    resolve(args, {"XDG_CONFIG_HOME": str(tmp_path)})
    assert args.project_id == "p1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[p]\nsecret-access-key = SeCrEtVaLuE\n", "keys are not read from the config file"),
        ("[p]\naccess_key_id = SeCrEtVaLuE\n", "keys are not read from the config file"),
        ("[p]\ncolour = SeCrEtVaLuE\n", "unknown key colour"),
        ("[p]\nsignature = SeCrEtVaLuE\n", "invalid value"),
        ("[other]\n", "profile 'p' not in"),
    ],
)
def test_a_bad_profile_is_a_usage_error_that_echoes_no_key(
    tmp_path: Path, text: str, message: str
) -> None:
    env = {**_config(tmp_path, text), "OBS_SERVER": "https://127.0.0.1:9"}
    result = run_cli("--profile", "p", "list", "workflows", env=env)
    assert result.returncode == 2
    assert message in result.stderr
    if "keys" in message:
        assert "SeCrEtVaLuE" not in result.stderr + result.stdout


def test_a_missing_named_config_file_is_an_error(tmp_path: Path) -> None:
    args = build_parser().parse_args(["--profile", "x", "list", "workflows"])
    with pytest.raises(ConfigError, match="not found"):
        resolve(args, {"OBS_WORKFLOW_CONFIG": str(tmp_path / "none")})


def test_a_profile_points_the_cli_at_the_server(
    obs_fake_server: FakeWorkflowServer, tmp_path: Path
) -> None:
    env: dict[str, str | None] = {
        **server_env(obs_fake_server, with_url=False),
        **_config(tmp_path, f"[fake]\nserver = {obs_fake_server.url}\nmax-retries = 0\n"),
        "OBS_WORKFLOW_PROFILE": "fake",
    }
    result = run_cli("start", "g", "--bucket", "media", "--object", "a", env=env)
    assert result.returncode == 0, result.stderr
    assert len(obs_fake_server.store.executions) == 1


def _closed_pipe_run(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    """``obs-workflow ARGV | reader`` where the reader closed before reading."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-m", "obs_workflow_async", *argv],
            stdout=write,
            stderr=subprocess.PIPE,
            env={**os.environ, **env},
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)


def test_a_closed_pipe_exits_141_without_a_traceback(
    obs_fake_server: FakeWorkflowServer,
) -> None:
    env = {k: v for k, v in server_env(obs_fake_server).items() if v is not None}
    assert run_cli("start", "g", "--bucket", "media", "--object", "a", env=env).returncode == 0
    for argv in (("list", "executions", "g"), ("completion", "bash"), ("--help",)):
        done = _closed_pipe_run(*argv, env=env)
        assert done.stderr == b"", (argv, done.stderr)
        # argparse's --help on 3.11+ drops the broken pipe itself (0); on 3.10 it reaches
        # the command line's own handler (141)
        assert done.returncode in ((0, 141) if argv == ("--help",) else (141,)), argv


def test_head_minus_one_reads_one_line_and_the_cli_stops_quietly(
    obs_fake_server: FakeWorkflowServer,
) -> None:
    env = {k: v for k, v in server_env(obs_fake_server).items() if v is not None}
    for key in ("a", "b", "c"):
        assert run_cli("start", "g", "--bucket", "media", "--object", key, env=env).returncode == 0
    shell = f"{sys.executable} -m obs_workflow_async list executions g | head -1"
    done = subprocess.run(
        ["bash", "-c", shell + '; echo "status=${PIPESTATUS[0]}" >&2'],
        capture_output=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )
    assert len(done.stdout.splitlines()) == 1
    assert b"Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] in (b"status=0", b"status=141")


def test_a_resume_hint_repeats_only_what_the_command_line_gave(tmp_path: Path) -> None:
    env = {
        **_config(tmp_path, "[p]\napi = v3\nproject-id = p1\n"),
        "OBS_SERVER": "https://from-env.example",
    }
    argv = ["--profile", "p", "--region", "r", "start-many", "g", "--manifest", "m"]
    args = build_parser().parse_args(argv)
    resolve(args, env)
    assert (args.api, args.server, args.project_id) == ("v3", "https://from-env.example", "p1")
    assert connection_words(args) == ["--region", "r", "--profile", "p"]
