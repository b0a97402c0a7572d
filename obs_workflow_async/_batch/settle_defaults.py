"""The settle defaults, in a module of their own: the clients' signatures need them at
import time, the settle engine only when a settle runs (issue 20: start-up cost)."""

from __future__ import annotations

__all__ = ["DEFAULT_MARGIN", "DEFAULT_SETTLE_DELAY"]

DEFAULT_MARGIN = 5.0
"""Seconds added on both sides of every window, in the service's clock."""
DEFAULT_SETTLE_DELAY = 30.0
"""Seconds a listing may lag behind the starts it should show: a listing proves
"not started" only if it began at least this long after the item's ``until``."""
