"""XML answers through the tools: one reader (tools/bodies.py) for validate, record, HAR, diff, proxy."""

from __future__ import annotations

import orjson
from hypothesis import given, note
from hypothesis import strategies as st
from multidict import CIMultiDict

from mockserver.engine.xml import array_document, element, record_document
from mockserver.generate import generate_records
from mockserver.server.store import render_record
from mockserver.tools import bodies
from mockserver.tools.conformance import check_answer
from mockserver.tools.diff import _answer
from mockserver.tools.har import records_from_har

RECORDS = generate_records(3, 60)


@given(st.lists(st.sampled_from(RECORDS), max_size=8, unique_by=lambda r: r["id"]))
def test_xml_reads_as_the_json(records: list) -> None:
    """Check that an XML index (and each show) reads as exactly the JSON the API renders for it."""
    note([r["id"] for r in records])
    expected = [orjson.loads(render_record(r)) for r in records]
    assert bodies.document(array_document(element(r, 1) for r in records)) == expected
    for record, json_form in zip(records, expected, strict=True):
        assert bodies.document(record_document(record)) == json_form


def _entry(path: str, body: bytes, status: int = 200) -> dict:
    return {
        "request": {"method": "GET", "url": f"http://127.0.0.1:3000{path}"},
        "response": {"status": status, "content": {"text": body.decode(), "mimeType": "application/xml"}},
    }


def test_har_with_xml_answers_gives_the_records() -> None:
    """Check that record --from-har reads .xml index and show answers like JSON ones."""
    records = RECORDS[:5]
    entries = [_entry("/api/train_sessions.xml", array_document(element(r, 1) for r in records))]
    entries += [_entry(f"/api/train_sessions/{r['id']}.xml", record_document(r)) for r in records]
    imported = records_from_har(entries)
    assert imported.problems == [] and imported.used == 6
    found = imported.records
    assert [r["id"] for r in found] == sorted(r["id"] for r in records)
    assert found[0]["time_spent"] == min(records, key=lambda r: r["id"])["time_spent"]


def test_proxy_checks_xml_answers() -> None:
    """Check that the proxy validates an XML index, flags a mislabelled or mistyped one, skips unassign."""
    body = array_document(element(r, 1) for r in RECORDS[:3])
    xml = CIMultiDict({"Content-Type": "application/xml; charset=utf-8"})
    assert check_answer("GET", "/api/train_sessions.xml", 200, xml, body) == ("list", [])
    labelled_json = CIMultiDict({"Content-Type": "application/json; charset=utf-8"})
    _, findings = check_answer("GET", "/api/train_sessions.xml", 200, labelled_json, body)
    assert [f.rule for f in findings] == ["content-type"]
    _, findings = check_answer(
        "GET", "/api/train_sessions.xml", 200, xml, body.replace(b'<score type="integer">', b"<score>")
    )
    assert findings and findings[0].pointer.endswith("/score")
    plain = CIMultiDict({"Content-Type": "text/plain; charset=utf-8"})
    assert check_answer("POST", "/api/train_sessions/unassign", 200, plain, b"Could not find") == (None, [])


def test_diff_reads_xml_ids() -> None:
    """Check that diff takes an XML index's ids as it takes a JSON one's."""
    records = RECORDS[:4]
    assert _answer(200, array_document(element(r, 1) for r in records)).ids == [r["id"] for r in records]
    assert _answer(200, array_document([])).ids == []
