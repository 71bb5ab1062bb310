"""``mockserver diff``: identical sides agree; defects and other data are found and explained."""

from __future__ import annotations

import contextlib
import io
import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mockserver.cli import main
from mockserver.dataset import load_records
from mockserver.generate import generate_records, write_fixture
from mockserver.model import FILTERS_BY_NAME, PUBLIC_FIELDS
from mockserver.pytest_plugin import TrainSessionsAPI, _ServerThread
from mockserver.resources import default_fixtures_path
from mockserver.server.state import ServerState
from mockserver.server.store import Store
from mockserver.tools.diff_queries import NOT_COMPARABLE, generate_queries
from mockserver.tools.diff_rules import explain

from ..broken_mock import build_app

TOKEN = "diff-secret-c41b"
Factory = Callable[..., TrainSessionsAPI]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def public(record: dict[str, Any]) -> dict[str, Any]:
    return {name: record[name] for name in PUBLIC_FIELDS}


@pytest.fixture(scope="module")
def packaged_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What 'record' writes for the packaged dataset: its public fields only."""
    path = tmp_path_factory.mktemp("recording") / "packaged.json"
    write_fixture(path, [public(r) for r in load_records(default_fixtures_path())])
    return path


@contextlib.contextmanager
def broken(defect: str) -> Iterator[str]:
    """tests/broken_mock.py's app with ``defect``, in a thread on a free port (token dev-token)."""
    server = _ServerThread(build_app(defect, default_fixtures_path()), ServerState(Store([])))
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


def test_record_then_diff_agrees(train_sessions_api_factory: Factory, tmp_path: Path) -> None:
    """Check the QA workflow on identical sides: record, then diff exits 0 within its budget and
    lists the hidden-attribute filters as not comparable."""
    upstream = train_sessions_api_factory(records=generate_records(5, 80), tokens={TOKEN: None})
    recording = tmp_path / "rec.json"
    assert (
        run(
            "record", "--upstream", upstream.url, "--api-token", TOKEN, "--out", str(recording), "--rate", "0"
        )[0]
        == 0
    )
    before = len(upstream.requests)
    code, out, err = run(
        "diff",
        "--upstream",
        upstream.url,
        "--api-token",
        TOKEN,
        "--fixtures",
        str(recording),
        "--max-requests",
        "60",
        "--rate",
        "0",
        "--seed",
        "4",
    )
    assert code == 0, out + err
    assert len(upstream.requests) - before <= 60
    assert re.search(r"diff: \d+ queries, 0 disagree", out) and "DIFFERS" not in out
    for name in NOT_COMPARABLE:
        assert name in out
    assert TOKEN not in out + err


@pytest.mark.parametrize(
    ("defect", "rule"),
    [
        ("gt_inclusive", "cert_expiry_gt is strict in Ransack (>); upstream looks inclusive (>=)"),
        ("lteq_strict", "completion_date_lteq is inclusive in Ransack (<=); upstream looks strict (<)"),
        (
            "cont_case_sensitive",
            "_cont is case-insensitive in Ransack (ILIKE); upstream looks case-sensitive",
        ),
        ("cont_wildcards", "%, _ and \\ are literal in Ransack's _cont; upstream treats them as wildcards"),
        ("ignore_score_eq", "upstream ignores score_eq="),
        ("and_becomes_or", "Ransack ANDs the filters; upstream looks like it ORs them"),
        ("null_dates_match", "NULL never matches in Ransack (SQL)"),
    ],
)
def test_defect_is_found_and_explained(defect: str, rule: str, packaged_recording: Path) -> None:
    """Check that a one-defect upstream makes diff exit 1, printing the query, the ids only on
    one side and the Ransack rule the upstream breaks."""
    with broken(defect) as url:
        code, out, err = run(
            "diff",
            "--upstream",
            url,
            "--api-token",
            "dev-token",
            "--fixtures",
            str(packaged_recording),
            "--max-requests",
            "80",
            "--rate",
            "0",
            "--seed",
            "3",
        )
    assert code == 1, out + err
    assert re.search(r"^DIFFERS  \S", out, re.M)
    assert re.search(r"^  only (upstream|the mock) \(\d+\): \d+", out, re.M)
    assert f"why: {rule}" in out, out


def test_different_data_stops_at_the_unfiltered_index(
    train_sessions_api_factory: Factory, tmp_path: Path
) -> None:
    """Check that an upstream holding other data is one disagreement on the unfiltered index,
    with the advice to record again, and costs a single upstream request."""
    upstream = train_sessions_api_factory(records=generate_records(1, 40), tokens={TOKEN: None})
    recording = tmp_path / "other.json"
    write_fixture(recording, [public(r) for r in generate_records(2, 40)])
    code, out, _ = run(
        "diff",
        "--upstream",
        upstream.url,
        "--api-token",
        TOKEN,
        "--fixtures",
        str(recording),
        "--rate",
        "0",
        "--seed",
        "1",
    )
    assert code == 1 and "DIFFERS  (no filter)" in out and "run record again" in out
    assert len(upstream.requests) == 1


def test_course_name_half_is_not_comparable(
    train_sessions_api_factory: Factory, packaged_recording: Path
) -> None:
    """Check that ids the upstream finds through course_name (absent from the recording) are
    counted as not comparable, not as disagreements."""
    upstream = train_sessions_api_factory(tokens={TOKEN: None})  # packaged data: has course_name
    code, out, _ = run(
        "diff",
        "--upstream",
        upstream.url,
        "--api-token",
        TOKEN,
        "--fixtures",
        str(packaged_recording),
        "--max-requests",
        "100",
        "--rate",
        "0",
        "--seed",
        "3",
    )
    assert code == 0, out
    match = re.search(r"(\d+) differ only through course_name", out)
    assert match and int(match.group(1)) > 0


def test_upstream_down_is_exit_2(packaged_recording: Path) -> None:
    """Check that an unreachable upstream is a usage/input error (exit 2), not a disagreement."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, _, err = run(
        "diff",
        "--upstream",
        f"http://127.0.0.1:{port}",
        "--api-token",
        TOKEN,
        "--fixtures",
        str(packaged_recording),
    )
    assert code == 2 and "cannot connect" in err and TOKEN not in err


def test_queries_never_use_unrecordable_filters_and_repeat_with_the_seed() -> None:
    """Check that generated queries skip the hidden-attribute filters, never repeat, and that the
    same seed gives the same queries."""
    records = [public(r) for r in generate_records(9, 50)]
    first = [q for q, _ in zip(generate_queries(records, 7), range(300), strict=False)]
    again = [q for q, _ in zip(generate_queries(records, 7), range(300), strict=False)]
    assert first == again and len(set(first)) == len(first)
    names = {name for query in first for name, _ in query}
    assert not names & {"assignee_login_username_eq", "last_attempt_eq"}
    assert "course_code_or_course_name_cont" in names and "cert_expiry_gt" in names


@pytest.mark.parametrize(
    ("name", "value", "record", "upstream_has", "expected"),
    [
        ("cert_expiry_gt", "2016-02-06", {"cert_expiry": "2016-02-06"}, True, "strict in Ransack"),
        ("cert_expiry_gt", "2016-02-06", {"cert_expiry": None}, True, "NULL never matches"),
        (
            "completion_date_gteq",
            "2015-01-01",
            {"completion_date": "2015-01-01"},
            False,
            "inclusive in Ransack",
        ),
        (
            "completion_date_gteq",
            "Jan 5 2015",
            {"completion_date": "2015-01-09"},
            False,
            "lenient Date.parse",
        ),
        ("score_eq", "80abc", {"score": 80}, False, "Ruby's to_i (to 80)"),
        ("full_name_cont", " \u00a0", {"full_name": "Ann"}, False, "blank value drops"),
        ("full_name_cont", "ANN", {"full_name": "Joanne"}, False, "case-insensitive"),
        ("full_name_cont", "a_n", {"full_name": "Alan"}, True, "literal"),
        ("full_name_cont", "e", {"full_name": "Zoé"}, True, "does not fold accents"),
        ("full_name_cont", "ann", {"full_name": "Ann"}, True, None),
    ],
)
def test_explain_names_the_rule(
    name: str, value: str, record: dict[str, Any], upstream_has: bool, expected: str | None
) -> None:
    """Check that each Ransack rule is recognised from the value and the recorded record."""
    found = explain(FILTERS_BY_NAME[name], value, record, upstream_has)
    if expected is None:
        assert found is None
    else:
        assert found is not None and expected in found.rule


def test_throttled_upstream_is_not_a_disagreement(
    train_sessions_api_factory: Factory, packaged_recording: Path
) -> None:
    """Check that 503s that outlast the retries stop the run with exit 2 instead of being
    reported as filter disagreements."""
    upstream = train_sessions_api_factory(tokens={TOKEN: None})
    upstream.fail_next(status=503, times=None, path="/api/train_sessions")
    code, out, err = run(
        "diff",
        "--upstream",
        upstream.url,
        "--api-token",
        TOKEN,
        "--fixtures",
        str(packaged_recording),
        "--rate",
        "0",
        "--retries",
        "0",
    )
    assert code == 2 and "503" in err and "DIFFERS" not in out


def test_progress_goes_to_stderr(
    train_sessions_api_factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check that diff reports progress on stderr while it runs (it printed nothing for 40 s),
    leaving stdout to the report."""
    from mockserver.tools import diff

    monkeypatch.setattr(diff, "PROGRESS_SECONDS", 0.0)
    upstream = train_sessions_api_factory(records=generate_records(5, 40), tokens={TOKEN: None})
    recording = tmp_path / "rec.json"
    write_fixture(recording, [public(r) for r in generate_records(5, 40)])
    code, out, err = run(
        "diff", "--upstream", upstream.url, "--api-token", TOKEN, "--fixtures", str(recording),
        "--max-requests", "12", "--rate", "0", "--seed", "4",
    )  # fmt: skip
    assert code == 0, out + err
    lines = re.findall(r"mockserver: diff: (\d+)/12 upstream requests, (\d+) queries", err)
    assert len(lines) >= 5
    assert [int(sent) for sent, _ in lines] == sorted(int(sent) for sent, _ in lines)
    assert "upstream requests," not in out
