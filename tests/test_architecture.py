"""The layering in ARCHITECTURE.md, enforced by scanning imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PURE = ("rack", "ruby", "rubydate", "postgres", "rows", "predicates", "query", "index", "routing",
        "auth", "model", "errors")
PURE_ALLOWED_THIRD_PARTY: set[str] = set()


def _imports(path: Path) -> set[str]:
    """Absolute module names imported by a file (relative imports resolved in its package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = path.parent.name
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package
                found.add(f"{base}.{node.module}" if node.module else base)
                if not node.module:
                    found.update(f"{base}.{a.name}" for a in node.names)
            elif node.module:
                found.add(node.module)
    return found


def test_contract_tests_import_nothing_from_mockserver() -> None:
    """Check that contract_tests/ never imports the mock it is meant to check."""
    offenders = {
        str(p.relative_to(ROOT)): sorted(i for i in _imports(p) if i.split(".")[0] == "mockserver")
        for p in (ROOT / "contract_tests").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_do_no_io(module: str) -> None:
    """Check that the pure core imports neither aiohttp nor the higher layers."""
    imported = _imports(ROOT / "mockserver" / f"{module}.py")
    third_party = {i.split(".")[0] for i in imported} - {"mockserver", "__future__"}
    assert not third_party & {"aiohttp", "orjson", "faker", "jsonschema", "yarl"}
    higher = {i for i in imported if i.startswith("mockserver.")} - {
        f"mockserver.{m}" for m in PURE}
    assert higher == set()


def test_nothing_imports_cli_or_plugin() -> None:
    """Check that cli and pytest_plugin sit at the top: no module imports them."""
    for path in (ROOT / "mockserver").glob("*.py"):
        if path.stem in ("cli", "__main__", "pytest_plugin"):
            continue
        imported = _imports(path)
        assert "mockserver.cli" not in imported, path.name
        assert "mockserver.pytest_plugin" not in imported, path.name
