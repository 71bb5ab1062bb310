"""``mockserver contract URL``: run the contract suite (``contract_tests/``) against an endpoint.

A thin wrapper over ``pytest contract_tests --api-url URL``: every option it does not know is
forwarded to pytest (``--max-requests``, ``--rate``, ``--hypothesis-seed``, ``--junitxml``,
``-x``, ``-k`` ...). The suite runs in a child interpreter, so it stays what CI runs: a
black box that imports nothing from this package.

Before the suite runs, one GET of the index with the token checks that the endpoint answers:
a wrong token or an unreachable URL is a usage error (one line, exit 2), not 68 failed tests.
``--stack NAME|auto`` (default auto) is the generation whose semantics the suite asserts;
auto fingerprints the endpoint first and the run's header says what it found.
After it, a run whose request budget ran out before every test was checked fails (exit 1)
unless ``--allow-partial``: a partial run must not look like a pass.

The wheel installs the suite as the top-level package ``mockserver_contract_suite`` (a name no
client project uses, unlike ``contract_tests``); a checkout runs ``contract_tests/`` itself.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

import mockserver
from mockserver.errors import UsageError
from mockserver.settings import DEV_TOKEN, api_token_from_environment
from mockserver.stacks import STACKS, stacks_listing
from mockserver.tools.upstream import (
    RETRY_STATUSES,
    TOKEN_VARIABLE,
    Upstream,
    UpstreamError,
    add_client_options,
    index_url,
)

AUTO = "auto"  # the suite's --stack default: fingerprint the endpoint first
INSTALLED_NAME = "mockserver_contract_suite"  # the wheel's name for contract_tests/
WAIT_INTERVAL = 0.5  # seconds between preflight attempts under --wait
REPORT_PLUGIN = "mockserver.tools.contract_report"  # loaded into the suite's pytest by name (-p)


def suite_dir() -> Path:
    """Where the suite lives: ``contract_tests/`` beside the package in a checkout, else the
    installed ``mockserver_contract_suite``; found without importing either."""
    checkout = Path(mockserver.__file__).resolve().parent.parent / "contract_tests"
    if (checkout / "conftest.py").is_file():
        return checkout
    spec = importlib.util.find_spec(INSTALLED_NAME)
    if spec is None or not spec.submodule_search_locations:
        raise UsageError(
            f"cannot find the contract suite (neither contract_tests/ in a checkout nor the "
            f"installed {INSTALLED_NAME} package); reinstall learninglogin-mockserver"
        )
    return Path(next(iter(spec.submodule_search_locations))).resolve()


CONTRACT_EXTRA = "learninglogin-mockserver[contract]"


def require_contract_extra() -> None:
    """The suite needs pytest and hypothesis, which a plain install leaves out (the ``contract`` extra)."""
    missing = [name for name in ("pytest", "hypothesis") if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(f"the contract suite needs {' and '.join(missing)}: pip install '{CONTRACT_EXTRA}'")


def pytest_command(
    url: str, token: str | None, forwarded: list[str], report: Path | None = None, stack: str = AUTO
) -> list[str]:
    suite = suite_dir()
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(suite),
        f"--rootdir={suite}",
        "--api-url",
        url,
        "-p",
        "no:cacheprovider",
        "--stack",
        stack,
    ]
    if token:
        command += ["--api-token", token]
    if report is not None:
        command += ["--unchecked-report", str(report)]
    return command + forwarded


def _token_source(flag: str | None) -> tuple[str, str]:
    """(token, where it came from), resolved as the suite resolves it."""
    if flag:
        return flag, "--api-token"
    from_env = api_token_from_environment()
    if from_env:
        return from_env, TOKEN_VARIABLE
    return DEV_TOKEN, f"the default {DEV_TOKEN!r}"


async def preflight(url: str, token: str, source: str, wait: float, timeout: float = 10.0) -> str:
    """One GET of the index with the token (retried on connection failures for ``wait`` seconds);
    raises ``UsageError`` saying what to fix when the endpoint cannot be tested. Returns the
    normalised index URL, which is what the suite is given (one normalisation for both)."""
    target = index_url(url, "URL")
    deadline = time.monotonic() + wait
    async with Upstream(target, token, timeout=timeout, retries=2) as upstream:
        while True:
            try:
                answer = await upstream.get()
            except UpstreamError as exc:
                if time.monotonic() + WAIT_INTERVAL < deadline:
                    await asyncio.sleep(WAIT_INTERVAL)
                    continue
                if wait:
                    raise UsageError(
                        f"cannot reach {target} after waiting {wait:g}s: {exc.reason}; check the URL "
                        f"and that the endpoint is running, or give it longer than --wait {wait:g}"
                    ) from None
                raise UsageError(
                    f"cannot reach {target}: {exc.reason}; check the URL, start the "
                    "endpoint, or pass --wait SECONDS for one that is still starting"
                ) from None
            break
    if answer.status in RETRY_STATUSES:
        return str(
            target
        )  # reachable but throttled: the suite retries these and never counts them as failures
    if answer.status == 401:
        raise UsageError(
            f"{target} answered 401 to the token from {source}: pass the endpoint's token with "
            f"--api-token or {TOKEN_VARIABLE}"
        )
    if answer.status != 200:
        raise UsageError(
            f"{target} answered {answer.status} to GET of the index (expected 200); check the URL "
            "(e.g. https://learninglogin.com or http://127.0.0.1:3000/api/train_sessions)"
        )
    return str(target)


def _unchecked(report: Path) -> int | None:
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    count = data.get("unchecked") if isinstance(data, dict) else None
    return count if isinstance(count, int) else None


def _take_own_options(args: argparse.Namespace) -> None:
    """Move this command's own options out of the pytest options after URL, so that
    ``contract URL --api-token T --wait 30`` means what it says (the preflight sees them)."""
    rest: list[str] = []
    items = iter(args.pytest_args)
    for item in items:
        name, eq, value = item.partition("=")
        if name in ("--api-token", "--wait", "--stack", "--report"):
            if not eq:
                value = next(items, "")
                if not value:
                    raise UsageError(f"{name} needs a value")
            if name == "--wait":
                try:
                    args.wait = float(value)
                except ValueError:
                    raise UsageError(f"--wait {value!r}: expected a number of seconds") from None
            elif name == "--stack":
                args.stack = value
            elif name == "--report":
                args.report = Path(value)
            else:
                args.api_token = value
        elif item == "--allow-partial":
            args.allow_partial = True
        else:
            rest.append(item)
    args.pytest_args = rest


def _output_files(forwarded: list[str]) -> list[tuple[str, Path]]:
    """The files pytest is asked to write (``--junitxml``, ``--result-log``...): (option, path)."""
    found: list[tuple[str, Path]] = []
    items = iter(forwarded)
    for item in items:
        name, eq, value = item.partition("=")
        if name in ("--junitxml", "--junit-xml"):
            value = value if eq else next(items, "")
            if value:
                found.append((name, Path(value)))
    return found


def check_writable(option: str, path: Path) -> None:
    """Refuse in one line, before any request, a report file that cannot be written (pytest
    would fail only at the end of the run, with a traceback). In the container the user is uid
    10001: mount a directory it may write, or run with ``--user "$(id -u):$(id -g)"``."""
    try:
        existed = path.exists()  # EACCES too, in a directory this user may not search
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise UsageError(
            f"{option} {path}: cannot write it ({reason}); write into a directory you may write "
            '(in the container: mount one writable by uid 10001, or run with --user "$(id -u):$(id -g)", '
            "and --userns=keep-id under rootless podman)"
        ) from None
    if not existed:
        path.unlink(missing_ok=True)


def cmd_contract(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    _take_own_options(args)
    if args.stack.strip() == "list":
        print(stacks_listing(), file=out)
        return 0
    require_contract_extra()
    if args.wait < 0:
        raise UsageError(f"--wait {args.wait:g}: expected a non-negative number of seconds")
    names = [AUTO, *(s.name for s in STACKS)]
    if args.stack not in names:
        raise UsageError(f"--stack {args.stack!r}: unknown generation; one of: {', '.join(names)}, list")
    outputs = _output_files(args.pytest_args)
    if args.report is not None:
        if args.report.suffix not in (".json", ".md"):
            raise UsageError(f"--report {args.report}: expected a .json or .md file name (the format)")
        outputs.append(("--report", args.report))
    for option, path in outputs:
        check_writable(option, path)
    token, source = _token_source(args.api_token)
    url = asyncio.run(preflight(args.url, token, source, args.wait))
    print(
        f"mockserver: contract: {url} answers; running the suite (stack {args.stack}; "
        "pytest's progress follows)",
        file=err,
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="mockserver-contract-") as scratch:
        report = Path(scratch) / "unchecked.json"
        command = pytest_command(url, args.api_token, args.pytest_args, report, args.stack)
        if args.report is not None:  # the summary plugin runs in the suite's process, not in the suite
            rerun = shlex.join(["mockserver", "contract", url, "--stack", args.stack])
            command += ["-p", REPORT_PLUGIN, f"--contract-report={args.report}", f"--contract-rerun={rerun}"]
        out.flush()
        # The caller's directory, not the package's: --junitxml and friends are relative to where
        # the user stands, and nothing is written into an installation (the suite path is absolute).
        code = subprocess.run(command, cwd=Path.cwd(), check=False).returncode
        unchecked = _unchecked(report)
    if code not in (0, 1):
        print(
            f"mockserver: error: pytest exited with {code} (usage error, interrupted or no tests)", file=err
        )
        return 2
    if code == 0 and unchecked and not args.allow_partial:
        print(
            f"mockserver: error: {unchecked} tests were not checked: the request budget ran out "
            "(raise --max-requests, or pass --allow-partial to accept a partial run)",
            file=err,
        )
        return 1
    return code  # passed / a contract check failed


def register(subparsers: Any) -> None:
    """Add ``contract`` to the CLI."""
    p = subparsers.add_parser(
        "contract",
        help="run the contract suite against an endpoint",
        description="Run contract_tests/ against URL with pytest. Options after URL are passed "
        "to pytest (e.g. --max-requests 300 --rate 2 --junitxml out.xml -x). One GET of the "
        "index checks URL and token first (exit 2 when they do not work). A run whose request "
        "budget ran out before every test was checked exits 1 unless --allow-partial.",
    )
    add_client_options(p, token_default=DEV_TOKEN)
    p.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="keep trying to reach URL for up to SECONDS (an endpoint still starting; default 0)",
    )
    p.add_argument(
        "--stack",
        default=AUTO,
        metavar="NAME",
        help="the Rails/Ransack generation whose semantics to assert ('list' prints them); "
        "default auto: fingerprint the endpoint first (mockserver probe does the same)",
    )
    p.add_argument(
        "--report",
        type=Path,
        metavar="FILE.json|FILE.md",
        help="also write a per-rule summary (outcome, rule, requests, a rerun command, the failure's "
        "reproduce lines) as JSON or Markdown (e.g. for $GITHUB_STEP_SUMMARY)",
    )
    p.add_argument(
        "--allow-partial",
        action="store_true",
        help="exit 0 even when the request budget ran out before every test was checked",
    )
    p.add_argument(
        "url", metavar="URL", help="the endpoint, e.g. https://learninglogin.com/api/train_sessions"
    )
    p.add_argument(
        "pytest_args", nargs=argparse.REMAINDER, metavar="PYTEST_OPTION", help="forwarded to pytest"
    )
    p.set_defaults(run=cmd_contract)
