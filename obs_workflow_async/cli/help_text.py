"""What ``--help`` shows besides the options: the formatter (every option with its
default), the examples of each subcommand and the note that the connection options
are shown once, in ``obs-workflow --help``."""

from __future__ import annotations

import argparse

__all__ = ["CONNECTION_TITLE", "EXAMPLES", "HelpFormatter", "finish_help", "shown_default"]

CONNECTION_TITLE = "connection options (before or after the subcommand)"

EXAMPLES: dict[str, tuple[str, ...]] = {
    "demo": ("obs-workflow demo", "obs-workflow demo --count 1000 --concurrency 128"),
    "start": (
        "obs-workflow start transcode --bucket media --object videos/a.mp4",
        "obs-workflow start transcode --bucket media --object a.mp4 --input preset=hd --wait",
        "NAME=$(obs-workflow start transcode --bucket media --object a.mp4 --quiet)",
    ),
    "get": (
        "obs-workflow get workflow transcode",
        "obs-workflow get execution transcode 0a1b2c3d-...",
    ),
    "list": (
        "obs-workflow list workflows trans",
        "obs-workflow list executions transcode --state failed --limit 20",
        "obs-workflow list executions transcode | head -1",
        "obs-workflow list executions transcode --output table",
        "obs-workflow --api v3 --region cn-north-4 list templates --template-kind public -q",
    ),
    "wait": ("obs-workflow wait transcode 0a1b2c3d-... --timeout 120",),
    "start-many": (
        "obs-workflow start-many transcode --manifest objects.csv --dry-run",
        "obs-workflow start-many transcode --manifest objects.csv --rate 200",
        "obs-workflow start-many transcode --manifest objects.csv "
        "--resume objects.csv.results.jsonl --settle --retry-ambiguous",
        "obs-workflow --api v3 --region cn-north-4 start-many transcode --manifest objects.csv",
    ),
    "settle": ("obs-workflow settle objects.csv.results.jsonl",),
    "restore": ("obs-workflow restore transcode 0a1b2c3d-...",),
    "doctor": (
        "obs-workflow doctor",
        "obs-workflow --api v3 --region cn-north-4 --project-id 0123abcd doctor",
        "obs-workflow doctor --output json",
    ),
    "completion": (
        "obs-workflow completion bash > ~/.local/share/bash-completion/completions/obs-workflow",
        "obs-workflow completion zsh > ~/.zfunc/_obs-workflow",
        "obs-workflow completion fish > ~/.config/fish/completions/obs-workflow.fish",
    ),
}
"""Shown under "examples:" in each subcommand's ``--help``."""

_CONNECTION_NOTE = """\
connection options (--server, --api, --region, --project-id, --signature,
--credentials, --profile, ...) and output options (--output json|text|table,
--quiet) go before or after the subcommand; they, their environment variables and
defaults are listed once, in 'obs-workflow --help'."""

MAIN_EPILOG = """\
precedence: a flag, then its environment variable, then the profile of the config
file ($OBS_WORKFLOW_CONFIG, else $XDG_CONFIG_HOME/obs-workflow/config, else
~/.config/obs-workflow/config; keys the long option names), then the default.

examples:
  obs-workflow --server https://obs.cn-north-4.myhuaweicloud.com list workflows
  obs-workflow --profile prod start transcode --bucket media --object a.mp4 --wait
  obs-workflow completion bash > ~/.local/share/bash-completion/completions/obs-workflow

'obs-workflow COMMAND --help' shows each command's options and examples."""


def shown_default(action: argparse.Action) -> str:
    """How ``--help`` names an option's default."""
    if action.required:
        return "required"
    default = action.default
    if isinstance(action, argparse._StoreTrueAction | argparse._StoreFalseAction):
        return "default: off" if default is False else "default: on"
    if isinstance(action, argparse._AppendAction) or default in (None, []):
        return "default: none"
    return f"default: {default}"


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Epilogs as written; every option's help ends with its default (unless it
    already names one)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if (
            not action.option_strings
            or text == argparse.SUPPRESS
            or "default" in text
            or action.default == argparse.SUPPRESS  # --help, --version
        ):
            return text
        return f"{text} ({shown_default(action).replace('%', '%%')})"


def finish_help(
    parser: argparse.ArgumentParser, sub: argparse._SubParsersAction[argparse.ArgumentParser]
) -> None:
    """The formatter, examples and connection note of every subcommand's help."""
    parser.formatter_class = HelpFormatter
    parser.epilog = MAIN_EPILOG
    for name, command in sub.choices.items():
        command.formatter_class = HelpFormatter
        lines = ["examples:", *(f"  {line}" for line in EXAMPLES.get(name, ()))]
        if name not in ("demo", "completion"):
            lines += ["", _CONNECTION_NOTE]
        command.epilog = "\n".join(lines)
