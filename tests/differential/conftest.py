"""The official SDK is the oracle here; skip cleanly if it is not installed."""

from __future__ import annotations

import pytest

pytest.importorskip("obs", reason="esdk-obs-python (the differential oracle) is not installed")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.differential)
