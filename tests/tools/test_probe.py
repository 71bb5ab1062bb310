"""``mockserver probe``: the table and JSON against the real mock and a broken one."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from mockserver.cli import main
from mockserver.pytest_plugin import TrainSessionsAPI

from ..broken_mock import running


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
