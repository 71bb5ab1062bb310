"""README examples that must match what the commands really print (issue 11: a new user was
misled by examples naming files that did not exist or showing other output)."""

from __future__ import annotations

import io
import json
import os
import shlex
from collections.abc import Iterator
from typing import Any

import pytest

from mockserver.cli import main

from .doc_examples import ROOT, console_session, curl, section, shell_commands
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


def test_xml_show_example_is_the_real_answer() -> None:
    """Check that the docs' `curl …/1.xml` answer is what the mock serves for the packaged data."""
    import urllib.request

    from mockserver.pytest_plugin import start_train_sessions_api

    command = (
        "curl -s -H 'Authorization: Token token=\"dev-token\"' http://127.0.0.1:3000/api/train_sessions/1.xml"
    )
    api = start_train_sessions_api(tokens={"dev-token": None})
    try:
        request = urllib.request.Request(api.url_for("/api/train_sessions/1.xml"), headers=api.headers)
        body = urllib.request.urlopen(request, timeout=10).read().decode()
    finally:
        api.stop()
    assert body.strip() == _block_after(command)


@pytest.fixture(scope="module")
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


def test_control_api_sessions_are_the_real_output(dev_mock: str) -> None:
    """Check that the curl sessions of docs/control-api.md (faults, journal, records, the course
    player's aid) print what the page shows, in order, on the packaged data."""
    page = (ROOT / "docs" / "control-api.md").read_text(encoding="utf-8")
    steps = [(c, out) for c, out in console_session(page) if c.startswith("curl") and "health" not in c]
    assert len(steps) == 8
    for command, shown in steps:
        answer = curl(shlex.split(command), dev_mock)
        if "-i" not in command:
            _same_json(json.loads(answer.body), json.loads(shown))
            continue
        head, _, body = shown.partition("\n\n")
        status_line, *headers = head.splitlines()
        assert status_line == f"HTTP/1.1 {answer.status} {answer.reason}"
        for line in headers[: headers.index("...")]:
            name, value = line.split(": ", 1)
            assert answer.headers[name] == value, name
        assert answer.body.decode().rstrip("\n") == body
