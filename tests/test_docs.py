"""The docs' reference sections are rendered from the model and must stay in sync."""

from __future__ import annotations

from pathlib import Path

from mockserver.docs import filters_markdown, replace_section, stacks_section
from mockserver.model import FILTERS

DOCS = Path(__file__).resolve().parents[1] / "docs"
FILTERS_PAGE = DOCS / "mock" / "filters.md"
STACKS_PAGE = DOCS / "mock" / "stack-generations.md"


def test_readme_filter_table_is_current() -> None:
    """Check that the filters page equals the model's (run python -m mockserver.docs)."""
    text = FILTERS_PAGE.read_text(encoding="utf-8")
    assert replace_section(text, "filters", filters_markdown()) == text


def test_every_filter_is_documented() -> None:
    """Check that each documented filter name appears in the filters page with its Ransack note."""
    text = FILTERS_PAGE.read_text(encoding="utf-8")
    for f in FILTERS:
        assert f"`{f.name}`" in text and f.ransack in text


def test_readme_stack_generations_are_current() -> None:
    """Check that the generation tables equal mockserver/stacks.py (run python -m mockserver.docs)."""
    text = STACKS_PAGE.read_text(encoding="utf-8")
    assert replace_section(text, "stacks", stacks_section()) == text


def test_api_revisions_table_is_current() -> None:
    """Check that the revisions page's table equals mockserver/revisions.py (python -m mockserver.docs)."""
    from mockserver.revisions import revisions_markdown

    text = (DOCS / "mock" / "api-revisions.md").read_text(encoding="utf-8")
    assert replace_section(text, "revisions", revisions_markdown()) == text
