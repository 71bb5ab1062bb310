"""README examples that must match what the commands really print (issue 11: a new user was
misled by examples naming files that did not exist or showing other output)."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from mockserver.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = "\n".join(
    p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
)


def _block_after(command: str) -> str:
    """The lines the README shows after ``$ command``, up to the end of its code block."""
    match = re.search(re.escape(f"$ {command}") + r"\n(.*?)\n```", README, re.S)
    assert match, f"the README shows no `$ {command}`"
    return match.group(1)


def test_validate_example_is_the_real_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """Check that `mockserver validate examples/broken-list.json` prints what the README shows."""
    monkeypatch.chdir(ROOT)
    out, err = io.StringIO(), io.StringIO()
    code = main(["validate", os.path.join("examples", "broken-list.json")], out=out, err=err)
    assert code == 1
    assert (out.getvalue() + err.getvalue()).strip() == _block_after(
        "mockserver validate examples/broken-list.json"
    )
