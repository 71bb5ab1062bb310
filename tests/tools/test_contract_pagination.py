"""The contract suite against a paginated index (``serve --paginate N``): it follows ``Link``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ..server_process import serve

pytestmark = [pytest.mark.process, pytest.mark.slow]  # every test here starts a subprocess

SUITE = Path(__file__).resolve().parents[2] / "contract_tests"
SUBSET = "test_index_matches or test_filter_edge_values or test_doc_sample or test_unknown_parameters"


def test_the_suite_reads_every_page(tmp_path: Path) -> None:
    """Check that with 50 rows a page the suite's dataset is the whole index (all pages) and
    filtered answers are checked across pages: a first-page-only reading fails these tests."""
    with serve(tmp_path, "--paginate", "50") as server:
        command = [
            sys.executable,
            "-m",
            "pytest",
            str(SUITE),
            f"--rootdir={SUITE}",
            "-q",
            "-p",
            "no:randomly",
            "--api-url",
            f"{server.base}/api/train_sessions",
            "--max-requests",
            "3000",
            "-k",
            SUBSET,
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        log = server.logs()
    assert done.returncode == 0, done.stdout[-4000:]
    assert "page=8" in log  # 400 rows, 50 a page: the last page was read
