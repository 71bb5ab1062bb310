"""What ``pip install learninglogin-mockserver`` brings: the serve path and the tools without a
test runner; pytest and hypothesis only with the ``contract`` extra (issue 11, slim installs)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from mockserver.cli import main
from mockserver.tools.contract import suite_dir

from .broken_mock import running

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
TEST_ONLY = {"pytest", "hypothesis"}


def _names(requirements: list[str]) -> set[str]:
    """Distribution names of PEP 508 requirements, lower-cased, without versions or markers."""
    out = set()
    for requirement in requirements:
        name = requirement.split(";")[0].split("[")[0]
        for stop in "<>=!~ ":
            name = name.split(stop)[0]
        out.add(name.strip().lower())
    return out


def test_base_install_has_no_test_runner() -> None:
    """Check that the base dependencies leave out pytest and hypothesis, which come with [contract]."""
    assert _names(PROJECT["dependencies"]) & TEST_ONLY == set()
    extras = PROJECT["optional-dependencies"]
    assert _names(extras["contract"]) >= TEST_ONLY
    assert "learninglogin-mockserver[contract]" in extras["dev"]  # the repo's own tests need it


# Run in a child interpreter where importing pytest or hypothesis fails, as in a plain install.
_BLOCKED = """
import importlib.abc, io, json, sys

class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("pytest", "_pytest", "hypothesis"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Blocker())
import importlib.util
importlib.util.find_spec = (lambda real: lambda name, *a: None if name.split(".")[0] in
    ("pytest", "hypothesis") else real(name, *a))(importlib.util.find_spec)

from mockserver import cli
from mockserver.server.app import create_app
from mockserver.settings import build_settings

cli.build_parser()  # imports every subcommand's module: serve, generate, validate, probe, ...
from mockserver.tools import fingerprint
fingerprint.rank([])  # probe's ranking loads the contract suite's generation module
settings = build_settings({"port": 0})
create_app(settings, cli.load_store(settings))
err = io.StringIO()
code = cli.main(["contract", "http://127.0.0.1:9/api/train_sessions"], err=err)
leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("pytest", "_pytest", "hypothesis"))
print(json.dumps([code, leaked, err.getvalue()]))
"""


@pytest.mark.process
def test_serve_path_and_tools_import_without_pytest_or_hypothesis() -> None:
    """Check that every subcommand loads and the app starts with pytest and hypothesis
    unimportable, and that `contract` then names the extra in one line and exits 2."""
    done = subprocess.run(
        [sys.executable, "-c", _BLOCKED], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.splitlines()[-1]) == [
        2,
        [],
        "mockserver: error: the contract suite needs pytest and hypothesis: "
        "pip install 'learninglogin-mockserver[contract]'\n",
    ]


@pytest.mark.process
@pytest.mark.slow
def test_contract_writes_relative_to_the_callers_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check that `mockserver contract URL --junitxml=x.xml` writes x.xml where the caller
    stands, not beside the installed suite."""
    monkeypatch.chdir(tmp_path)
    with running("none") as url:
        code = main(["contract", url, "-q", "-k", "missing_token", "-p", "no:xdist", "--junitxml=x.xml"])
    assert code == 0
    assert (tmp_path / "x.xml").is_file()
    assert not (suite_dir().parent / "x.xml").exists()
    assert not (suite_dir() / "x.xml").exists()
