"""``mockserver validate`` on XML answers: read as Rails reads them, checked in their JSON form."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from mockserver.cli import main
from mockserver.engine.xml import array_document, element, record_document
from mockserver.generate import generate_records

RECORDS = generate_records(7, 12)


def _validate(path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["validate", str(path)], out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("document", "schema"),
    [
        (array_document(element(r, 1) for r in RECORDS), "list schema (detected, 12 items)"),
        (array_document([]), "list schema (detected, 0 items)"),
        (record_document(RECORDS[0]), "record schema"),
        (
            b'<?xml version="1.0" encoding="UTF-8"?>\n<hash>\n  <status type="integer">404</status>\n'
            b"  <error>Not Found</error>\n</hash>\n",
            "error schema",
        ),
    ],
)
def test_rails_xml_is_valid(tmp_path: Path, document: bytes, schema: str) -> None:
    """Check that the mock's to_xml of index, show, an empty index and an error body validate."""
    path = tmp_path / "answer.xml"
    path.write_bytes(document)
    code, out, _ = _validate(path)
    assert code == 0 and schema in out, out


@pytest.mark.parametrize(
    ("old", "new", "pointer"),
    [
        (b'<score type="integer">', b"<score>", "/score"),  # a number without its type is text
        (b'<time-spent type="decimal">', b'<time-spent type="integer">', "/time_spent"),
        (b"<status>", b'<status type="integer">', "/status"),  # text cast to 0
    ],
)
def test_xml_violations_name_the_field(tmp_path: Path, old: bytes, new: bytes, pointer: str) -> None:
    """Check that a field typed unlike Rails writes it is a violation at that field's pointer."""
    document = record_document(RECORDS[0])
    assert old in document
    path = tmp_path / "answer.xml"
    path.write_bytes(document.replace(old, new, 1))
    code, out, _ = _validate(path)
    assert code == 1 and out.startswith(pointer + ":"), out


def test_broken_xml_is_a_usage_error(tmp_path: Path) -> None:
    """Check that XML that is not well-formed, or an unknown root, is one error line (exit 2)."""
    for body, said in ((b"<train-session><id>1</id>", "not XML Rails can read"), (b"<other/>", "<other>")):
        path = tmp_path / "answer.xml"
        path.write_bytes(body)
        code, _, err = _validate(path)
        assert code == 2 and said in err and err.startswith("mockserver: error:"), err
