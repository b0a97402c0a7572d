"""Turning the library's logging on without code: ``OBS_WORKFLOW_LOG=debug``.

The library logs to the ``obs_workflow_async`` logger and never configures logging
by itself, except when the ``OBS_WORKFLOW_LOG`` environment variable asks it to:
``debug``, ``info`` or ``warning`` (read when a client is created, never at import)
sets that logger's level and, if it has no handler yet, adds one that writes to
stderr. Records carry structured fields (``extra``) for JSON formatters:
``operation``, ``graph_name``, ``method``, ``attempt`` and, when known, ``status``,
``request_id``, ``elapsed`` (seconds), ``delay``, ``error``, ``request_sent``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

__all__ = ["ENV_LOG", "LOGGER_NAME", "configure_from_env"]

ENV_LOG = "OBS_WORKFLOW_LOG"
LOGGER_NAME = "obs_workflow_async"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _EnvHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler added by ``OBS_WORKFLOW_LOG`` (recognised so it is added once)."""


def configure_from_env(environ: Mapping[str, str] | None = None) -> int | None:
    """Apply ``OBS_WORKFLOW_LOG`` if set; return the level applied (or ``None``)."""
    env = os.environ if environ is None else environ
    value = env.get(ENV_LOG, "").strip().lower()
    if not value:
        return None
    level = _LEVELS.get(value)
    if level is None:
        logging.getLogger(LOGGER_NAME).warning(
            "%s=%r is not one of %s; ignored", ENV_LOG, value, ", ".join(_LEVELS)
        )
        return None
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(level)
    if not any(isinstance(h, _EnvHandler) for h in logger.handlers):
        handler = _EnvHandler()
        handler.setFormatter(logging.Formatter(_FORMAT))
        logger.addHandler(handler)
    return level
