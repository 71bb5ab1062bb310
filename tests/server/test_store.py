"""The served dataset: rendering, partitions and the per-search answer memory."""

from __future__ import annotations

import datetime

import orjson
import pytest

from mockserver.engine.rack import parse_query
from mockserver.engine.rows import ID
from mockserver.engine.search import compile_query, compile_search
from mockserver.generate import generate_records
from mockserver.server.store import SearchAnswers, Store, render_record

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


def test_repeated_search_is_answered_from_memory_with_the_same_rows() -> None:
    """Check a repeated compiled search returns the remembered answer, equal to a fresh one."""
    partition = Store(RECORDS).partition("a")
    search = compile_query(b"full_name_cont=e&score_gteq=1", TODAY)
    first = partition.search(search)
    assert partition.search(search) is first
    fresh = partition.search(compile_search(parse_query(b"full_name_cont=e&score_gteq=1"), TODAY))
    assert fresh == first and fresh is not first


def test_answer_memory_is_bounded(monkeypatch) -> None:
    """Check the memory drops the oldest answers once it holds too many row references."""
    monkeypatch.setattr(SearchAnswers, "KEEP_ROWS", 40)
    store = Store(RECORDS)
    partition = store.partition("a")
    searches = [compile_search(parse_query(f"id_eq={i}".encode()), TODAY) for i in range(1, 40)]
    for search in searches:
        partition.search(search)
    assert store.answers.kept <= 40
    assert (id(partition), searches[-1]) in store.answers
    assert (id(partition), searches[0]) not in store.answers


def test_answer_memory_bound_is_shared_by_every_account(monkeypatch) -> None:
    """Check the row bound holds for the whole store, however many accounts search."""
    monkeypatch.setattr(SearchAnswers, "KEEP_ROWS", 40)
    records = generate_records(5, 200, accounts=tuple(f"acct{n}" for n in range(10)))
    store = Store(records)
    for account in store.accounts:
        for query in (b"score_gteq=0", b"score_lt=50", b"full_name_cont=a"):
            rows = store.partition(account).search(compile_query(query, TODAY))
            assert all(row in store.partition(account).rows for row in rows)
            assert store.answers.kept <= 40
    assert len(store.answers) < 3 * len(store.accounts)


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
