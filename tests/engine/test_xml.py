"""Rails' ``to_xml`` of train sessions (``engine/xml.py``): structure, types, nulls, escaping."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given, note, settings
from hypothesis import strategies as st

from mockserver.engine import xml
from mockserver.generate import generate_records
from mockserver.model import FIELDS_BY_NAME, HIDDEN_FIELDS, XML_FIELDS, Kind

RECORDS = generate_records(16, 40)


def test_show_document_is_rails_bytes() -> None:
    """Check one record's document line by line: declaration, to_xml order, types, nil with type."""
    record = {**RECORDS[0], "complete_by": None, "full_name": "Zoë & <Côté>", "time_spent": "0.0"}
    lines = xml.record_document(record).decode().splitlines()
    assert lines[0] == '<?xml version="1.0" encoding="UTF-8"?>'
    assert lines[1] == "<train-session>" and lines[-1] == "</train-session>"
    assert lines[2] == f'  <id type="integer">{record["id"]}</id>'
    assert '  <complete-by type="date" nil="true"/>' in lines
    assert "  <full-name>Zoë &amp; &lt;Côté&gt;</full-name>" in lines
    assert '  <time-spent type="decimal">0.0</time-spent>' in lines
    tags = [line.strip().split(" ")[0].split(">")[0].lstrip("<") for line in lines[2:-1]]
    assert tags == [f.name.replace("_", "-") for f in XML_FIELDS]
    assert tags[-1] == "course-code"  # the method comes after the columns


def test_array_document_nests_and_empty_is_nil_classes() -> None:
    """Check the index root, two-space nesting, and Array#to_xml's root for no records."""
    body = xml.array_document(xml.element(r, 1) for r in RECORDS[:2]).decode()
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<train-sessions type="array">\n')
    assert "\n  <train-session>\n    <id " in body and body.endswith("</train-sessions>\n")
    assert xml.array_document([]) == b'<?xml version="1.0" encoding="UTF-8"?>\n<nil-classes type="array"/>\n'


def test_hidden_fields_never_appear() -> None:
    """Check that the filter-only attributes (foreign keys, course name, ...) stay out of XML."""
    body = xml.array_document(xml.element(r, 1) for r in RECORDS).decode()
    for name in HIDDEN_FIELDS:
        assert f"<{name.replace('_', '-')}" not in body


def test_builder_escaping() -> None:
    """Check Builder::XChar.encode: &<> escaped, quotes kept, C1 CP1252 translated, invalid
    code points replaced by U+FFFD, tab/newline/CR and non-ASCII kept."""
    assert xml.escape("a&b<c>d\"e'f") == "a&amp;b&lt;c&gt;d\"e'f"
    assert xml.escape("\x80\x85\x9f\x81") == "€…Ÿ\x81"  # 0x81 is unassigned in CP1252: kept
    assert xml.escape("\x00\x01\x1f\ufffe\uffff") == "\ufffd" * 5
    assert xml.escape("\t\n\r日本🎓\u2028") == "\t\n\r日本🎓\u2028"


@given(st.text(max_size=40))
@settings(max_examples=200)
def test_any_text_gives_well_formed_xml_that_reads_back(text: str) -> None:  # CR: parsers normalise it
    """Check that every string renders to well-formed XML whose text is the escaped value."""
    note(repr(text))
    record = {**RECORDS[1], "full_name": text}
    root = ET.fromstring(xml.record_document(record))
    found = root.find("full-name")
    assert found is not None
    expected = xml.escape(text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert (found.text or "") == expected.replace("\r\n", "\n").replace("\r", "\n")


def test_types_come_from_the_model() -> None:
    """Check that every typed column carries its Kind's type and strings carry none."""
    root = ET.fromstring(xml.record_document(RECORDS[2]))
    for child in root:
        kind = FIELDS_BY_NAME[child.tag.replace("-", "_")].kind
        assert child.get("type") == kind.xml_type
        assert (kind is Kind.STR) == (child.get("type") is None)
