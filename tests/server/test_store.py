"""The served dataset: rendering and partitions."""

from __future__ import annotations

import datetime

import orjson
import pytest

from mockserver.engine.rack import parse_query
from mockserver.engine.rows import ID
from mockserver.engine.search import compile_query, compile_search
from mockserver.generate import generate_records
from mockserver.server.store import Store, render_record

TODAY = datetime.date(2026, 11, 17)  # the engine's clock is an argument: a fixed day

RECORDS = generate_records(5, 60, accounts=("a", "b"))


def test_render_record_is_public_fields_in_order() -> None:
    """Check a record renders the 11 public fields, in the doc's order, compactly."""
    record = RECORDS[0]
    body = render_record(record)
    assert list(orjson.loads(body)) == [
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
    ]
    assert b" " not in body.replace(record["full_name"].encode(), b"")


def test_partitions_split_by_account() -> None:
    """Check each account's partition holds exactly its records, newest first."""
    store = Store(RECORDS)
    for account in ("a", "b"):
        ids = [row[ID] for row in store.partition(account).rows]
        assert ids == sorted((r["id"] for r in RECORDS if r.get("account") == account), reverse=True)
    assert store.partition("nobody").rows == []


def test_search_selects_the_rows_of_its_partition_only() -> None:
    """Check a search answers from its account's rows, like the reference, and keeps nothing."""
    store = Store(RECORDS)
    for account in ("a", "b"):
        partition = store.partition(account)
        search = compile_query(b"full_name_cont=e&score_gteq=1", TODAY)
        rows = partition.search(search)
        expected = [row for row in partition.rows if search.matches(row)]
        assert rows == expected and rows is not partition.search(search)
    assert store.partition("a").search(compile_search(parse_query(b""), TODAY)) is store.partition("a").rows


def test_xml_elements_are_bounded_and_still_right(monkeypatch: pytest.MonkeyPatch) -> None:
    """Check that the XML element cache keeps no more than its byte bound, the full XML index
    is kept only under its bound, and answers are the same bytes either way."""
    from mockserver.engine import xml
    from mockserver.generate import generate_records
    from mockserver.server.store import Partition, Store, XmlElements

    records = generate_records(4, 30)
    expected = xml.array_document(xml.element(r, 1) for r in sorted(records, key=lambda r: -r["id"]))
    monkeypatch.setattr(XmlElements, "KEEP_BYTES", 2000)
    monkeypatch.setattr(Partition, "FULL_XML_KEEP_BYTES", 1000)
    partition = Store(records).partition(None)
    for _ in range(2):
        assert partition.render_xml(partition.rows) == expected
    assert partition.xml_of._kept <= 2000 and 0 < len(partition.xml_of._elements) < len(records)
    assert partition._full_xml is None
