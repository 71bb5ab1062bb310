"""``schemas/stacks.json``: the contract suite's copy of the generation table stays in sync."""

from __future__ import annotations

import json
from pathlib import Path

from mockserver.resources import schemas_dir
from mockserver.schemas import STACKS_FILE, build_stacks_data, render_schema, write_stacks_file
from mockserver.stacks import STACKS

REGENERATE = "python -c 'from mockserver.schemas import write_stacks_file; write_stacks_file(\"schemas\")'"


def test_committed_stacks_file_equals_build() -> None:
    """Check that schemas/stacks.json cannot drift from mockserver/stacks.py."""
    committed = (schemas_dir() / STACKS_FILE).read_text(encoding="utf-8")
    assert committed == render_schema(build_stacks_data()), f"stale: regenerate with {REGENERATE}"


def test_stacks_file_lists_every_generation_and_its_quirks(tmp_path: Path) -> None:
    """Check that the written file names each generation with exactly its quirks, default first."""
    data = json.loads(write_stacks_file(tmp_path).read_text(encoding="utf-8"))
    assert [s["name"] for s in data["stacks"]] == [s.name for s in STACKS]
    assert data["default"] == STACKS[0].name
    for entry, stack in zip(data["stacks"], STACKS, strict=True):
        assert set(entry["quirks"]) == {str(q) for q in stack.quirks} <= set(data["quirks"])
