"""What ``pip install learninglogin-mockserver`` brings: the serve path and the tools without a
test runner, pytest and hypothesis only with the ``contract`` extra; and every command the README
shows, run from a wheel built by its own install lines and installed in a new venv."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from xml.etree import ElementTree

import pytest

from mockserver.cli import main
from mockserver.spawning import MOCK_READY, spawn
from mockserver.tools.contract import suite_dir

from .broken_mock import running
from .doc_examples import ROOT, block_after, client_example, curl, section, shell_commands

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


def _pip(*args: str, cwd: Path) -> None:
    """``pip ARGS`` with the test's own pip, as the README's lines run it."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=900,
    )
    assert done.returncode == 0, f"pip {' '.join(args)}:\n{done.stderr[-3000:]}"


@pytest.mark.process
@pytest.mark.slow
def test_readme_commands_run_from_an_installed_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Check every command the README shows, outside the checkout: its install lines build the
    wheel it names and install it (base, then [contract]) into a new venv; from an empty
    directory the base install refuses `contract` as getting-started shows, then `serve` serves
    the packaged data, the curl line gets what it asks for, `contract` passes and writes
    contract.xml there, and the client test passes against the installed plugin."""
    for name in [n for n in os.environ if n.startswith(("MOCKSERVER_", "PYTEST_", "COV_CORE_"))]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    dist, venv, elsewhere = tmp_path / "dist", tmp_path / "venv", tmp_path / "elsewhere"
    elsewhere.mkdir()

    install = shell_commands(section("Install"))
    assert [argv[:2] for argv in install] == [["pip", "wheel"], ["pip", "install"], ["pip", "install"]]
    wheel_line = next(line for line in section("Install").splitlines() if line.startswith("pip wheel"))
    wheel_name = re.search(r"writes dist/(\S+\.whl)", wheel_line)
    assert wheel_name, wheel_line
    _pip(*[str(dist) if a == "dist" else a for a in install[0][1:]], cwd=ROOT)
    assert [p.name for p in dist.iterdir()] == [wheel_name.group(1)]

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    python, mockserver = str(venv / "bin" / "python"), str(venv / "bin" / "mockserver")

    def pip_install(argv: list[str]) -> None:
        _pip("--python", python, "install", *(a.replace("dist/", f"{dist}/") for a in argv[2:]), cwd=tmp_path)

    pip_install(install[1])  # the base install: no test runner, so `contract` says what to add
    shown = "mockserver contract http://127.0.0.1:3000/api/train_sessions"
    done = subprocess.run([mockserver, *shown.split()[1:]], capture_output=True, text=True, cwd=elsewhere)
    assert (done.returncode, done.stdout, done.stderr.strip()) == (2, "", block_after(shown))
    pip_install(install[2])

    monkeypatch.chdir(elsewhere)
    spawned = spawn([mockserver, "serve", "--port", "0"], MOCK_READY, tmp_path / "serve.log", name="serve")
    try:
        url = spawned.ready.group("url").decode()
        assert f"from {venv}/lib/" in spawned.output()  # the wheel's data, not the checkout's
        quick_start = shell_commands(section("Quick start"))
        [curl_line] = [argv for argv in quick_start if argv[0] == "curl"]
        sessions = json.loads(curl(curl_line, url).body)
        assert sessions and all("smith" in s["full_name"].lower() for s in sessions)
        assert all(s["completion_date"] >= "2015-01-01" for s in sessions)

        [contract] = shell_commands(section("The contract suite"))
        argv = [mockserver, *(a.replace("http://127.0.0.1:3000", url) for a in contract[1:])]
        done = subprocess.run(argv, capture_output=True, text=True, cwd=elsewhere, timeout=900)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        report = ElementTree.parse(elsewhere / "contract.xml").getroot().find("testsuite")
        assert report is not None and int(report.get("tests", "0")) > 50
        assert (report.get("failures"), report.get("errors")) == ("0", "0")
    finally:
        spawned.stop()

    client = elsewhere / "client"
    client.mkdir()
    for name, text in client_example().items():
        (client / name).write_text(text, encoding="utf-8")
    _pip("--python", python, "install", "requests", cwd=tmp_path)  # the client project's own dependency
    argv = [python, "-m", "pytest", "-p", "no:cacheprovider"]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=client, timeout=600)
    assert done.returncode == 0 and " 3 passed" in done.stdout, done.stdout[-3000:]
