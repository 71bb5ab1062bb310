"""The examples README.md and docs/ show, run: each must print what the page shows, or do what
it says (a new user was misled by examples naming files that did not exist or showing other output)."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mockserver.cli import main
from mockserver.dataset import load_records
from mockserver.spawning import MOCK_READY, spawn

from .broken_mock import running
from .conftest import AppClientFactory
from .doc_examples import ROOT, Answer, console_session, curl, section, shell_commands
from .doc_examples import block_after as _block_after


def test_validate_example_is_the_real_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """Check that `mockserver validate examples/broken-list.json` prints what the README shows."""
    monkeypatch.chdir(ROOT)
    out, err = io.StringIO(), io.StringIO()
    code = main(["validate", os.path.join("examples", "broken-list.json")], out=out, err=err)
    assert code == 1
    assert (out.getvalue() + err.getvalue()).strip() == _block_after(
        "mockserver validate examples/broken-list.json"
    )


def test_api_revision_list_example_is_the_real_output() -> None:
    """Check that `mockserver serve --api-revision list` prints what docs/mock/api-revisions.md shows."""
    out = io.StringIO()
    assert main(["serve", "--api-revision", "list"], out=out, err=io.StringIO()) == 0
    assert out.getvalue().strip() == _block_after("mockserver serve --api-revision list")


@pytest.fixture
def dev_mock() -> Iterator[str]:
    """The packaged data served with the documented dev-token, as `make serve` serves it."""
    from mockserver.pytest_plugin import start_train_sessions_api
    from mockserver.server.journal import JOURNAL_SIZE

    api = start_train_sessions_api(tokens={"dev-token": None}, journal_size=JOURNAL_SIZE)
    try:
        yield api.url
    finally:
        api.stop()


def test_getting_started_requests_answer_as_it_says(dev_mock: str) -> None:
    """Check the four curl lines of docs/getting-started.md's "Try it" against what the page says
    of each: a filtered list, a show, Rails' 401 with its reason, Bearer with the ignored key."""
    page = ROOT / "docs" / "getting-started.md"
    lines = [argv for argv in shell_commands(section("Try it", page)) if argv[0] == "curl"]
    assert len(lines) == 4
    found, show, denied, ignored = (curl(argv, dev_mock) for argv in lines)
    sessions = json.loads(found.body)
    assert found.status == 200 and sessions
    assert all("smith" in s["full_name"].lower() and s["completion_date"] >= "2015-01-01" for s in sessions)
    assert show.status == 200 and json.loads(show.body)["id"] == 3
    assert (denied.status, denied.body) == (401, b"HTTP Token: Access denied.\n")
    assert denied.headers["X-Mockserver-Error"].startswith("no token")
    assert ignored.status == 200 and "score" in ignored.headers["X-Mockserver-Ignored"]


def _same_json(actual: Any, shown: Any) -> None:
    """``actual`` is what the docs show, but for what a run cannot repeat: the journal's clock and
    the headers only a real curl sends, and the dates the course player's aid sets to today."""
    if isinstance(shown, dict) and "requests" in shown:
        for got, doc in zip(actual["requests"], shown["requests"], strict=True):
            got["time"] = doc["time"]
            for name in ("Host", "User-Agent"):
                got["headers"][name] = doc["headers"][name]
            got["headers"] = {k: v for k, v in got["headers"].items() if k in doc["headers"]}
    if isinstance(shown, dict) and "completion_date" in shown and actual.get("status") == "Completed":
        assert actual["completion_date"] == actual["last_attempt"] < actual["cert_expiry"]
        for key in ("completion_date", "last_attempt", "cert_expiry"):
            actual[key] = shown[key]
    assert actual == shown


SHOWN = "http://127.0.0.1:3000"  # where the docs' mock listens

# The pages whose console sessions send curl to the mock on :3000, and the steps served otherwise
PAGES_WITH_CURL = [
    "control-api.md",
    "security.md",
    "mock/api-revisions.md",
    "mock/stack-generations.md",
    "mock/unassign-and-player.md",
]
ON_ANOTHER_HOST = "curl -s localhost:3000/__mockserver/health"  # after `serve --host 0.0.0.0`: below


def _same_answer(answer: Answer, shown: str, grep: str | None) -> None:
    """``answer`` prints as ``shown``: the status line, the headers shown (up to ``...``) and the
    body for ``-i``; the matching header lines for ``| grep -i``; else the body."""
    if grep is not None:
        lines = [f"{k}: {v}" for k, v in answer.headers.items() if grep.lower() in f"{k}: {v}".lower()]
        assert lines == shown.splitlines()
        return
    body = answer.body.decode()
    if shown.startswith("HTTP/1.1 "):
        head, _, shown = shown.partition("\n\n")
        status_line, *headers = head.splitlines()
        assert status_line == f"HTTP/1.1 {answer.status} {answer.reason}"
        for line in headers[: headers.index("...")] if "..." in headers else headers:
            name, value = line.split(": ", 1)
            assert answer.headers[name] == value, name
    if shown.startswith(("{", "[")):
        _same_json(json.loads(body), json.loads(shown))
    else:
        assert body.rstrip("\n") == shown


@pytest.mark.parametrize("page", PAGES_WITH_CURL)
def test_console_sessions_are_the_real_output(page: str, dev_mock: str) -> None:
    """Check that each curl session a page shows prints what the page shows, step by step in
    order, against the packaged data served with the dev-token as `make serve` serves it."""
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    steps = [(c, out) for c, out in console_session(text) if c.startswith("curl") and c != ON_ANOTHER_HOST]
    assert steps, f"{page} shows no curl session"
    for command, shown in steps:
        command, _, grep = command.partition(" | grep -i ")
        _same_answer(curl(shlex.split(command), dev_mock), shown, grep or None)


async def test_control_api_refusal_on_another_host_is_the_real_output(app_clients: AppClientFactory) -> None:
    """Check the control API page's 403 for a server listening on 0.0.0.0 (in process: nothing
    binds beyond loopback)."""
    from mockserver.dataset import load_records
    from mockserver.resources import default_fixtures_path

    text = (ROOT / "docs" / "control-api.md").read_text(encoding="utf-8")
    steps = console_session(text)
    [serve] = [i for i, (command, _) in enumerate(steps) if "--host 0.0.0.0" in command]
    assert steps[serve][0] == "MOCKSERVER_TOKENS=s3cret mockserver serve --host 0.0.0.0 &"
    command, shown = steps[serve + 1]
    assert command == ON_ANOTHER_HOST
    client = await app_clients(load_records(default_fixtures_path()), host="0.0.0.0", tokens={"s3cret": None})
    answer = await client.get("/__mockserver/health", headers={"Host": "localhost:3000"})
    assert await answer.json() == json.loads(shown)


def _as_shown(text: str, urls: dict[str, str]) -> str:
    """``text`` as the docs print it: the URLs they show (``urls``: actual -> shown), and
    clocks, durations and progress counts (which differ from run to run) as N."""
    for actual, shown in urls.items():
        text = text.replace(actual, shown)
    text = re.sub(r"shows \d+/(\d+) \(\d+%", r"shows N/\1 (N%", text)
    text = re.sub(r"\d{4}-\d\d-\d\d(?:T| )\d\d:\d\d:\d\d[.,]\d+Z?", "TIME", text)
    return re.sub(r"\b\d+(?:\.\d+)?(m?s)\b", r"N\1", text)


def _prints_as_shown(printed: str, shown: str, urls: dict[str, str]) -> None:
    """``printed`` is the ``shown`` output, a ``...`` line standing for any lines."""
    lines = _as_shown(shown, urls).splitlines()
    pattern = "".join(r"(?:.*\n)*?" if line == "..." else re.escape(line) + r"\n" for line in lines)
    assert re.fullmatch(pattern, _as_shown(printed, urls)), printed


@pytest.mark.process
@pytest.mark.slow
def test_record_replay_and_diff_sessions_are_the_real_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """Check docs/record-replay.md's record, replay and diff sessions against a second mock
    serving the packaged data, as the page sets it up: record prints what the page shows and
    writes recorded.json, serve replays it, diff finds the two sides agree (unpaced here)."""
    from mockserver.pytest_plugin import start_train_sessions_api

    steps = console_session((ROOT / "docs" / "record-replay.md").read_text(encoding="utf-8"))
    record, serve, diff = (steps[i] for i in (1, 2, 3))
    assert steps[0][0].startswith("export MOCKSERVER_API_TOKEN=")
    monkeypatch.setenv("MOCKSERVER_API_TOKEN", "qa-token-4e1b")
    monkeypatch.chdir(tmp_path)
    upstream = start_train_sessions_api(tokens={"qa-token-4e1b": None})
    base = upstream.url.rstrip("/")
    try:
        argv = [a.replace("http://127.0.0.1:3000", base) for a in shlex.split(record[0])[1:]]
        assert main(argv) == 0
        _prints_as_shown(capfd.readouterr().err, record[1], {base: SHOWN})
        assert len(load_records(tmp_path / "recorded.json")) == 400

        argv = [a.replace("http://127.0.0.1:3000", base) for a in shlex.split(diff[0])[1:]]
        assert main([*argv, "--rate", "0"]) == 0
        captured = capfd.readouterr()
        printed = captured.out.splitlines(keepends=True)
        printed.insert(-1, captured.err)  # the one stderr line comes before the summary
        _prints_as_shown("".join(printed), diff[1], {base: SHOWN})
    finally:
        upstream.stop()

    command, port = shlex.split(serve[0]), serve[0].rsplit(" ", 1)[1]
    spawned = spawn([sys.executable, "-m", *command[:-1], "0"], MOCK_READY, tmp_path / "serve.log")
    spawned.stop()  # then its output is complete: the curl hint comes after the ready line
    shown = serve[1].replace(f":{port}/", f":{spawned.ready.group('port').decode()}/").splitlines()
    printed = [line for line in spawned.output().splitlines() if not re.match(r"\d{4}-\d\d-\d\d ", line)]
    assert printed[: len(shown)] == shown  # what serve prints, its log lines aside


@pytest.mark.process
def test_proxy_session_is_the_real_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Check docs/record-replay.md's proxy session: in front of the broken mock it names, the
    proxy prints its banner, passes the broken show through unchanged, logs the violation as
    shown and counts it at its health endpoint."""
    steps = console_session((ROOT / "docs" / "record-replay.md").read_text(encoding="utf-8"))
    [first] = [i for i, (command, _) in enumerate(steps) if command.startswith("python -m tests.broken_mock")]
    (broken, _), (export, _), (proxy, printed_shown), (show, show_shown), (health, health_shown) = steps[
        first : first + 5
    ]
    assert shlex.split(export, comments=True) == ["export", "MOCKSERVER_API_TOKEN=dev-token"]
    monkeypatch.setenv("MOCKSERVER_API_TOKEN", "dev-token")
    with running(shlex.split(broken, comments=True)[3]) as index:
        upstream = index.removesuffix("/api/train_sessions")
        argv = [a.replace("http://127.0.0.1:3004", upstream) for a in shlex.split(proxy)]
        ready = re.compile(rb"proxying (?P<url>http://127\.0\.0\.1:\d+) -> ")
        spawned = spawn([sys.executable, "-m", *argv, "--port", "0"], ready, tmp_path / "proxy.log")
        url = spawned.ready.group("url").decode()
        try:
            body = curl(shlex.split(show, comments=True), url, port=3001).body.decode()
            assert body.startswith(show_shown.removesuffix(", ...}")), body
            counters = json.loads(curl(shlex.split(health, comments=True), url, port=3001).body)
            assert counters == json.loads(health_shown.replace("http://127.0.0.1:3004", upstream))
        finally:
            spawned.stop()
    urls = {url: "http://127.0.0.1:3001", upstream: "http://127.0.0.1:3004"}
    _prints_as_shown(spawned.output(), printed_shown + "\n...", urls)


@pytest.mark.process
def test_proxy_down_upstream_session_is_the_real_output(tmp_path: Path) -> None:
    """Check docs/record-replay.md's 502 from a proxy whose upstream is down, as its comment
    starts it."""
    steps = console_session((ROOT / "docs" / "record-replay.md").read_text(encoding="utf-8"))
    [(command, shown)] = [(c, out) for c, out in steps if "127.0.0.1:3006" in c]
    started = shlex.split(command.split("# ", 1)[1])  # proxy --upstream http://127.0.0.1:9 --port 3006
    assert started[:3] == ["proxy", "--upstream", "http://127.0.0.1:9"] and started[3:] == ["--port", "3006"]
    ready = re.compile(rb"proxying (?P<url>http://127\.0\.0\.1:\d+) -> ")
    argv = [sys.executable, "-m", "mockserver", *started[:3], "--port", "0"]
    spawned = spawn(argv, ready, tmp_path / "proxy.log")
    try:
        answer = curl(shlex.split(command, comments=True), spawned.ready.group("url").decode(), port=3006)
    finally:
        spawned.stop()
    _same_answer(answer, shown, None)
