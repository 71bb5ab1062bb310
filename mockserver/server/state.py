"""What a running server may change after start-up: the served Store, the memo, journal, faults.

aiohttp freezes an application's ``AppKey`` values when it starts, so everything the control
API (``control.py``) and the pytest plugin change lives on one mutable ``ServerState`` held
under ``keys.STATE``. Handlers read ``state.store`` once per request, so swapping it is atomic
for every request that starts afterwards. Every swap bumps ``generation`` and empties the
answer memo (``memo.py``), so no answer computed from the old data outlives it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from mockserver.server.faults import Faults
from mockserver.server.journal import JOURNAL_BYTES, JOURNAL_SIZE, Journal
from mockserver.server.memo import Memo
from mockserver.server.store import Store
from mockserver.settings import MEMO_MB

__all__ = ["ADMIN_TOKEN_HEADER", "ServerState"]

ADMIN_TOKEN_HEADER = "X-Mockserver-Admin-Token"


class ServerState:
    """The mutable part of a running server (one per process: ``--workers`` each have one)."""

    def __init__(
        self,
        store: Store,
        *,
        journal_size: int = JOURNAL_SIZE,
        journal_bytes: int = JOURNAL_BYTES,
        memo_bytes: int = MEMO_MB << 20,
    ) -> None:
        self.initial_store = store  # what reset() returns to: the loaded fixtures
        self.store = store
        self.generation = 0  # bumped whenever the served data changes (a memo key part)
        self.memo = Memo(memo_bytes)
        self.journal = Journal(journal_size, journal_bytes)
        self.faults = Faults()
        self.started = time.monotonic()
        self.request_count = 0  # API requests since start (reset() keeps it)
        self.bugs: deque[BaseException] = deque(maxlen=20)  # unexpected errors in the mock

    def _serve(self, store: Store) -> None:
        self.store = store
        self.generation += 1
        self.memo.clear()

    def reload(self, store: Store) -> None:
        """Serve ``store`` (built off the loop) as the loaded fixtures themselves: ``serve
        --watch`` after the file changed, so a later reset() returns to the new data."""
        self.initial_store = store
        self._serve(store)

    def reset(self) -> None:
        """Back to the loaded fixtures, with an empty journal and memo and no faults."""
        self._serve(self.initial_store)  # Stores are never mutated, so no rebuild is needed
        self.journal.clear()
        self.faults.clear()
        self.bugs.clear()

    def replace_records(self, records: Iterable[dict[str, Any]]) -> None:
        """Serve exactly ``records`` (already validated) from the next request on."""
        self._serve(Store(records))

    def add_records(self, records: Iterable[dict[str, Any]]) -> None:
        """Serve ``records`` (validated, ids not yet served) alongside the current ones."""
        self._serve(Store([*self.store.records, *records]))

    def remove_records(self, ids: Iterable[int]) -> None:
        """Stop serving the records ``ids`` (unassign's destroy_all); ``reset`` restores them."""
        gone = set(ids)
        self._serve(Store([r for r in self.store.records if r["id"] not in gone]))

    def update_record(self, record: dict[str, Any]) -> None:
        """Serve ``record`` in place of the served record with its id (the player's test aid)."""
        self._serve(Store([record if r["id"] == record["id"] else r for r in self.store.records]))

    @property
    def uptime(self) -> float:
        return time.monotonic() - self.started
