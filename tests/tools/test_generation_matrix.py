"""The 6x6 generation matrix: the mock served as each generation passes the contract suite told
that generation and told ``auto``, and fails it told any other (naming the behaviour).

Affordable by design: one mock per served generation, the suite reduced to the tests that
exercise the distinguishing rules (``SUBSET``), and at most two suite runs at a time (the
machine has two cores). About 40 suite runs; the module's duration is printed with -s.
"""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mockserver.stacks import STACKS

from ..server_process import serve

pytestmark = [pytest.mark.process, pytest.mark.slow]  # every test here starts a subprocess

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "contract_tests"
NAMES = [s.name for s in STACKS]
# Every distinguishing behaviour (test_generation), and the rule-driven tests a generation
# changes: edge values (padding, `_`, out-of-range integers), auth forms, Accept, error bodies.
SUBSET = (
    "test_generation or test_filter_edge_values or test_auth or test_http or test_malformed "
    "or test_doc_sample or test_absent_ids"
)
PARALLEL = 2
# Installed pytest plugins the suite does not use: loading them is most of a run's start-up.
UNUSED_PLUGINS = (
    "cacheprovider",
    "randomly",
    "schemathesis",
    "mockserver",
    "faker",
    "xdist",
    "xdist.looponfail",
)


def suite_run(url: str, *options: str, timeout: float) -> tuple[int, str]:
    """The contract suite in a subprocess against ``url`` with ``options``: (exit code, output)."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(SUITE),
        f"--rootdir={SUITE}",
        *(f"-pno:{plugin}" for plugin in UNUSED_PLUGINS),
        "-q",
        "--api-url",
        url,
        *options,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False, cwd=ROOT)
    return done.returncode, done.stdout + done.stderr


def run_suite(url: str, stack: str) -> tuple[int, str]:
    """One reduced suite run against ``url`` asserting ``stack``: (exit code, output)."""
    # -x: a wrong generation is shown by its first failure
    return suite_run(url, "-x", "--stack", stack, "-k", SUBSET, "--max-requests", "900", timeout=300)


@pytest.mark.parametrize("served", NAMES)
def test_generation_matrix_row(served: str, tmp_path: Path) -> None:
    """Check that the mock served as ``served`` passes the suite told it or auto, and fails it
    told each other generation (a contract failure, which names the behaviour)."""
    started = time.monotonic()
    told = ["auto", *NAMES]
    with serve(tmp_path, "--stack", served, "--quiet") as server, ThreadPoolExecutor(PARALLEL) as pool:
        url = f"{server.base}/api/train_sessions"
        results = dict(zip(told, pool.map(lambda stack: run_suite(url, stack), told), strict=True))
    for stack, (code, output) in results.items():
        if stack in ("auto", served):
            assert code == 0, f"served {served}, told {stack}: the suite failed\n{output[-4000:]}"
            if stack == "auto":
                assert f"generation {served} (auto" in output, output[-2000:]
        else:
            assert code == 1, (
                f"served {served}, told {stack}: expected failures, got {code}\n{output[-3000:]}"
            )
            assert "ContractViolationError" in output, output[-3000:]  # a contract failure, not a crash
    print(f"\n{served}: {len(told)} suite runs in {time.monotonic() - started:.1f}s")
