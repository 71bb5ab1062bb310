"""Schemathesis run as a user would (``schemathesis run URL/openapi.json``) against a served mock.

Every check and the default phases (examples, coverage, fuzzing, stateful). ``/openapi.json``
describes the emulated API only, so the stateful phase finds nothing to chain and, above all,
no control-API write: it once injected faults through ``POST /__mockserver/faults`` and the run
then failed with timeouts (issue 9 finding 7).

Positive mode only: the negative cases include the inputs the live API answers 500 (a NUL in a
string filter, which the document excludes for that reason), and the mock reproduces those 500s
on purpose. ``ignored_auth`` is among the checks: authenticated answers are replayed without
and with a wrong token and must be refused.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .server_process import serve

pytestmark = [pytest.mark.process, pytest.mark.slow]  # every test here starts a subprocess

RUN = "from schemathesis.cli import schemathesis; schemathesis()"


def _schemathesis(cwd: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", RUN, "run", url, "--checks", "all", "--no-color", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def test_schemathesis_passes_against_the_api_document(tmp_path: Path) -> None:
    """Check that 'schemathesis run URL/openapi.json' with every check passes every phase."""
    with serve(tmp_path, "--quiet") as server:
        result = _schemathesis(
            tmp_path,
            f"{server.base}/openapi.json",
            "--header",
            'Authorization: Token token="dev-token"',
            "--mode",
            "positive",
            "--max-examples",
            "50",  # 4 operations: about ten seconds
            "--seed",
            "2015",  # same cases every run: a failure here is a regression, not luck
            "--generation-database",
            "none",
        )
        health = server.logs()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "/__mockserver" not in output  # no control operation was offered to the fuzzer
    for phase in ("Examples", "Coverage", "Fuzzing"):
        assert f"✅ {phase}" in output, output
    assert "Traceback" not in health
