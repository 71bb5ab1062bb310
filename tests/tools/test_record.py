"""``mockserver record``: against the mock as the upstream, and against stubs that misbehave."""

from __future__ import annotations

import contextlib
import io
import json
import socket
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from mockserver.cli import main
from mockserver.dataset import load_records
from mockserver.generate import generate_records
from mockserver.model import HIDDEN_FIELDS, PUBLIC_FIELDS
from mockserver.pytest_plugin import TrainSessionsAPI, _ServerThread
from mockserver.server.state import ServerState
from mockserver.server.store import Store

from ..server_process import serve

TOKEN = "rec-secret-7f3a9c"
Factory = Callable[..., TrainSessionsAPI]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return generate_records(11, 60, accounts=("acme", "other"))


@pytest.fixture
def upstream(train_sessions_api_factory: Factory, records: list[dict[str, Any]]) -> TrainSessionsAPI:
    return train_sessions_api_factory(records=records, tokens={TOKEN: "acme"})


@contextlib.contextmanager
def serve_stub(app: web.Application) -> Iterator[str]:
    """Serve ``app`` on a free loopback port from a thread (main() runs its own event loop)."""
    server = _ServerThread(app, ServerState(Store([])))
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


def public(record: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {name: record[name] for name in PUBLIC_FIELDS} | changes


def stub_app(index: Callable[[], web.Response], shows: dict[int, Any]) -> web.Application:
    """An upstream answering ``index()`` for the index and ``shows[id]`` (JSON) for each show."""

    async def handle(request: web.Request) -> web.Response:
        tail = request.match_info["tail"]
        if not tail:
            return index()
        return web.json_response(shows[int(tail)])

    app = web.Application()
    app.router.add_get("/api/train_sessions{slash:/?}{tail:[0-9]*}", handle)
    return app


@pytest.mark.process
def test_record_writes_the_tokens_view_and_serve_replays_it(
    upstream: TrainSessionsAPI, records: list[dict[str, Any]], tmp_path: Path
) -> None:
    """Check that record writes the token's records without hidden attributes or the token,
    and that 'serve --fixtures' on the file answers the index with the upstream's bytes."""
    out = tmp_path / "recorded.json"
    code, stdout, stderr = run(
        "record", "--upstream", upstream.url, "--api-token", TOKEN, "--out", str(out), "--rate", "0"
    )
    assert code == 0, stderr
    mine = sorted((r for r in records if r.get("account") == "acme"), key=lambda r: r["id"])
    assert [r["id"] for r in load_records(out)] == [r["id"] for r in mine]
    text = out.read_text(encoding="utf-8")
    assert all(f'"{name}"' not in text for name in HIDDEN_FIELDS)
    assert json.loads(text) == [public(r) for r in mine]
    assert TOKEN not in text + stdout + stderr
    assert f"wrote {len(mine)} records" in stderr and "shows" in stderr

    with serve(tmp_path, "--fixtures", str(out), "--token", "replay-token", "--quiet") as server:
        replay = urllib.request.Request(
            f"{server.base}/api/train_sessions", headers={"Authorization": 'Token token="replay-token"'}
        )
        live = urllib.request.Request(upstream.url_for(), headers=upstream.headers)
        with urllib.request.urlopen(replay, timeout=10) as a, urllib.request.urlopen(live, timeout=10) as b:
            assert a.read() == b.read()


def test_token_comes_from_the_environment(
    upstream: TrainSessionsAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check that MOCKSERVER_API_TOKEN stands in for --api-token, and that without either record
    refuses to start (exit 2)."""
    monkeypatch.setenv("MOCKSERVER_API_TOKEN", TOKEN)
    code, _, stderr = run(
        "record", "--upstream", upstream.url, "--out", str(tmp_path / "a.json"), "--rate", "0"
    )
    assert code == 0, stderr
    monkeypatch.delenv("MOCKSERVER_API_TOKEN")
    code, _, stderr = run("record", "--upstream", upstream.url, "--out", str(tmp_path / "b.json"))
    assert code == 2 and "no API token" in stderr and not (tmp_path / "b.json").exists()


def test_refused_token_is_named_by_variable(upstream: TrainSessionsAPI, tmp_path: Path) -> None:
    """Check that a 401 is exit 2 with a hint naming $MOCKSERVER_API_TOKEN, never the token sent."""
    wrong = "wrong-secret-91b2"
    code, stdout, stderr = run(
        "record", "--upstream", upstream.url, "--api-token", wrong, "--out", str(tmp_path / "r.json")
    )
    assert code == 2 and "answered 401" in stderr and "$MOCKSERVER_API_TOKEN" in stderr
    assert wrong not in stdout + stderr and not (tmp_path / "r.json").exists()


def test_schema_violation_is_located_and_nothing_is_written(
    records: list[dict[str, Any]], tmp_path: Path
) -> None:
    """Check that a record breaking schemas/ is reported with its id and JSON pointer, exit 1,
    and no file (not even a partial one) is written."""
    good, bad = public(records[0]), public(records[1], score="high")
    shown = {good["id"]: good, bad["id"]: public(records[1], extra=1)}
    app = stub_app(lambda: web.json_response([good, bad]), shown)
    out = tmp_path / "r.json"
    with serve_stub(app) as url:
        code, _, stderr = run(
            "record", "--upstream", url, "--api-token", TOKEN, "--out", str(out), "--rate", "0"
        )
    assert code == 1
    assert f"id {bad['id']}, /1/score: 'high' is not of type 'integer'" in stderr
    assert "[type at record.schema.json#/properties/score/type]" in stderr
    assert "nothing written" in stderr and not out.exists() and list(tmp_path.iterdir()) == []


def test_show_that_breaks_the_schema_fails_the_recording(
    records: list[dict[str, Any]], tmp_path: Path
) -> None:
    """Check that each show is validated too: an extra key in one show is exit 1, naming its id."""
    good = public(records[0])
    app = stub_app(lambda: web.json_response([good]), {good["id"]: good | {"created_at": "x"}})
    with serve_stub(app) as url:
        code, _, stderr = run(
            "record",
            "--upstream",
            url,
            "--api-token",
            TOKEN,
            "--out",
            str(tmp_path / "r.json"),
            "--rate",
            "0",
        )
    assert code == 1 and f"/{good['id']}: id {good['id']}" in stderr and "created_at" in stderr
    assert not (tmp_path / "r.json").exists()


def test_invalid_json_is_a_violation(tmp_path: Path) -> None:
    """Check that an index body that is not JSON is exit 1 with 'not JSON', nothing written."""
    app = stub_app(lambda: web.Response(body=b'[{"id": 1,', content_type="application/json"), {})
    with serve_stub(app) as url:
        code, _, stderr = run(
            "record", "--upstream", url, "--api-token", TOKEN, "--out", str(tmp_path / "r.json")
        )
    assert code == 1 and "the body is not JSON" in stderr and not (tmp_path / "r.json").exists()


def test_upstream_down_is_exit_2(tmp_path: Path) -> None:
    """Check that a closed port is reported as such (exit 2), not as an empty recording."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, _, stderr = run(
        "record",
        "--upstream",
        f"http://127.0.0.1:{port}",
        "--api-token",
        TOKEN,
        "--out",
        str(tmp_path / "r.json"),
    )
    assert code == 2 and "cannot connect" in stderr and "nothing written" in stderr
    assert TOKEN not in stderr and not (tmp_path / "r.json").exists()


def test_slow_upstream_times_out(upstream: TrainSessionsAPI, tmp_path: Path) -> None:
    """Check that an upstream slower than --timeout fails the run after the retries (exit 2)."""
    upstream.delay(1500)
    started = time.monotonic()
    code, _, stderr = run(
        "record",
        "--upstream",
        upstream.url,
        "--api-token",
        TOKEN,
        "--out",
        str(tmp_path / "r.json"),
        "--timeout",
        "0.2",
        "--retries",
        "1",
    )
    assert code == 2 and "no answer within 0.2s" in stderr, stderr
    assert time.monotonic() - started < 1.5 and not (tmp_path / "r.json").exists()


def test_429_and_503_are_retried_after_retry_after(records: list[dict[str, Any]], tmp_path: Path) -> None:
    """Check that a 429 with Retry-After: 1 is waited out and retried, then the run succeeds."""
    good = public(records[0])
    answers = [
        web.Response(status=429, headers={"Retry-After": "1"}),
        web.Response(status=503, headers={"Retry-After": "0"}),
    ]
    app = stub_app(lambda: answers.pop(0) if answers else web.json_response([good]), {good["id"]: good})
    started = time.monotonic()
    with serve_stub(app) as url:
        code, _, stderr = run(
            "record",
            "--upstream",
            url,
            "--api-token",
            TOKEN,
            "--out",
            str(tmp_path / "r.json"),
            "--rate",
            "0",
        )
    assert code == 0, stderr
    assert time.monotonic() - started >= 1.0 and "2 retried" in stderr
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8")) == [good]


@pytest.mark.parametrize("value", ["\u00b2", "\u0663", "\uff11", "1\u00b2"])
def test_retry_after_in_other_digits_is_backoff(
    value: str, records: list[dict[str, Any]], tmp_path: Path
) -> None:
    """Check that a Retry-After of non-ASCII digits ('²'.isdigit() is True, float('²') raises)
    is read as no Retry-After: the run backs off, retries and succeeds, without a traceback."""
    good = public(records[0])
    answers = [web.Response(status=503, headers={"Retry-After": value})]
    app = stub_app(lambda: answers.pop(0) if answers else web.json_response([good]), {good["id"]: good})
    with serve_stub(app) as url:
        code, _, stderr = run(
            "record",
            "--upstream",
            url,
            "--api-token",
            TOKEN,
            "--out",
            str(tmp_path / "r.json"),
            "--rate",
            "0",
        )
    assert code == 0 and "1 retried" in stderr, stderr
    assert "Traceback" not in stderr


def test_rate_paces_requests(upstream: TrainSessionsAPI, tmp_path: Path) -> None:
    """Check that --rate R keeps the run at R requests per second or fewer."""
    upstream.replace([public(r, account="acme") for r in generate_records(3, 5)])
    started = time.monotonic()
    code, _, stderr = run(
        "record",
        "--upstream",
        upstream.url,
        "--api-token",
        TOKEN,
        "--out",
        str(tmp_path / "r.json"),
        "--rate",
        "20",
    )
    assert code == 0, stderr
    assert time.monotonic() - started >= 5 / 20  # 6 requests, 5 intervals of 50 ms
    assert len(upstream.requests) == 6
