"""The served dataset: search rows, pre-rendered record bytes and account scoping.

Everything that can be computed once is computed at load: each record's JSON bytes exactly as
Rails renders them, its search row (typed values, lower-cased text), the id lookup and one
partition per account. A request only filters and joins bytes.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from typing import Any

import orjson

from mockserver.engine import xml
from mockserver.engine.index import Indexes, run_indexed
from mockserver.engine.rows import ID, Row, prepare_row
from mockserver.engine.search import Search
from mockserver.model import PUBLIC_FIELDS

Record = dict[str, Any]

# ActiveSupport's JSON encoder escapes these (escape_html_entities_in_json is on by default).
_RAILS_ESCAPES = (
    (b"<", b"\\u003c"),
    (b">", b"\\u003e"),
    (b"&", b"\\u0026"),
    ("\u2028".encode(), b"\\u2028"),
    ("\u2029".encode(), b"\\u2029"),
)


def render_record(record: Record) -> bytes:
    """One record as Rails' ``render json:`` writes it: the public fields, in order."""
    body = orjson.dumps({name: record[name] for name in PUBLIC_FIELDS})
    for raw, escaped in _RAILS_ESCAPES:
        if raw in body:
            body = body.replace(raw, escaped)
    # orjson's result keeps its whole working buffer (about 4 KiB): a copy holds only the bytes
    return bytes(memoryview(body))


class XmlElements:
    """Each record's ``<train-session>`` element as the index nests it, rendered when first asked
    for and kept with the store up to ``KEEP_BYTES`` in all (then rendered afresh), freed with
    the store. The id lookup is built on the first XML request, so a JSON-only server never
    pays for it."""

    KEEP_BYTES = 32 << 20
    __slots__ = ("_by_id", "_elements", "_kept", "_records")

    def __init__(self, records: list[Record]) -> None:
        self._records = records
        self._by_id: dict[int, Record] | None = None
        self._elements: dict[int, bytes] = {}
        self._kept = 0

    def __getitem__(self, ident: int) -> bytes:
        found = self._elements.get(ident)
        if found is None:
            found = xml.element(self.record(ident), 1)
            if self._kept + len(found) <= self.KEEP_BYTES:
                self._elements[ident] = found
                self._kept += len(found)
        return found

    def record(self, ident: int) -> Record:
        if self._by_id is None:
            self._by_id = {r["id"]: r for r in self._records}
        return self._by_id[ident]


class Partition:
    """The records one account can see, newest id first, with their bytes.

    The data never changes under a partition (the control API swaps in a new store), so the
    server's cache (``memo.py``) may keep a search's rows by the account's name.
    """

    __slots__ = ("_full_xml", "by_id", "bytes_of", "full_body", "full_etags", "indexes", "rows", "xml_of")

    def __init__(
        self, rows: list[Row], bytes_of: dict[int, bytes], xml_of: XmlElements | None = None
    ) -> None:
        self.rows = rows
        self.bytes_of = bytes_of
        self.xml_of = xml_of if xml_of is not None else XmlElements([])
        self._full_xml: bytes | None = None
        self.by_id = {row[ID]: row for row in rows}
        self.indexes = Indexes(rows)
        self.full_body = self._join(rows)  # the unfiltered index, rendered once
        # its ETag per digest (SHA-256 or MD5), computed once: the body can be many MB and
        # too large for the answer cache, and Rack digests every body it sends
        self.full_etags: dict[bool, str] = {}

    @staticmethod
    def trivial(search: Search) -> bool:
        """Whether ``search`` selects every record in the controller's order (no work)."""
        return not (search.conditions or search.groups or search.sorts or search.empty)

    def search(self, search: Search) -> list[Row]:
        """The rows ``search`` selects, in order (``rows`` itself when it selects them all)."""
        if self.trivial(search):
            return self.rows
        return run_indexed(search, self.rows, self.indexes)

    def render(self, rows: list[Row]) -> bytes:
        if rows is self.rows:
            return self.full_body
        return self._join(rows)

    FULL_XML_KEEP_BYTES = 16 << 20

    def render_xml(self, rows: list[Row]) -> bytes:
        """The index answer in XML (``to_xml``); the unfiltered one is kept once rendered, up
        to ``FULL_XML_KEEP_BYTES``."""
        if rows is self.rows and self._full_xml is not None:
            return self._full_xml
        xml_of = self.xml_of
        body = xml.array_document([xml_of[row[ID]] for row in rows])
        if rows is self.rows and len(body) <= self.FULL_XML_KEEP_BYTES:
            self._full_xml = body
        return body

    def record_xml(self, row: Row) -> bytes:
        """The show answer in XML for one of this partition's rows."""
        return xml.record_document(self.xml_of.record(row[ID]))

    def _join(self, rows: Iterable[Row]) -> bytes:
        bytes_of = self.bytes_of
        return b"[" + b",".join([bytes_of[row[ID]] for row in rows]) + b"]"


class Store:
    """All records of a fixture file, partitioned by account (None: the default account)."""

    def __init__(self, records: Iterable[Record]) -> None:
        # Building allocates millions of objects that all live on: the cyclic GC would
        # rescan them again and again, so it is paused while they are made.
        paused = gc.isenabled()
        gc.disable()
        try:
            self._build(records)
        finally:
            if paused:
                gc.enable()

    def _build(self, records: Iterable[Record]) -> None:
        ordered = sorted(records, key=lambda r: r["id"], reverse=True)
        self.records: list[Record] = ordered
        bytes_of = {r["id"]: render_record(r) for r in ordered}
        by_account: dict[str | None, list[Row]] = {}
        for record in ordered:
            by_account.setdefault(record.get("account"), []).append(prepare_row(record))
        xml_of = XmlElements(ordered)
        self.partitions = {account: Partition(rows, bytes_of, xml_of) for account, rows in by_account.items()}
        self._empty = Partition([], {})

    def __len__(self) -> int:
        return len(self.records)

    @property
    def accounts(self) -> list[str | None]:
        return list(self.partitions)

    def partition(self, account: str | None) -> Partition:
        """The records ``account`` may see; an account with no records sees nothing."""
        return self.partitions.get(account, self._empty)
