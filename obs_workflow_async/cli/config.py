"""Where the connection options come from: the command line, then an environment
variable, then a profile of the config file, then the built-in default.

:data:`CONNECTION_OPTIONS` is the one table of them (the parser, the shell
completion and ``docs/cli.md`` are built from it). :func:`resolve` fills in what the
command line left out; it is called by :func:`obs_workflow_async.cli.main` with the
process environment, never at import.

The config file (``$OBS_WORKFLOW_CONFIG``, else ``$XDG_CONFIG_HOME/obs-workflow/config``,
else ``~/.config/obs-workflow/config``) is INI: one section per profile, keys the
long option names (``server = https://...``, ``project-id = ...``). ``--profile NAME``
(or ``$OBS_WORKFLOW_PROFILE``) picks a section; without either, the section
``default`` is used when the file has one. Keys never come from the file: a profile
names where they come from (``credentials = env|chain|ecs|oidc``); a key-like entry
is refused, without echoing its value.
"""

from __future__ import annotations

import argparse
import configparser
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..credentials import ECS_ENDPOINT

__all__ = [
    "CONNECTION_OPTIONS",
    "CONFIG_ENV",
    "PROFILE_ENV",
    "ConfigError",
    "ConnectionOption",
    "config_path",
    "resolve",
]

CONFIG_ENV = "OBS_WORKFLOW_CONFIG"
PROFILE_ENV = "OBS_WORKFLOW_PROFILE"
DEFAULT_PROFILE = "default"


class ConfigError(Exception):
    """The environment or the config file gives an unusable value (exit 2)."""


@dataclass(frozen=True)
class ConnectionOption:
    """One option every command that talks to the service takes."""

    flag: str
    env: str
    default: object
    help: str
    type: Callable[[str], object] = str
    choices: tuple[str, ...] | None = None
    metavar: str | None = None
    short: str | None = None

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")

    @property
    def key(self) -> str:
        """The key in a config-file profile."""
        return self.flag.lstrip("-")

    def shown_default(self) -> str:
        return "none" if self.default is None else f"{self.default}"


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


CONNECTION_OPTIONS: tuple[ConnectionOption, ...] = (
    ConnectionOption(
        "--server",
        "OBS_SERVER",
        None,
        "endpoint URL or host (HTTPS assumed for a host)",
        metavar="URL",
    ),
    ConnectionOption(
        "--api",
        "OBS_WORKFLOW_API",
        "v2",
        "v2: the OBS-hosted workflow API; v3: DWR v3 (every command; --server "
        "optional with --region, --project-id or discovery through IAM)",
        choices=("v2", "v3"),
    ),
    ConnectionOption(
        "--region",
        "OBS_WORKFLOW_REGION",
        None,
        "region (for --signature v4, and the DWR v3 endpoint)",
        metavar="REGION",
    ),
    ConnectionOption(
        "--project-id",
        "OBS_WORKFLOW_PROJECT_ID",
        None,
        "DWR v3 project id; none: discovered through IAM",
        metavar="ID",
    ),
    ConnectionOption(
        "--signature",
        "OBS_WORKFLOW_SIGNATURE",
        "obs",
        "request signing: obs (OBS native), v2 or v4 (S3-compatible)",
        choices=("obs", "v2", "v4"),
    ),
    ConnectionOption(
        "--credentials",
        "OBS_WORKFLOW_CREDENTIALS",
        "env",
        "where keys come from: env (OBS_ACCESS_KEY_ID/OBS_SECRET_ACCESS_KEY), ecs (instance "
        "metadata), oidc (HUAWEI_CLOUD_IDP_ID), chain (env, then ecs, then oidc)",
        choices=("env", "chain", "ecs", "oidc"),
    ),
    ConnectionOption(
        "--ecs-endpoint",
        "OBS_ECS_METADATA_ENDPOINT",
        ECS_ENDPOINT,
        "instance metadata endpoint for --credentials ecs or chain",
        metavar="URL",
    ),
    ConnectionOption(
        "--request-timeout",
        "OBS_WORKFLOW_REQUEST_TIMEOUT",
        60.0,
        "seconds per attempt",
        type=float,
        metavar="S",
    ),
    ConnectionOption(
        "--max-retries",
        "OBS_WORKFLOW_MAX_RETRIES",
        3,
        "retries of a call that is safe to retry",
        type=_count,
        metavar="N",
    ),
    ConnectionOption(
        "--verbose",
        "OBS_WORKFLOW_VERBOSE",
        0,
        "log to stderr: -v INFO, -vv DEBUG (env/profile: the count, 1 or 2)",
        type=_count,
        short="-v",
    ),
)
"""The connection options, in the order ``--help`` shows them."""

PROFILE_HELP = (
    f"profile (section) of the config file to use (env: {PROFILE_ENV}; default: the "
    f"section '{DEFAULT_PROFILE}' when the file has one)"
)

_SECRET = re.compile(r"secret|access[-_]?key|token|password|passwd|\bak\b|\bsk\b", re.IGNORECASE)


def config_path(environ: Mapping[str, str]) -> Path:
    """The config file: ``$OBS_WORKFLOW_CONFIG``, else under ``$XDG_CONFIG_HOME`` (else
    ``~/.config``)."""
    explicit = environ.get(CONFIG_ENV)
    if explicit:
        return Path(explicit).expanduser()
    base = environ.get("XDG_CONFIG_HOME") or str(Path("~/.config").expanduser())
    return Path(base) / "obs-workflow" / "config"


def _convert(option: ConnectionOption, text: str, source: str) -> object:
    value = text.strip()
    if option.choices is not None and value not in option.choices:
        raise ConfigError(
            f"{source}: invalid value {value!r} for {option.flag} "
            f"(choose from {', '.join(option.choices)})"
        )
    try:
        return option.type(value)
    except ValueError:
        raise ConfigError(f"{source}: invalid value {value!r} for {option.flag}") from None


def _profile(environ: Mapping[str, str], name: str | None) -> tuple[dict[str, str], str]:
    """The entries of the chosen profile (empty without a file or a ``default``), and
    where they come from (for messages)."""
    path = config_path(environ)
    explicit = name is not None
    section = name if name is not None else DEFAULT_PROFILE
    if not path.is_file():
        if explicit or environ.get(CONFIG_ENV):
            raise ConfigError(f"config file {path} not found (profile {section!r})")
        return {}, ""
    parser = configparser.ConfigParser(interpolation=None, default_section="\0none")
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as error:
        raise ConfigError(f"config file {path} cannot be read: {type(error).__name__}") from None
    if not parser.has_section(section):
        if explicit:
            known = ", ".join(parser.sections()) or "none"
            raise ConfigError(f"profile {section!r} not in {path} (profiles: {known})")
        return {}, ""
    return dict(parser.items(section)), f"profile {section!r} in {path}"


def _check_keys(entries: Mapping[str, str], where: str) -> dict[str, ConnectionOption]:
    by_key = {option.key: option for option in CONNECTION_OPTIONS}
    by_key.update({option.dest: option for option in CONNECTION_OPTIONS})
    secrets = sorted(key for key in entries if _SECRET.search(key))
    if secrets:  # never echo the values
        raise ConfigError(
            f"{where} holds {', '.join(secrets)}: keys are not read from the config file; "
            "set credentials = env|chain|ecs|oidc there and keep the keys in the "
            "environment, the instance metadata or OIDC"
        )
    unknown = sorted(key for key in entries if key not in by_key)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {', '.join(unknown)} (known: "
            f"{', '.join(option.key for option in CONNECTION_OPTIONS)})"
        )
    return by_key


def resolve(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """Fill each connection option the command line left out (``None``) from
    ``environ``, then the profile, then the default: flag > env > profile > default.
    ``args.from_command_line``: the ones the command line gave (a resume hint repeats
    those only)."""
    name = getattr(args, "profile", None) or environ.get(PROFILE_ENV) or None
    entries, where = _profile(environ, name)
    by_key = _check_keys(entries, where)
    from_profile = {by_key[key].dest: value for key, value in entries.items()}
    args.from_command_line = frozenset(
        option.dest for option in CONNECTION_OPTIONS if getattr(args, option.dest, None) is not None
    )
    for option in CONNECTION_OPTIONS:
        if getattr(args, option.dest, None) is not None:
            continue
        value: object = option.default
        text = environ.get(option.env)
        if text:
            value = _convert(option, text, f"${option.env}")
        elif option.dest in from_profile:
            value = _convert(option, from_profile[option.dest], where)
        setattr(args, option.dest, value)
