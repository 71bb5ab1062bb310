"""``python -m benchmarks.inprocess``, the command docs/performance.md cites for a new search's CPU cost."""

from __future__ import annotations

import re

import pytest

from benchmarks.inprocess import main


def test_inprocess_prints_the_cost_of_each_step(capsys: pytest.CaptureFixture[str]) -> None:
    """Check the command runs the handler and each engine step and prints a positive cost each."""
    assert main(["--kind", "cont", "--batch", "10"]) == 0
    line = capsys.readouterr().out.strip()
    found = dict(re.findall(r"(request|parse|compile|search) ([0-9.]+)", line))
    assert line.startswith("cont distinct over 1,000 records") and set(found) == {
        "request",
        "parse",
        "compile",
        "search",
    }
    assert all(float(v) > 0 for v in found.values())
