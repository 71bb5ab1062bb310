"""``mockserver contract URL``: run the contract suite (``contract_tests/``) against an endpoint.

A thin wrapper over ``pytest contract_tests --api-url URL``: every option it does not know is
forwarded to pytest (``--max-requests``, ``--rate``, ``--hypothesis-seed``, ``--junitxml``,
``-x``, ``-k`` ...). The suite runs in a child interpreter, so it stays what CI runs: a
black box that imports nothing from this package.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any, TextIO

from mockserver.errors import UsageError


def suite_dir() -> Path:
    """Where ``contract_tests/`` lives (a checkout or the installed wheel), found without importing it."""
    spec = importlib.util.find_spec("contract_tests")
    if spec is None or not spec.submodule_search_locations:
        raise UsageError(
            "cannot find the contract_tests package (install the project or run from a checkout)"
        )
    return Path(next(iter(spec.submodule_search_locations))).resolve()


CONTRACT_EXTRA = "learninglogin-mockserver[contract]"


def require_contract_extra() -> None:
    """The suite needs pytest and hypothesis, which a plain install leaves out (the ``contract`` extra)."""
    missing = [name for name in ("pytest", "hypothesis") if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(f"the contract suite needs {' and '.join(missing)}: pip install '{CONTRACT_EXTRA}'")


def pytest_command(url: str, token: str | None, forwarded: list[str]) -> list[str]:
    command = [sys.executable, "-m", "pytest", str(suite_dir()), "--api-url", url, "-p", "no:cacheprovider"]
    if token:
        command += ["--api-token", token]
    return command + forwarded


def cmd_contract(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    require_contract_extra()
    command = pytest_command(args.url, args.api_token, args.pytest_args)
    out.flush()
    # The caller's directory, not the package's: --junitxml and friends are relative to where the
    # user stands, and nothing is written into an installation (the suite is passed by absolute path).
    code = subprocess.run(command, cwd=Path.cwd(), check=False).returncode
    if code in (0, 1):
        return code  # passed / a contract check failed
    print(f"mockserver: error: pytest exited with {code} (usage error, interrupted or no tests)", file=err)
    return 2


def register(subparsers: Any) -> None:
    """Add ``contract`` to the CLI."""
    p = subparsers.add_parser(
        "contract",
        help="run the contract suite against an endpoint",
        description="Run contract_tests/ against URL with pytest. Options after URL are passed "
        "to pytest (e.g. --max-requests 300 --rate 2 --junitxml out.xml -x).",
    )
    p.add_argument(
        "--api-token",
        metavar="TOKEN",
        help="API token (default: $MOCKSERVER_API_TOKEN, else the mock's dev-token)",
    )
    p.add_argument(
        "url", metavar="URL", help="the endpoint, e.g. https://learninglogin.com/api/train_sessions"
    )
    p.add_argument(
        "pytest_args", nargs=argparse.REMAINDER, metavar="PYTEST_OPTION", help="forwarded to pytest"
    )
    p.set_defaults(run=cmd_contract)
