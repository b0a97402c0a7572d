"""Reading a ``start-many`` results file in tests, whatever its format: format 1 (a
``sending`` line and an outcome line per item) or format 2 (a format line per run, a
``sending`` batch line for several items, an outcome line per item)."""

from __future__ import annotations

import json
from pathlib import Path

from obs_workflow_async.cli.settle_file import item_records


def item_lines(path: Path) -> list[dict[str, object]]:
    """Every complete line as the per-item records it stands for, in file order (a
    batch line gives one record per item; a format line none)."""
    found: list[dict[str, object]] = []
    for line in path.read_text(errors="surrogateescape").splitlines():
        if line.strip():
            records = item_records(json.loads(line))
            assert records is not None, line
            found.extend(record for _, record in records)
    return found


def last_statuses(path: Path) -> dict[int, str]:
    """The last status per item index."""
    return {int(str(r["index"])): str(r["status"]) for r in item_lines(path)}
