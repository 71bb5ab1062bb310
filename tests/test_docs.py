"""The README's reference sections are rendered from the model and must stay in sync."""

from __future__ import annotations

from pathlib import Path

from mockserver.docs import filters_markdown, replace_section, stacks_section
from mockserver.model import FILTERS

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_filter_table_is_current() -> None:
    """Check that README's filter section equals the model's (run python -m mockserver.docs)."""
    text = README.read_text(encoding="utf-8")
    assert replace_section(text, "filters", filters_markdown()) == text


def test_every_filter_is_documented() -> None:
    """Check that each documented filter name appears in the README with its Ransack note."""
    text = README.read_text(encoding="utf-8")
    for f in FILTERS:
        assert f"`{f.name}`" in text and f.ransack in text


def test_readme_stack_generations_are_current() -> None:
    """Check that README's generation tables equal mockserver/stacks.py (run python -m mockserver.docs)."""
    text = README.read_text(encoding="utf-8")
    assert replace_section(text, "stacks", stacks_section()) == text
