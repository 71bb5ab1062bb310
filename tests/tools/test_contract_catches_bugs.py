"""Proof that the contract suite catches bugs: it fails on every one-defect variant of the mock
(tests/broken_defects.py), with a contract violation and a curl line, and passes on the real mock
serving either the default fixtures or the Ransack golden dataset."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mockserver.cli import main

from ..broken_defects import DEFECTS, NOT_DEFECTS
from ..broken_mock import running
from ..golden import GOLDEN_PATH

pytestmark = [pytest.mark.process, pytest.mark.slow]  # every test here starts a subprocess

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = GOLDEN_PATH
# A small run: stop at the first failure, fewer examples, a modest budget, and none of the
# plugins the suite does not use (each costs interpreter start-up time, times 46 runs).
SUITE_OPTIONS = (
    "-x",
    "-q",
    "-p",
    "no:cacheprovider",
    "--examples-scale",
    "0.5",
    "--max-requests",
    "500",
    *(
        arg
        for name in ("schemathesis", "faker", "anyio", "xdist", "aiohttp", "mockserver")
        for arg in ("-p", f"no:{name}")
    ),
)


def _run_suite(url: str, junit: Path) -> tuple[int, list[tuple[str, str]], str]:
    """Run the contract suite against ``url``; (exit code, [(failed test, message)], output)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(ROOT / "contract_tests"),
            "--api-url",
            url,
            f"--junitxml={junit}",
            *SUITE_OPTIONS,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    failures = []
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            for node in (case.find("failure"), case.find("error")):
                if node is not None:
                    failures.append((case.get("name", "?"), (node.get("message") or "") + (node.text or "")))
    return result.returncode, failures, result.stdout + result.stderr


@pytest.mark.parametrize("defect", sorted(set(DEFECTS) - NOT_DEFECTS))
def test_suite_fails_on_broken_variant(defect: str, tmp_path: Path) -> None:
    """Check that the contract suite fails on a mock with one defect, with a contract violation
    (not a crash of the suite) whose message carries a curl reproduction."""
    with running(defect) as url:
        code, failures, output = _run_suite(url, tmp_path / "junit.xml")
    assert code == 1, f"{defect} ({DEFECTS[defect][0]}) was not caught:\n{output[-3000:]}"
    assert failures, output[-3000:]
    name, message = failures[0]
    assert "ContractViolationError" in message or "AssertionError" in message, (name, message[:3000])
    assert "reproduce: curl " in message, (name, message[:3000])


def test_suite_passes_on_real_mock(tmp_path: Path) -> None:
    """Check that the contract suite passes on the real mock with its default fixtures."""
    with running("none") as url:
        code, failures, output = _run_suite(url, tmp_path / "junit.xml")
    assert (code, failures) == (0, []), output[-5000:]


@pytest.mark.skipif(not GOLDEN.exists(), reason="the golden reference is not on this machine")
def test_suite_passes_on_golden_dataset(tmp_path: Path) -> None:
    """Check that the suite knows no data: it passes on the Ransack golden dataset too."""
    fixtures = tmp_path / "golden.json"
    fixtures.write_text(
        json.dumps(json.loads(GOLDEN.read_text(encoding="utf-8"))["fixtures"]), encoding="utf-8"
    )
    with running("none", fixtures) as url:
        code, failures, output = _run_suite(url, tmp_path / "junit.xml")
    assert (code, failures) == (0, []), output[-5000:]


def test_throttling_is_retried_not_failed(tmp_path: Path) -> None:
    """Check that 429/503 answers are retried (after Retry-After or a backoff), reported in the
    summary, and never counted as contract failures."""
    with running("throttled") as url:
        code, failures, output = _run_suite(url, tmp_path / "junit.xml")
    assert (code, failures) == (0, []), output[-5000:]
    assert "after 429" in output and "after 503" in output, output[-2000:]


def test_contract_command_forwards_pytest_options(capfd: pytest.CaptureFixture[str]) -> None:
    """Check that `mockserver contract URL` runs the suite and forwards pytest options (-k, -q)."""
    with running("none") as url:
        assert main(["contract", url, "-q", "-k", "auth", "-p", "no:xdist"]) == 0
    with running("no_auth") as url:
        assert main(["contract", url, "-q", "-k", "missing_token", "-p", "no:xdist"]) == 1
    out = capfd.readouterr().out
    assert "passed" in out and "reproduce: curl" in out
