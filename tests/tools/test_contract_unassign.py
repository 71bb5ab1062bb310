"""The contract suite's 2015-08 modules (XML, the player, unassign with --allow-writes) against the
mock in both revisions: every test runs (none skipped) and passes, and unassign really removes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mockserver.pytest_plugin import TrainSessionsAPI

pytestmark = [pytest.mark.process, pytest.mark.slow]  # each test runs the contract suite

Factory = Callable[..., TrainSessionsAPI]
SUITE = Path(__file__).resolve().parents[2] / "contract_tests"
SELECT = ("-k", "xml or player or unassign", "-p", "no:randomly", "-p", "no:schemathesis", "-rs")


def _suite(api: TrainSessionsAPI, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", str(SUITE), f"--rootdir={SUITE}", "--api-url", api.url]
    command += ["--api-token", str(api.token), *SELECT, *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("revision", ["2015-08", "2015-02"])
def test_suite_passes_with_writes_allowed(train_sessions_api_factory: Factory, revision: str) -> None:
    """Check that the XML, player and unassign tests all run and pass, and what unassign removed."""
    api = train_sessions_api_factory(api_revision=revision)
    record = next(r for r in api.records if r["assignee_login_id"] is not None)
    login, code = record["assignee_login_id"], record["course_code"]
    initial = api.records
    done = _suite(api, "--allow-writes", f"{login}:{code}")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "6 passed" in done.stdout and "skipped" not in done.stdout, done.stdout[-2000:]
    gone = {r["id"] for r in initial} - {r["id"] for r in api.records}
    if revision == "2015-08":
        matching = {r["id"] for r in initial if r["assignee_login_id"] == login and r["course_code"] == code}
        assert record["id"] in gone and gone == matching
    else:
        assert not gone


def test_without_writes_unassign_is_never_sent(train_sessions_api_factory: Factory) -> None:
    """Check that without --allow-writes the unassign tests are skipped and no POST reaches the mock."""
    api = train_sessions_api_factory()
    done = _suite(api)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "2 skipped" in done.stdout and "--allow-writes" in done.stdout
    assert not [e for e in api.requests if e.method == "POST"]
