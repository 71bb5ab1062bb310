"""``mockserver contract --stack NAME|auto``: the generation the suite asserts."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mockserver.cli import main
from mockserver.pytest_plugin import TrainSessionsAPI

from ..broken_mock import running

Factory = Callable[..., TrainSessionsAPI]
SUITE = Path(__file__).resolve().parents[2] / "contract_tests"
FAST = ("-q", "-k", "test_generation", "-p", "no:randomly", "-p", "no:schemathesis")


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["contract", *argv], out, err)
    return code, err.getvalue()


def test_an_unknown_stack_is_one_usage_error(train_sessions_api_factory: Factory) -> None:
    """Check that --stack with an unknown name is one error line listing the names, exit 2."""
    api = train_sessions_api_factory()
    code, err = run("--stack", "rails9", api.url)
    assert code == 2 and err.count("\n") == 1
    assert "'rails9'" in err and "auto" in err and "rails4.2-ransack1.7" in err


@pytest.mark.process
def test_told_another_generation_the_suite_fails(train_sessions_api_factory: Factory) -> None:
    """Check that today's mock fails the suite told Rails 4.2 (after the URL, as pytest options go)."""
    api = train_sessions_api_factory()
    code, _ = run(api.url, "--api-token", str(api.token), "--stack", "rails4.2-ransack1.7", *FAST)
    assert code == 1


@pytest.mark.process
def test_auto_names_the_generation_it_found(train_sessions_api_factory: Factory) -> None:
    """Check that the default (auto) passes today's mock and says which generation it asserted."""
    api = train_sessions_api_factory(stack="rails6.0-ransack2.4")
    command = [sys.executable, "-m", "pytest", str(SUITE), f"--rootdir={SUITE}", "--api-url", api.url]
    command += ["--api-token", str(api.token), *FAST]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "contract: generation rails6.0-ransack2.4 (auto" in done.stdout


@pytest.mark.process
def test_an_unknown_stack_is_a_pytest_usage_error() -> None:
    """Check that pytest contract_tests --stack with an unknown name stops before any test."""
    command = [sys.executable, "-m", "pytest", str(SUITE), f"--rootdir={SUITE}", "--stack", "nope", "-q"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 4 and "'nope'" in done.stderr and "rails6.1-ransack4.1" in done.stderr


@pytest.mark.process
def test_an_endpoint_mixing_generations_fails_naming_the_conflict() -> None:
    """Check that auto fails today's mock refusing Bearer (a Rails 4.2 answer among modern ones)
    with a message naming the conflicting behaviour, not by asserting some generation."""
    with running("bearer_refused") as url:
        command = [sys.executable, "-m", "pytest", str(SUITE), f"--rootdir={SUITE}", "--api-url", url]
        command += ["-k", "test_index_ids_are_unique", *FAST[3:]]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 1
    assert "mix Rails/Ransack generations" in done.stdout
    assert "nearest generation rails6.1-ransack4.1 conflicts on:\n" in done.stdout
    assert "strict_token_scheme: the endpoint answered Authorization: Bearer: 401" in done.stdout
