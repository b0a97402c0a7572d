"""MkDocs hook: the docs build fails on a docstring cross-reference that points nowhere.

The roles are rendered as inline code (``sphinx_roles.py``), which resolves nothing;
this runs the check of ``tests/unit/test_docstring_references.py`` (each target
resolved by import) before the build, and stops it naming every broken reference,
except those of the files that test marks as being rewritten (``IN_FLIGHT``) and of
the ``:param options:`` paragraph, which it reports on its own.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "tests" / "unit" / "test_docstring_references.py"
log = logging.getLogger(f"mkdocs.hooks.{__name__}")


def on_pre_build(config: Any, **kwargs: Any) -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    spec = importlib.util.spec_from_file_location("_docstring_references", CHECK)
    assert spec is not None and spec.loader is not None
    check = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = check  # its dataclasses look their module up
    spec.loader.exec_module(check)
    unresolved = check.unresolved()
    pending = [r for r in unresolved if r.file in check.IN_FLIGHT or r.in_options_paragraph]
    broken = [r for r in unresolved if r not in pending]
    if pending:
        log.info("%d docstring references in files being rewritten (IN_FLIGHT)", len(pending))
    if broken:
        raise PluginError(
            f"{len(broken)} docstring references point nowhere:\n"
            + "\n".join(f"  {r}" for r in broken)
        )
