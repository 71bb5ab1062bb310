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


class Partition:
    """The records one account can see, newest id first, with their bytes.

    The data never changes under a partition (the control API swaps in a new store), so the
    server's cache (``memo.py``) may keep a search's rows by the account's name.
    """

    __slots__ = ("by_id", "bytes_of", "full_body", "full_etags", "indexes", "rows")

    def __init__(self, rows: list[Row], bytes_of: dict[int, bytes]) -> None:
        self.rows = rows
        self.bytes_of = bytes_of
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
        self.partitions = {account: Partition(rows, bytes_of) for account, rows in by_account.items()}
        self._empty = Partition([], {})

    def __len__(self) -> int:
        return len(self.records)

    @property
    def accounts(self) -> list[str | None]:
        return list(self.partitions)

    def partition(self, account: str | None) -> Partition:
        """The records ``account`` may see; an account with no records sees nothing."""
        return self.partitions.get(account, self._empty)
