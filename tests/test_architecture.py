"""The layering in ARCHITECTURE.md, enforced by folder: what may import what."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "mockserver"
# What the pure engine may import from the package besides itself.
ENGINE_MAY_IMPORT = {"mockserver.model", "mockserver.errors", "mockserver.stacks", "mockserver.revisions"}
# Modules whose import would make the engine do I/O, read a clock or the environment.
ENGINE_FORBIDDEN_STDLIB = {"os", "socket", "asyncio", "subprocess", "time", "pathlib", "io", "logging"}
TOP_ONLY = {"mockserver.cli", "mockserver.pytest_plugin"}


def _imports(path: Path) -> set[str]:
    """Absolute module names imported by a file (relative imports resolved in its package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(parts[: len(parts) - node.level])
                module = f"{base}.{node.module}" if node.module else base
                found.add(module)
                found.update(f"{module}.{a.name}" for a in node.names)
            elif node.module:
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def _modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py")) if folder else sorted(PACKAGE.rglob("*.py"))


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


def _internal(imported: set[str]) -> set[str]:
    return {i for i in imported if i == "mockserver" or i.startswith("mockserver.")}


def test_contract_tests_import_nothing_from_mockserver() -> None:
    """Check that contract_tests/ never imports the mock it is meant to check."""
    offenders = {
        str(p.relative_to(ROOT)): sorted(_internal(_imports(p)))
        for p in (ROOT / "contract_tests").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


SUITE_NAMES = ("contract_tests", "mockserver_contract_suite")


@pytest.mark.parametrize("path", _modules(""), ids=_ids(_modules("")))
def test_the_suite_is_reached_only_through_tools_suite(path: Path) -> None:
    """Check that no module imports the contract suite by name: the tools that share its
    modules (probe runs its fingerprint) load it through tools/suite.py, by path."""
    imported = {i.split(".")[0] for i in _imports(path)}
    assert imported & set(SUITE_NAMES) == set()


def test_benchmarks_import_nothing_from_the_tests() -> None:
    """Check that benchmarks/ does not depend on the test tree (the spawn helper is mockserver.spawning)."""
    offenders = {
        str(p.relative_to(ROOT)): sorted(i for i in _imports(p) if i == "tests" or i.startswith("tests."))
        for p in (ROOT / "benchmarks").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize("path", _modules("engine"), ids=_ids(_modules("engine")))
def test_engine_is_pure(path: Path) -> None:
    """Check that the engine imports only the stdlib (no I/O modules), model, errors and itself."""
    imported = _imports(path)
    internal = {i for i in _internal(imported) if not i.startswith("mockserver.engine")}
    # `from mockserver.model import X` also records mockserver.model.X: keep the module part
    outside = {i for i in internal if not any(i == m or i.startswith(m + ".") for m in ENGINE_MAY_IMPORT)}
    assert outside == set()
    third_party = {i.split(".")[0] for i in imported} - {"mockserver", "__future__"}
    assert third_party <= set(sys.stdlib_module_names), third_party - set(sys.stdlib_module_names)
    assert third_party & ENGINE_FORBIDDEN_STDLIB == set()


@pytest.mark.parametrize("path", _modules("server"), ids=_ids(_modules("server")))
def test_server_never_imports_tools(path: Path) -> None:
    """Check that the server layer does not reach up into tools/."""
    assert {i for i in _imports(path) if i.startswith("mockserver.tools")} == set()


@pytest.mark.parametrize("path", _modules(""), ids=_ids(_modules("")))
def test_only_cli_imports_tools_and_nothing_imports_cli_or_plugin(path: Path) -> None:
    """Check that tools/ is reached only through cli (or from inside tools/), and cli/plugin sit on top."""
    rel = path.relative_to(PACKAGE)
    imported = _imports(path)
    if rel.parts[0] != "tools" and rel.stem not in ("cli",):
        assert {i for i in imported if i.startswith("mockserver.tools")} == set()
    if rel.stem not in ("__main__",):
        assert {i for i in imported if any(i == t or i.startswith(t + ".") for t in TOP_ONLY)} == set()


def test_layer_folders_exist() -> None:
    """Check that the folders exist as ARCHITECTURE.md draws them."""
    for folder in ("engine", "server", "tools"):
        assert (PACKAGE / folder / "__init__.py").is_file(), folder


def test_the_tree_names_every_module() -> None:
    """Check that ARCHITECTURE.md's tree names every module of the package, so it stays true."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    tree = text[text.index("## The tree") : text.index("## Import rules")]
    words = set(re.findall(r"[a-z_]+", tree))
    modules = {p.stem for p in PACKAGE.rglob("*.py") if p.stem not in ("__init__", "__main__")}
    assert modules - words == set()


ENGINE_CACHES = {
    # pure functions over small, bounded domains: collation weights of the data's texts
    "postgres._table",
    "postgres._ascii_tables",
    "predicates._collate",
    # a parameter name's split into attribute and predicate (<= 256 characters, a bounded
    # number of entries): the key splitting the issue names as a pure, bounded domain
    "predicates._split_key_cached",
}


def test_the_engine_keeps_no_request_keyed_cache() -> None:
    """Check that the engine's module-level caches are the known pure ones: what is keyed by a
    request's path, query, token or Accept lives in the server's memo (``--memo-mb 0`` off)."""
    import functools
    import importlib
    import pkgutil

    import mockserver.engine

    found = set()
    for info in pkgutil.iter_modules(mockserver.engine.__path__):
        module = importlib.import_module(f"mockserver.engine.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, functools._lru_cache_wrapper):
                found.add(f"{info.name}.{name}")
    assert found == ENGINE_CACHES
