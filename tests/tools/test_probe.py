"""``mockserver probe``: the table and JSON against the real mock and a broken one."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from mockserver.cli import main
from mockserver.pytest_plugin import TrainSessionsAPI

from ..broken_mock import running


@pytest.mark.process
def test_probe_real_mock_agrees_with_ransack(capsys: pytest.CaptureFixture[str]) -> None:
    """Check that every probed behaviour of the real mock is Ransack's (exit 0) and the table names them."""
    with running("none") as url:
        assert main(["probe", url]) == 0
    out = capsys.readouterr().out
    for behaviour in (
        "_cont case-insensitive",
        "whitespace stripped",
        "cert_expiry_gt on a present date",
        "unknown parameters",
        ".json suffix",
        "404 body (absent id)",
        "auth header Bearer T",
    ):
        assert behaviour in out
    assert "DIFFERS" not in out and "0 differ from Ransack" in out


@pytest.mark.parametrize(
    ("defect", "behaviour", "seen"),
    [
        ("gt_inclusive", "cert_expiry_gt on a present date", "inclusive >="),
        ("cont_case_sensitive", "_cont case-insensitive", "no (case-sensitive)"),
        ("bearer_refused", "auth header Bearer T", "401"),
    ],
)
@pytest.mark.process
def test_probe_json_reports_a_difference(
    defect: str, behaviour: str, seen: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Check that --json reports what a broken endpoint did, flags it, and exits 1."""
    with running(defect) as url:
        assert main(["probe", url, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    finding = next(f for f in report["findings"] if f["behaviour"] == behaviour)
    assert finding["endpoint"] == seen and finding["verdict"] == "DIFFERS"
    assert report["differs"] >= 1 and report["requests"] <= 30


def test_probe_unreachable_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """Check that an endpoint that cannot be reached is a one-line error, exit 2."""
    assert main(["probe", "http://127.0.0.1:9/api/train_sessions", "--timeout", "2"]) == 2
    assert capsys.readouterr().err.startswith("mockserver: error: cannot reach")


def test_probe_reads_the_token_from_the_environment(
    train_sessions_api_factory: Callable[..., TrainSessionsAPI],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Check that probe takes $MOCKSERVER_API_TOKEN, as every other tool does (no token on the
    command line, where ps shows it), and that its 401 message is text, not a bytes repr."""
    api = train_sessions_api_factory(tokens={"probe-secret": None})
    assert main(["probe", api.url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "answered 401" in err and "$MOCKSERVER_API_TOKEN" in err
    assert "b'" not in err and 'b"' not in err and "HTTP Token: Access denied." in err
    monkeypatch.setenv("MOCKSERVER_API_TOKEN", "probe-secret")
    assert main(["probe", api.url]) == 0
    assert "0 differ from Ransack" in capsys.readouterr().out


@pytest.mark.parametrize("index_status", [200, 500])
def test_probe_scrubs_a_token_the_endpoint_reflects(
    index_status: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """Check that a token an endpoint echoes in its bodies reaches neither the report (table
    or JSON) nor the error line."""
    from aiohttp import web

    from mockserver.pytest_plugin import _ServerThread
    from mockserver.server.state import ServerState
    from mockserver.server.store import Store

    token = "probe-secret-31c9"

    async def reflect(request: web.Request) -> web.Response:
        sent = request.headers.get("Authorization", "")
        if request.path == "/api/train_sessions" and index_status == 200:
            return web.json_response([{"id": 1, "echo": sent}])
        return web.json_response(
            {"status": 404, "error": sent}, status=index_status if index_status != 200 else 404
        )

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", reflect)
    server = _ServerThread(app, ServerState(Store([])))
    try:
        url = f"http://127.0.0.1:{server.port}/api/train_sessions"
        for extra in ([], ["--json"]):
            code = main(["probe", url, "--api-token", token, "--timeout", "5", *extra])
            captured = capsys.readouterr()
            assert code in (1, 2) and token not in captured.out + captured.err
            if extra or index_status != 200:  # the table's cells are too narrow to show it
                assert "$MOCKSERVER_API" in captured.out + captured.err
    finally:
        server.stop()
