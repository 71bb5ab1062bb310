"""``mockserver validate``: every violation with pointer, value and rule; exit codes 0/1/2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockserver.cli import main
from mockserver.resources import default_fixtures_path

PUBLIC = (
    "id",
    "course_code",
    "score",
    "percent_complete",
    "failed_attempts",
    "status",
    "cert_expiry",
    "completion_date",
    "complete_by",
    "full_name",
    "time_spent",
)


def _records() -> list[dict[str, object]]:
    fixtures = json.loads(default_fixtures_path().read_text(encoding="utf-8"))
    return [{k: r[k] for k in PUBLIC} for r in fixtures]


def _write(tmp_path: Path, document: object, name: str = "doc.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_valid_fixture_file(capsys: pytest.CaptureFixture[str]) -> None:
    """Check that the default fixture file is detected as a fixture and is valid."""
    assert main(["validate", str(default_fixtures_path())]) == 0
    assert "valid against the fixture schema (detected, 400 items)" in capsys.readouterr().out


def test_every_violation_is_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Check that each broken record is reported with its JSON pointer, value and schema rule."""
    records = _records()
    records[3]["score"] = "80"
    records[5]["cert_expiry"] = "2015-02-30"
    records[7]["extra"] = 1
    del records[9]["time_spent"]
    assert main(["validate", _write(tmp_path, records)]) == 1
    out = capsys.readouterr().out
    assert "/3/score: '80' is not of type 'integer'" in out
    assert 'value: "80"' in out and "rule:  type at record.schema.json#/properties/score/type" in out
    assert "/5/cert_expiry: '2015-02-30' is not a 'date'" in out
    assert "/7: Additional properties are not allowed" in out
    assert "/9: 'time_spent' is a required property" in out
    assert "4 violations of the list schema (detected, 400 items)" in out


@pytest.mark.parametrize(
    ("document", "schema", "pointer"),
    [
        ({"status": 404}, "error", "'error' is a required property"),
        ({"id": 0}, "record", "/id: 0 is less than the minimum of 1"),
        ([{"id": 1, "course_code": "X", "account": 3}], "fixture", "/0/account: 3 is not of type"),
    ],
)
def test_schema_option_and_pointers(
    document: object, schema: str, pointer: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Check that --schema picks the schema and violations inside it carry their pointer."""
    assert main(["validate", "--schema", schema, _write(tmp_path, document)]) == 1
    assert pointer in capsys.readouterr().out


def test_duplicate_fixture_ids(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Check that a fixture file repeating an id is reported (JSON Schema alone cannot say it)."""
    fixtures = json.loads(default_fixtures_path().read_text(encoding="utf-8"))[:3]
    fixtures[2]["id"] = fixtures[0]["id"]
    assert main(["validate", "--schema", "fixture", _write(tmp_path, fixtures)]) == 1
    assert "/2/id: id 1 is also the id of item 0" in capsys.readouterr().out


@pytest.mark.parametrize("content", [None, b"{not json", b"\xff\xfe"])
def test_unreadable_input_exits_2(
    content: bytes | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Check that a missing file or a non-JSON document exits 2 with a one-line error."""
    path = tmp_path / "input.json"
    if content is not None:
        path.write_bytes(content)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mockserver: error: ") and "Traceback" not in err


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Check that '-' reads stdin and detects an error body."""
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"status":404,"error":"Not Found"}')))
    assert main(["validate", "-"]) == 0
    assert "valid against the error schema" in capsys.readouterr().out


def test_large_list_reports_progress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check that a long list is validated with progress lines on stderr and its one bad item found."""
    import mockserver.tools.validate as validate

    monkeypatch.setattr(validate, "PROGRESS_SECONDS", 0.0)
    records = _records() * 60  # 24,000 items
    records[23_999] = dict(records[23_999], time_spent=1.5)
    assert main(["validate", _write(tmp_path, records)]) == 1
    captured = capsys.readouterr()
    assert "mockserver: validated " in captured.err and "items (" in captured.err
    assert "/23999/time_spent: 1.5 is not of type 'string'" in captured.out
