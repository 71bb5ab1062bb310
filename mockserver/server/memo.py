"""The server's answer cache: one object, one byte budget, keyed by values, emptied on data changes.

Two kinds of entries share one least-recently-used order and one bound (``--memo-mb``,
default 64 MiB; 0 turns both off):

- **answers by request**: a successful API answer (body, headers, notices) by everything it
  can depend on, so a repeated request costs a dict lookup instead of a parse, a search and a
  join: the app's *context* (its settings and token map, interned as a small int: two apps may
  share one ``ServerState``), the data generation, today's date (lenient dates read it), the
  method, the raw target and each request header in ``VARY`` as the server reads it
  (negotiation joins repeated ``Accept`` headers, so the key holds them all);
- **answers by search**: the rows a compiled search (``search.Search``, a value: equal for
  equal params, day and quirks, whatever the spelling) selects in one account's records, with
  the search itself (its notices and touched quirks), so a new spelling of a known query or
  a new page size costs no search;
- **pure results by arguments** (``pure``): what the server asks the engine's pure functions
  about a request's parts (routing a path, parsing a query, reading an Authorization header,
  negotiating a format), by the function and its arguments, so a header or path every request
  repeats is read once. The engine keeps no request-keyed cache of its own: with ``0`` every
  request is read afresh.

Each entry counts its body or row references, its key's text and an overhead for the Python
objects around them; the oldest entries are dropped until the total is within ``max_bytes``.
No key longer than ``MAX_KEY`` characters and no body larger than ``MAX_BODY`` is kept.
``ServerState`` empties the cache whenever the data is replaced or reset. The counters
(``stats``) are what ``/__mockserver/health`` reports and what ``make bench`` checks.
"""

from __future__ import annotations

import datetime
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import fields
from typing import Any, TypeVar

from aiohttp import web

from mockserver.engine.rows import Row
from mockserver.engine.search import Search, SearchKey
from mockserver.settings import Settings

__all__ = [
    "ENTRY_OVERHEAD",
    "MAX_BODY",
    "MAX_ENTRIES",
    "MAX_KEY",
    "REQUEST_MEMO",
    "SEARCH_OVERHEAD",
    "VARY",
    "Answer",
    "Memo",
    "context_of",
    "remembered",
]

VARY = ("Authorization", "Accept", "Host", "X-Requested-With")
"""The request headers an answer may depend on, each as the server reads it (the first value;
repeated Accept headers joined, as negotiation reads them). Host: --paginate writes absolute
Link URLs; X-Requested-With: Rails reads a browser-like Accept for an XHR only, and it may pick
XML in the 2015-08 revision. A view that reads another header adds it here."""

MAX_KEY = 4096  # a request whose target and VARY headers are longer is answered afresh
MAX_BODY = 1 << 20  # larger bodies are answered afresh every time
MAX_ENTRIES = 1 << 16  # a second bound, for many tiny entries
ENTRY_OVERHEAD = 1024  # key tuple, date, header dict and strings, the OrderedDict node
SEARCH_OVERHEAD = 4096  # a compiled search: its conditions, closures and notices
ROW_REFERENCE = 8

Answer = tuple[bytes, dict[str, str], tuple[str, ...]]  # body, headers and notices of a 200
SearchAnswer = tuple[Search, list[Row]]
Key = tuple[Hashable, ...]
_SEARCH = object()  # marks the keys of answers by search
_PURE = object()  # marks the keys of pure results
MAX_PURE_KEY = 2048  # arguments longer than this are read afresh (a query string: 8 KB at most)
T = TypeVar("T")


def _hashable(value: object) -> Hashable:
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _hashable(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(_hashable(v) for v in value)
    return value if isinstance(value, Hashable) else repr(value)


def context_of(settings: Settings, tokens: Mapping[str, str | None]) -> Hashable:
    """Everything about an app that its answers may depend on: every setting (whether or not
    it matters today: a new one is covered without anyone remembering) and the tokens."""
    return (
        tuple((f.name, _hashable(getattr(settings, f.name))) for f in fields(settings)),
        _hashable(tokens),
    )


class Memo:
    """The answer cache; see the module doc."""

    def __init__(self, max_bytes: int, max_entries: int = MAX_ENTRIES) -> None:
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.bytes = 0
        self._entries: OrderedDict[Key, tuple[Any, int]] = OrderedDict()
        self._contexts: dict[Hashable, int] = {}
        self.searches = 0  # searches compiled and run (told by the view)
        self.served_by_request = 0
        self.served_by_search = 0
        self.served_pure = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def answers(self) -> int:
        """How many entries are answers (by request or by search), not request parts."""
        return sum(1 for key in self._entries if key[0] is not _PURE)

    def context(self, settings: Settings, tokens: Mapping[str, str | None]) -> int:
        """A small int standing for ``context_of(settings, tokens)`` (cheap to hash per request)."""
        return self._contexts.setdefault(context_of(settings, tokens), len(self._contexts))

    def key(self, context: int, generation: int, request: web.Request) -> Key | None:
        """The request key of ``request``, or None when its answer is never kept."""
        if not self.max_bytes:
            return None
        headers = request.headers
        authorization, accept, host, requested_with = map(headers.get, VARY)
        if accept is not None and len(headers.getall("Accept")) > 1:
            accept = ", ".join(headers.getall("Accept"))  # as negotiation reads it (Rack joins)
        size = len(request.raw_path) + len(accept or "") + len(authorization or "") + len(host or "")
        if size + len(requested_with or "") > MAX_KEY:
            return None
        vary = (authorization, accept, host, requested_with)
        return (context, generation, datetime.date.today(), request.method, request.raw_path, vary)

    def get(self, key: Key) -> Answer | None:
        """The remembered answer to a request."""
        found = self._entries.get(key)
        if found is None:
            return None
        self._entries.move_to_end(key)
        self.served_by_request += 1
        return found[0]  # type: ignore[no-any-return]

    def put(self, key: Key, body: bytes, headers: Mapping[str, str], ignored: tuple[str, ...] = ()) -> None:
        """Keep a 200's ``body``, ``headers`` and notices."""
        if len(body) > MAX_BODY or key in self._entries:
            return
        kept = dict(headers)
        size = ENTRY_OVERHEAD + len(body) + _text_size(key) + sum(len(k) + len(v) for k, v in kept.items())
        size += sum(map(len, ignored))  # the same text as a header's: small
        self._keep(key, (body, kept, ignored), size)

    def search(self, generation: int, account: str | None, key: SearchKey) -> SearchAnswer | None:
        """The remembered search and rows for a search key in one account's records."""
        if not self.max_bytes:
            return None
        found = self._entries.get((_SEARCH, generation, account, key))
        if found is None:
            return None
        self._entries.move_to_end((_SEARCH, generation, account, key))
        self.served_by_search += 1
        return found[0]  # type: ignore[no-any-return]

    def put_search(self, generation: int, account: str | None, search: Search, rows: list[Row]) -> None:
        """Keep the rows ``search`` selected in ``account``'s records."""
        if not self.max_bytes or search.key is None or len(search.key[0]) > MAX_KEY:
            return
        size = SEARCH_OVERHEAD + len(search.key[0]) + len(account or "") + ROW_REFERENCE * len(rows)
        self._keep((_SEARCH, generation, account, search.key), (search, rows), size)

    def pure(self, function: Callable[..., T], *args: Hashable) -> T:
        """``function(*args)``, remembered by ``function`` and ``args`` (``function`` must be
        pure and its result never mutated); raised errors are not remembered."""
        found = self.recall(function, args)
        if found is None:
            found = function(*args)
            self.remember(function, args, found)
        return found

    def recall(self, function: Callable[..., T], args: tuple[Hashable, ...]) -> T | None:
        """The remembered ``function(*args)`` (never None), else None."""
        if not self.max_bytes:
            return None
        key = (_PURE, function, args)
        found = self._entries.get(key)
        if found is None:
            return None
        self._entries.move_to_end(key)
        self.served_pure += 1
        return found[0]  # type: ignore[no-any-return]

    def remember(self, function: Callable[..., T], args: tuple[Hashable, ...], result: T) -> None:
        """Keep ``result`` as ``function(*args)`` (when the arguments are short)."""
        text = _text_size(args)
        if self.max_bytes and text <= MAX_PURE_KEY:  # a result is bounded by its arguments' size
            self._keep((_PURE, function, args), result, ENTRY_OVERHEAD + 4 * text)

    def _keep(self, key: Key, entry: object, size: int) -> None:
        if size > self.max_bytes:
            return
        self._entries[key] = (entry, size)
        self.bytes += size
        while self.bytes > self.max_bytes or len(self._entries) > self.max_entries:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.bytes -= dropped

    def clear(self) -> None:
        """Forget every answer (the data they were computed from is gone)."""
        self._entries.clear()
        self.bytes = 0

    def stats(self) -> dict[str, int]:
        """The counters ``/__mockserver/health`` reports."""
        return {
            "max_bytes": self.max_bytes,
            "bytes": self.bytes,
            "entries": len(self._entries),
            "searches": self.searches,
            "served_by_request": self.served_by_request,
            "served_by_search": self.served_by_search,
            "served_pure": self.served_pure,
        }


REQUEST_MEMO = web.RequestKey("memo", Memo)  # the serving app's memo, set before its handler runs


def remembered(request: web.Request | None, function: Callable[..., T], *args: Hashable) -> T:
    """``function(*args)`` through the memo of the app serving ``request`` (``Memo.pure``);
    computed afresh outside a request or before the app set its memo."""
    memo = request.get(REQUEST_MEMO) if request is not None else None
    return function(*args) if memo is None else memo.pure(function, *args)


def _text_size(key: tuple[Hashable, ...]) -> int:
    size = 0
    for part in key:  # a plain loop: this runs for every request part read afresh
        if isinstance(part, (str, bytes)):
            size += len(part)
        elif isinstance(part, tuple):
            for value in part:
                if isinstance(value, (str, bytes)):
                    size += len(value)
    return size
