"""``mockserver contract``: preflight, partial runs, and the installed suite's non-colliding name."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from mockserver.cli import main
from mockserver.errors import UsageError
from mockserver.pytest_plugin import TrainSessionsAPI
from mockserver.tools.contract import INSTALLED_NAME, preflight

ROOT = Path(__file__).resolve().parents[2]
Factory = Callable[..., TrainSessionsAPI]
# A quick run: few tests, few examples, none of the plugins the suite does not use.
QUICK = ("-q", "-x", "-k", "test_index", "--examples-scale", "0.2", "-p", "no:randomly")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["contract", *argv], out, err)
    return code, out.getvalue(), err.getvalue()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_wrong_token_is_one_usage_error(train_sessions_api_factory: Factory) -> None:
    """Check that a 401 on the preflight GET ends the run with one line naming the fix, exit 2."""
    api = train_sessions_api_factory(tokens={"right-token": None})
    code, out, err = run("--api-token", "wrong-token", api.url)
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("mockserver: error:") and "401" in err and "--api-token" in err
    assert "wrong-token" not in err
    assert out == ""  # the suite never ran


@pytest.mark.process
@pytest.mark.slow
def test_own_options_after_the_url_are_not_forwarded(train_sessions_api_factory: Factory) -> None:
    """Check that `contract URL --api-token T` (options after URL) reaches the preflight too."""
    api = train_sessions_api_factory(tokens={"right-token": None})
    code, out, err = run(api.url, "--api-token=wrong-token", "-q")
    assert code == 2 and "401" in err and "--api-token" in err and out == ""
    code, _, err = run(api.url, "--api-token", api.token, "--allow-partial", *QUICK, "--max-requests", "3")
    assert code == 0, err


def test_the_token_from_the_environment_is_named(
    train_sessions_api_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check that the preflight uses $MOCKSERVER_API_TOKEN as the suite does, and says so on a 401."""
    api = train_sessions_api_factory(tokens={"right-token": None})
    monkeypatch.setenv("MOCKSERVER_API_TOKEN", "stale")
    code, _, err = run(api.url)
    assert code == 2 and "$MOCKSERVER_API_TOKEN" in err


def test_an_unreachable_url_is_one_usage_error() -> None:
    """Check that a refused connection is a usage error with the fix, not 68 failed tests."""
    code, out, err = run(f"http://127.0.0.1:{closed_port()}")
    assert code == 2
    assert err.count("\n") == 1 and "cannot reach" in err and "--wait" in err
    assert "Traceback" not in err and out == ""


def test_wait_keeps_trying_for_the_given_time() -> None:
    """Check that --wait retries a refused connection until its deadline before giving up."""
    started = time.monotonic()
    code, _, err = run("--wait", "1.5", f"http://127.0.0.1:{closed_port()}")
    assert code == 2 and "after waiting 1.5s" in err
    assert time.monotonic() - started >= 1.0


@pytest.mark.process
@pytest.mark.slow
def test_wait_reaches_an_endpoint_that_starts_late(
    train_sessions_api_factory: Factory, tmp_path: Path
) -> None:
    """Check that --wait succeeds once a late endpoint starts (a server started after the command)."""
    port = closed_port()
    command = [
        sys.executable,
        "-m",
        "mockserver",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--quiet",
    ]
    code = subprocess.run(
        [sys.executable, "-c", _LATE.format(port=port, serve=command, root=str(ROOT))],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=240,
        check=False,
        capture_output=True,
        text=True,
    )
    assert code.returncode == 0, code.stdout[-2000:] + code.stderr[-2000:]


# Starts the contract run first, the server a second later, so only --wait can succeed.
_LATE = """
import subprocess, sys, time
run = subprocess.Popen([sys.executable, "-m", "mockserver", "contract", "--wait", "60",
    "http://127.0.0.1:{port}", "-q", "-x", "-k", "test_index", "--examples-scale", "0.2"])
time.sleep(1.0)
server = subprocess.Popen({serve})
try:
    sys.exit(run.wait(200))
finally:
    server.terminate()
    server.wait(30)
"""


@pytest.mark.process
def test_a_run_cut_short_by_the_budget_is_not_a_pass(train_sessions_api_factory: Factory) -> None:
    """Check that tests skipped for lack of request budget make the run fail, with their count."""
    api = train_sessions_api_factory()
    code, _, err = run("--api-token", api.token, api.url, *QUICK, "--max-requests", "3")
    assert code == 1, err
    assert "were not checked" in err and "--allow-partial" in err
    count = int(err.split("mockserver: error: ")[1].split()[0])
    assert count >= 1


@pytest.mark.process
def test_allow_partial_accepts_a_budget_cut_run(train_sessions_api_factory: Factory) -> None:
    """Check that --allow-partial restores exit 0 for a run cut short by its budget."""
    api = train_sessions_api_factory()
    code, _, err = run("--allow-partial", "--api-token", api.token, api.url, *QUICK, "--max-requests", "3")
    assert code == 0, err


@pytest.mark.process
@pytest.mark.slow
def test_a_full_budget_run_passes(train_sessions_api_factory: Factory) -> None:
    """Check that a run that checked everything it selected still exits 0 (no false partials)."""
    api = train_sessions_api_factory()
    code, _, err = run("--api-token", api.token, api.url, *QUICK)
    assert code == 0, err


def test_the_wheel_installs_the_suite_under_the_name_contract_finds() -> None:
    """Check that pyproject maps contract_tests/ to the name mockserver.tools.contract looks up,
    and ships no top-level contract_tests package."""
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["force-include"]["contract_tests"] == INSTALLED_NAME
    assert "contract_tests" not in wheel.get("packages", [])


@pytest.mark.process
@pytest.mark.slow
def test_installed_suite_runs_beside_a_client_package_named_contract_tests(
    train_sessions_api_factory: Factory, tmp_path: Path
) -> None:
    """Check that `mockserver contract` from an installed layout works in a project that has its
    own contract_tests package (it failed with 'unrecognized arguments: --api-url', exit 4)."""
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    site = tmp_path / "site"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "mockserver", site / "mockserver", ignore=ignore)
    for source, target in wheel["force-include"].items():
        shutil.copytree(ROOT / source, site / target, ignore=ignore)
    project = tmp_path / "client"
    (project / "contract_tests").mkdir(parents=True)
    (project / "contract_tests" / "__init__.py").write_text("raise ImportError('the client package')\n")
    api = train_sessions_api_factory()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKSERVER_")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mockserver",
            "contract",
            "--api-token",
            api.token,
            api.url,
            *QUICK,
            "--junitxml=contract.xml",
        ],
        cwd=project,
        env={**env, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "testcase" in (project / "contract.xml").read_text()  # written where the user is
    found = subprocess.run(
        [sys.executable, "-c", "from mockserver.tools.contract import suite_dir; print(suite_dir())"],
        cwd=project,
        env={**env, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == str(site / INSTALLED_NAME)  # the installed copy is what ran
    assert not list(site.rglob("contract.xml")) and not list(site.rglob(".hypothesis"))


@pytest.mark.parametrize(("status", "passes"), [(429, True), (503, True), (404, False), (500, False)])
async def test_preflight_leaves_throttling_to_the_suite(
    status: int, passes: bool, aiohttp_server: Callable[[web.Application], Awaitable[TestServer]]
) -> None:
    """Check that a throttled preflight (429/503 after its retries) lets the suite run, which retries
    them, while another status is a usage error naming it."""

    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=status, text="busy", headers={"Retry-After": "0"})

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    server = await aiohttp_server(app)
    url = str(server.make_url("/"))
    if passes:
        await preflight(url, "t", "--api-token", wait=0)
    else:
        with pytest.raises(UsageError, match=f"answered {status}"):
            await preflight(url, "t", "--api-token", wait=0)


@pytest.mark.process
@pytest.mark.parametrize("suffix", ["/api/train_sessions.json", "/api", "/api/", "/api/train_sessions/"])
def test_every_url_form_reaches_the_same_index(train_sessions_api_factory: Factory, suffix: str) -> None:
    """Check that a URL ending in .json or /api runs the suite against the index itself: one
    normalisation for the preflight and the suite (it used to request .../train_sessions.json/api/...)."""
    api = train_sessions_api_factory()
    code, _, err = run(
        "--api-token", api.token, api.url + suffix, *QUICK, "--max-requests", "40", "--allow-partial"
    )
    assert code == 0, err
    assert f"{api.url_for()} answers" in err
    targets = {entry.path for entry in api.requests}
    assert targets and all(path.startswith("/api/train_sessions") for path in targets), targets
    assert not any("/api/api" in path or ".json/" in path for path in targets)


def test_stack_list_prints_the_generations() -> None:
    """Check that `contract --stack list`, which its help points to, lists the generations."""
    code, out, err = run("--stack", "list", "http://127.0.0.1:1")
    assert code == 0 and err == ""
    assert out.splitlines()[0].startswith("rails6.1-ransack4.1")


def test_wait_names_the_wait_it_already_had() -> None:
    """Check that giving up after --wait 0.5 does not suggest passing --wait SECONDS."""
    code, _, err = run("--wait", "0.5", f"http://127.0.0.1:{closed_port()}")
    assert code == 2 and "longer than --wait 0.5" in err and "--wait SECONDS" not in err


def test_an_unwritable_junit_file_is_one_line_before_any_request(
    train_sessions_api_factory: Factory, tmp_path: Path
) -> None:
    """Check that --junitxml into a directory that cannot be written stops in one line, exit 2,
    before the run (pytest would fail at its end, with a traceback), naming the container recipe."""
    api = train_sessions_api_factory()
    not_a_dir = tmp_path / "reports"
    not_a_dir.write_text("a file where the directory should be\n")  # unwritable even as root
    code, out, err = run("--api-token", api.token, api.url, f"--junitxml={not_a_dir}/contract.xml")
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("mockserver: error: --junitxml") and "--user" in err
    assert api.requests == [] and out == ""


def test_a_junit_file_in_a_directory_that_cannot_be_searched_is_one_line(
    train_sessions_api_factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check that a report directory this user may not even search (the image's uid in a
    mounted 0700 directory: stat answers EACCES) stops in one line too, not a traceback."""
    api = train_sessions_api_factory()
    locked = tmp_path / "reports"
    locked.mkdir()
    real_stat = Path.stat

    def stat(path: Path, *, follow_symlinks: bool = True) -> os.stat_result:
        if path.parent == locked:  # root may search any directory: simulate the uid that may not
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, follow_symlinks=follow_symlinks)

    monkeypatch.setattr(Path, "stat", stat)
    code, out, err = run("--api-token", api.token, api.url, f"--junitxml={locked}/contract.xml")
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("mockserver: error: --junitxml") and "permission denied" in err and "--user" in err
    assert api.requests == [] and out == ""


@pytest.mark.process
@pytest.mark.parametrize("suffix", [".json", ".md"])
def test_report_summarises_each_rule(
    train_sessions_api_factory: Factory, tmp_path: Path, suffix: str
) -> None:
    """Check that --report FILE.json|.md lists each rule run with its outcome, requests and a
    rerun command, besides pytest's own output."""
    api = train_sessions_api_factory()
    report = tmp_path / f"contract{suffix}"
    code, _, err = run("--api-token", api.token, api.url, "--report", str(report), *QUICK)
    assert code == 0, err
    text = report.read_text(encoding="utf-8")
    if suffix == ".md":
        assert text.startswith("# Contract suite\n") and "| rule | outcome | requests | test |" in text
        assert "✅ passed" in text and "❌" not in text
        return
    data = json.loads(text)
    assert data["summary"]["failed"] == 0 and data["summary"]["passed"] == len(data["rules"]) > 0
    assert data["summary"]["requests"] == sum(r["requests"] for r in data["rules"]) > 0
    for rule in data["rules"]:
        assert rule["rule"] and rule["test"].startswith("test_index")
        assert rule["rerun"].startswith(f"mockserver contract {api.url_for()} --stack auto -k ")


@pytest.mark.process
def test_report_names_the_failing_rule_and_how_to_reproduce_it(tmp_path: Path) -> None:
    """Check that a failing rule in --report carries the suite's reproduce (curl) lines, with the
    token as $MOCKSERVER_API_TOKEN, and the exit code is the suite's."""
    from ..broken_mock import running

    report = tmp_path / "contract.json"
    with running("no_auth") as url:
        code, _, err = run(url, "--report", str(report), "-q", "-p", "no:randomly", "-k", "missing_token")
    assert code == 1, err
    data = json.loads(report.read_text(encoding="utf-8"))
    [failed] = [r for r in data["rules"] if r["outcome"] == "failed"]
    assert failed["reproduce"] and all(line.startswith("curl ") for line in failed["reproduce"])
    assert failed["message"] and failed["requests"] >= 1 and "dev-token" not in json.dumps(failed)


def test_report_needs_a_known_format() -> None:
    """Check that --report with another suffix is refused before anything runs."""
    code, _, err = run("--report", "summary.txt", "http://127.0.0.1:1")
    assert code == 2 and "expected a .json or .md" in err
