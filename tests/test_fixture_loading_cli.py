"""``mockserver serve`` on broken fixture files and bad flags: exit 2, one clear message, no serving.

Run as subprocesses with a timeout: a server that wrongly starts on a broken file would
otherwise serve forever, and "never serves a partial dataset" is a property of the real process.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from mockserver.cli import main

from .server_process import serve

RECORD: dict[str, object] = {
    "id": 1,
    "course_code": "WHMIS",
    "score": 80,
    "percent_complete": 100,
    "failed_attempts": 0,
    "status": "Completed",
    "cert_expiry": "2016-02-06",
    "completion_date": "2015-02-06",
    "complete_by": "2015-03-31",
    "full_name": "Michelle Dragsta",
    "time_spent": "1.5",
}


def _records(n: int = 3) -> list[dict[str, object]]:
    return [{**RECORD, "id": i} for i in range(1, n + 1)]


SERVE = [
    sys.executable,
    "-m",
    "mockserver",
    "serve",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--no-auth",
    "--quiet",
]


def _serve(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SERVE, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*SERVE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL
    )


def _assert_refused(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Exit 2, one ``mockserver: error:`` message holding ``fragments``, no traceback, no banner."""
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output
    assert "listening on" not in output and "serving" not in result.stdout
    assert result.stderr.count("mockserver: error:") == 1, result.stderr
    message = result.stderr[result.stderr.index("mockserver: error:") :]
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


def _write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data))
    return path


def _with(index: int, **changes: object) -> list[dict[str, object]]:
    records = _records()
    records[index] = {**records[index], **changes}
    return records


BROKEN: dict[str, tuple[Callable[[Path], Path], tuple[str, ...]]] = {
    "invalid JSON": (lambda p: (p.write_text('[{"id": 1,'), p)[1], ("invalid JSON", "line 1")),
    "not an array": (lambda p: _write_json(p, {"records": []}), ("expected a JSON array",)),
    "record not an object": (lambda p: _write_json(p, [*_records(2), 3]), ("record 2", "expected an object")),
    "wrong type": (
        lambda p: _write_json(p, _with(1, score="80")),
        ("record 1", "id=2", "field 'score'", "integer"),
    ),
    "boolean as integer": (
        lambda p: _write_json(p, _with(2, failed_attempts=True)),
        ("record 2", "field 'failed_attempts'", "boolean"),
    ),
    "null in a required field": (
        lambda p: _write_json(p, _with(0, full_name=None)),
        ("record 0", "field 'full_name'", "null"),
    ),
    "missing field": (
        lambda p: _write_json(p, [{k: v for k, v in RECORD.items() if k != "status"}]),
        ("record 0", "field 'status'", "missing"),
    ),
    "duplicate ids": (
        lambda p: _write_json(p, _with(2, id=1)),
        ("record 2", "id=1", "duplicate id", "record 0"),
    ),
    "unknown key": (
        lambda p: _write_json(p, _with(1, scroe=80)),
        ("record 1", "field 'scroe'", "unknown key", "did you mean 'score'"),
    ),
    "bad date shape": (
        lambda p: _write_json(p, _with(1, completion_date="06/02/2015")),
        ("record 1", "field 'completion_date'", "YYYY-MM-DD"),
    ),
    "no such date": (
        lambda p: _write_json(p, _with(1, cert_expiry="2015-02-30")),
        ("record 1", "field 'cert_expiry'", "no such date"),
    ),
    "decimal as number": (
        lambda p: _write_json(p, _with(0, time_spent=1.5)),
        ("record 0", "field 'time_spent'", "decimal"),
    ),
    "id out of int4": (lambda p: _write_json(p, _with(0, id=2**31)), ("record 0", "field 'id'")),
    "UTF-16": (
        lambda p: (p.write_bytes(json.dumps(_records()).encode("utf-16")), p)[1],
        ("not valid UTF-8", "UTF-16"),
    ),
    "Latin-1": (
        lambda p: (
            p.write_bytes(json.dumps(_with(0, full_name="Hélène"), ensure_ascii=False).encode("latin-1")),
            p,
        )[1],
        ("not valid UTF-8", "byte 0xe9"),
    ),
    "missing file": (lambda p: p.with_name("absent.json"), ("cannot read the file",)),
    "a directory": (lambda p: p.parent, ("cannot read the file",)),
}


@pytest.mark.process
@pytest.mark.slow
def test_broken_fixture_files_are_refused(tmp_path: Path) -> None:
    """Check that serve exits 2 on each broken file with one message naming file, record and
    field, and never serves (all kinds at once: one server process each, run concurrently)."""
    runs = {}
    for n, (kind, (make, fragments)) in enumerate(BROKEN.items()):
        directory = tmp_path / str(n)
        directory.mkdir()
        path = make(directory / "fixture.json")
        runs[kind] = (_spawn("--fixtures", str(path)), (str(path), *fragments))
    failures = []
    for kind, (process, fragments) in runs.items():
        out, err = process.communicate(timeout=60)
        result = subprocess.CompletedProcess(process.args, process.returncode, out, err)
        try:
            _assert_refused(result, *fragments)
        except AssertionError as exc:
            failures.append(f"{kind}: {exc}")
    assert failures == []


@pytest.mark.process
def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """Check that a file with several broken records lists each one, not just the first."""
    records = _records(4)
    records[1]["score"] = "x"
    records[3]["complete_by"] = "tomorrow"
    path = _write_json(tmp_path / "fixture.json", records)
    message = _assert_refused(_serve("--fixtures", str(path)), "2 problems")
    assert "record 1" in message and "record 3" in message


@pytest.mark.process
def test_large_file_with_one_bad_record_at_the_end(tmp_path: Path) -> None:
    """Check that a ~50 MB file whose last record is broken is refused whole, naming that record."""
    count = 160_000
    head, tail = json.dumps({**RECORD, "id": 0}).split('"id": 0')
    lines = [f'{head}"id": {i}{tail}' for i in range(1, count)]
    lines.append(json.dumps({**RECORD, "id": count, "percent_complete": "100%"}))
    path = tmp_path / "large.json"
    path.write_text("[\n" + ",\n".join(lines) + "\n]\n")
    assert path.stat().st_size > 40_000_000
    _assert_refused(
        _serve("--fixtures", str(path), timeout=120),
        f"record {count - 1}",
        f"id={count}",
        "field 'percent_complete'",
    )


@pytest.mark.process
@pytest.mark.parametrize("source", ["generated file", "--count 0"])
def test_an_empty_account_is_served_everywhere(tmp_path: Path, source: str) -> None:
    """Check the one rule for empty data (an empty account is real: the live API answers [])
    on the CLI: what `generate --count 0` writes, serve --fixtures serves, and so does --count 0."""
    if source == "--count 0":
        args: tuple[str, ...] = ("--count", "0")
    else:
        path = tmp_path / "empty.json"
        assert main(["generate", "--count", "0", "--out", str(path)]) == 0
        args = ("--fixtures", str(path))
    with (
        serve(tmp_path, *args, "--no-auth") as server,
        urllib.request.urlopen(server.base + "/api/train_sessions", timeout=10) as answer,
    ):
        assert answer.status == 200 and answer.read() == b"[]"
    assert "serving 0 train sessions" in server.logs() and "every index answers []" in server.logs()


@pytest.mark.process
def test_port_in_use_is_a_clear_usage_error(tmp_path: Path) -> None:
    """Check that a taken --port exits 2 naming the address, before any data is loaded."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = _serve("--port", str(port))
    _assert_refused(result, f"127.0.0.1:{port}", "address already in use")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--bogus",), "unrecognized arguments: --bogus"),
        (("--port", "abc"), "--port"),
        (("--port", "70000"), "--port 70000"),
        (("--workers", "0"), "--workers 0"),
        (("--count", "-1"), "--count -1"),
        (("--token", "=acme"), "token is empty"),
        (("--fixtures", "x.json", "--count", "5"), "exclusive"),
    ],
)
def test_bad_flags_exit_2(args: tuple[str, ...], fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Check that each bad flag exits 2 with one message that names it (rejected before binding,
    so ``main`` runs in process)."""
    code = main(["serve", "--host", "127.0.0.1", "--port", "0", *args])
    out, err = capsys.readouterr()
    _assert_refused(subprocess.CompletedProcess(args, code, out, err), fragment)


@pytest.mark.parametrize("other", [("--seed", "3"), ("--count", "5")])
def test_a_file_and_generated_data_are_refused_together(
    other: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Check that serve --fixtures F --seed 3 is refused in one line (--seed used to be ignored)."""
    assert main(["serve", "--fixtures", "x.json", *other, "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("mockserver: error: --fixtures x.json and " + other[0])


def test_a_flag_data_source_replaces_the_environments(monkeypatch: pytest.MonkeyPatch) -> None:
    """Check that the data source is chosen as a whole: --count over $MOCKSERVER_FIXTURES generates."""
    from mockserver.settings import build_settings

    settings = build_settings({"count": 5}, {"MOCKSERVER_FIXTURES": "x.json"})
    assert settings.fixtures is None and settings.count == 5 and settings.seed == 0
    assert settings.sources["count"] == "flag" and "fixtures" not in settings.sources
