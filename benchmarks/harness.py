"""Shared benchmark plumbing: the fake server in its own process, one fresh process
per measured configuration, and a table printer."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from typing import Any


class ServerProcess:
    """``python -m obs_workflow_async.testing`` with optional fault injection."""

    def __init__(self, *extra: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "obs_workflow_async.testing", "--stop-on-stdin-eof", *extra],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url, self.ak, self.sk = self.process.stdout.readline().split()

    def stop(self) -> dict[str, Any]:
        """Stop the server; return its summary (executions, duplicated objects, calls)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        out = self.process.stdout.read()
        self.process.wait(timeout=30)
        lines = out.strip().splitlines()
        return json.loads(lines[-1]) if lines else {}


def run_worker(script: str, args: Sequence[str]) -> dict[str, Any]:
    """Run ``script --worker ...`` in a fresh interpreter; it prints one JSON line."""
    done = subprocess.run(
        [sys.executable, script, *args], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def print_table(columns: Sequence[tuple[str, str, int]], rows: Sequence[dict[str, Any]]) -> None:
    """``columns``: (key, title, width); values formatted with thousands separators."""
    header = "".join(
        f"{title:>{width}}" if i else f"{title:<{width}}"
        for i, (_, title, width) in enumerate(columns)
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        cells = []
        for i, (key, _, width) in enumerate(columns):
            value = row.get(key, "-")
            text = (
                f"{value:,.1f}"
                if isinstance(value, float)
                else (f"{value:,}" if isinstance(value, int) else str(value))
            )
            cells.append(f"{text:>{width}}" if i else f"{text:<{width}}")
        print("".join(cells))
