"""The docs' reference sections are rendered from the model and must stay in sync."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mockserver.docs import filters_markdown, replace_section, stacks_section
from mockserver.model import FILTERS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
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


def _mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    # Not -q: mkdocs counts the warnings that --strict turns into failures only when it logs them.
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)


def _need_mkdocs() -> None:
    """The [docs] extra is optional locally; CI installs it (.ci/run), so there it must be present."""
    if os.environ.get("CI"):
        import mkdocs  # noqa: F401  (CI installs the [docs] extra: a missing one is a failure, not a skip)
    else:
        pytest.importorskip("mkdocs", reason="the [docs] extra is not installed (make docs installs it)")


@pytest.mark.process
def test_the_site_builds_in_strict_mode(tmp_path: Path) -> None:
    """Check that `mkdocs build --strict` passes: every page in the navigation, no broken link or anchor."""
    _need_mkdocs()
    result = _mkdocs_build(ROOT / "mkdocs.yml", tmp_path / "site")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "mock" / "filters" / "index.html").is_file()


@pytest.mark.process
def test_a_broken_link_fails_the_strict_build(tmp_path: Path) -> None:
    """Check that the strict build really fails on a link to a missing anchor (the check above can fail)."""
    _need_mkdocs()
    shutil.copytree(DOCS, tmp_path / "docs")
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    page = tmp_path / "docs" / "security.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nSee [nowhere](control-api.md#no-such-section).\n")
    result = _mkdocs_build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert result.returncode != 0
    assert "no-such-section" in result.stdout + result.stderr


def test_the_cli_reference_names_every_command_and_serve_flag() -> None:
    """Check that docs/reference/cli.md lists each subcommand and each of serve's flags."""
    from mockserver.cli import build_parser

    text = (DOCS / "reference" / "cli.md").read_text(encoding="utf-8")
    parser = build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert {name for name in commands.choices if f"`mockserver {name}" not in text} == set()
    serve = commands.choices["serve"]
    flags = {s for a in serve._actions for s in a.option_strings if s.startswith("--") and s != "--help"}
    assert {flag for flag in flags if f"`{flag}" not in text} == set()
