"""The honest-measurement pieces of ``benchmarks/harness.py``: every figure measured over
rounds is printed as its median with the spread (never the best round), ratios are
taken round by round, and the configurations alternate their order."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest


def _harness() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "harness.py"
    spec = importlib.util.spec_from_file_location("_bench_harness_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


harness = _harness()


def test_spread_is_the_median_with_min_and_max_never_the_best() -> None:
    assert harness.spread([1.61, 1.07, 1.30], ".2f", "x") == "1.30x (1.07-1.61x)"
    assert harness.spread([13000, 11000, 12345], ",.0f") == "12,345 (11,000-13,000)"
    # an even count: the median is the mean of the middle two, not a measured round
    assert harness.spread([1.0, 2.0, 3.0, 10.0]) == "2.5 (1.0-10.0)"
    assert harness.spread([-3.0, -1.0, 2.0]) == "-1.0 (-3.0 to 2.0)"
    assert harness.spread([]) == "-"


def test_ratios_pair_the_rounds_and_refuse_unequal_counts() -> None:
    assert harness.ratios([2.0, 3.0], [1.0, 2.0]) == [2.0, 1.5]
    with pytest.raises(ValueError):
        harness.ratios([1.0, 2.0], [1.0])


def test_round_order_alternates() -> None:
    configs = ["a", "b", "c"]
    assert [harness.round_order(configs, n) for n in range(3)] == [
        ["a", "b", "c"],
        ["c", "b", "a"],
        ["a", "b", "c"],
    ]


def test_conditions_name_the_load_at_start_and_end_the_cpus_and_python() -> None:
    conditions = harness.Conditions()
    conditions.end()
    text = conditions.text()
    load = r"\d+\.\d\d \d+\.\d\d \d+\.\d\d"
    assert re.fullmatch(
        rf"load average \(1/5/15 min\) {load} at start, {load} at end; "
        r"\d+ CPUs; Python \d+\.\d+\.\d+\S*",
        text,
    ), text


def test_an_overflowing_cell_is_never_glued_to_its_neighbour(
    capsys: pytest.CaptureFixture[str],
) -> None:
    harness.print_table(
        [("name", "client", 6), ("cpu", "CPU", 5), ("ratio", "ratio", 4)],
        [{"name": "x", "cpu": "1,708 (1,580-2,064)", "ratio": "2.63x (2.52-3.20x)"}],
    )
    header, _, row = capsys.readouterr().out.splitlines()
    assert header.split() == ["client", "CPU", "ratio"]
    assert row.split() == ["x", "1,708", "(1,580-2,064)", "2.63x", "(2.52-3.20x)"]
