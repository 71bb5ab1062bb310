"""The answer memo: successful API answers by request, bounded by their total size in bytes.

A repeated request then costs a dict lookup instead of a parse, a search and a join. An
answer depends on more than its URL, so the key holds everything it can depend on:

- the app's *context*: its settings (``--strict``, ``--no-auth``, ...) and its token-to-account
  map, interned as a small int per distinct context (two apps may share one ``ServerState``,
  as the fuzz tests' lenient and strict apps share one store);
- the data generation (bumped whenever the served data is replaced or reset);
- today's date (lenient dates may read it);
- the method, the raw target and the request headers in ``VARY``.

Bounded by bytes: each answer counts its body, its headers, its key's text and
``ENTRY_OVERHEAD`` for the Python objects around them, and the least recently used answers
are dropped until the total is within ``max_bytes`` (``--memo-mb``, default 64 MiB; 0 turns
the memo off), and until at most ``MAX_ENTRIES`` answers are kept (as before the byte bound;
``make bench``'s *distinct* scenarios rely on 8,192 spellings missing a memo of that size).
An answer larger than ``MAX_BODY`` or than the whole bound is not kept, and
neither is one for a target longer than ``MAX_TARGET``. ``ServerState`` empties the memo
whenever the data is replaced or reset, so an old dataset's answers are freed at once.
"""

from __future__ import annotations

import datetime
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import fields

from aiohttp import web

from mockserver.settings import Settings

__all__ = ["ENTRY_OVERHEAD", "MAX_BODY", "MAX_ENTRIES", "MAX_TARGET", "VARY", "Answer", "Memo", "context_of"]

VARY = ("Authorization", "Accept", "Host", "X-Requested-With")
"""The request headers an answer may depend on; a view that reads another one adds it here
(Host: --paginate writes absolute Link URLs; X-Requested-With: Rails reads a browser-like
Accept for an XHR only, and it may pick XML in the 2015-08 revision)."""

MAX_TARGET = 2048  # longer targets are answered afresh every time
MAX_BODY = 1 << 20  # larger bodies are answered afresh every time
MAX_ENTRIES = 4096
ENTRY_OVERHEAD = 1024  # key tuple, date, header dict and strings, the OrderedDict node

Answer = tuple[bytes, dict[str, str], tuple[str, ...]]  # body, headers and notices of a 200
Key = tuple[Hashable, ...]


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
    """Successful answers by request, least recently used dropped first; see the module doc."""

    def __init__(self, max_bytes: int, max_entries: int = MAX_ENTRIES) -> None:
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.bytes = 0
        self._answers: OrderedDict[Key, tuple[Answer, int]] = OrderedDict()
        self._contexts: dict[Hashable, int] = {}

    def __len__(self) -> int:
        return len(self._answers)

    def context(self, settings: Settings, tokens: Mapping[str, str | None]) -> int:
        """A small int standing for ``context_of(settings, tokens)`` (cheap to hash per request)."""
        return self._contexts.setdefault(context_of(settings, tokens), len(self._contexts))

    def key(self, context: int, generation: int, request: web.Request) -> Key | None:
        """The memo key of ``request``, or None when its answer is never kept."""
        if not self.max_bytes or len(request.raw_path) > MAX_TARGET:
            return None
        vary = tuple(map(request.headers.get, VARY))  # C-level: no generator per request
        if len(request.headers.getall("Accept", ())) > 1:  # Rack joins them; the key holds the first
            return None
        return (context, generation, datetime.date.today(), request.method, request.raw_path, vary)

    def get(self, key: Key) -> Answer | None:
        found = self._answers.get(key)
        if found is None:
            return None
        self._answers.move_to_end(key)
        return found[0]

    def put(self, key: Key, body: bytes, headers: Mapping[str, str], ignored: tuple[str, ...] = ()) -> None:
        """Keep a 200's ``body``, ``headers`` and notices, dropping the oldest answers to stay in bound."""
        if len(body) > MAX_BODY or key in self._answers:
            return
        kept = dict(headers)
        size = ENTRY_OVERHEAD + len(body) + _text_size(key) + sum(len(k) + len(v) for k, v in kept.items())
        size += sum(map(len, ignored))  # the same text as a header's: small
        if size > self.max_bytes:
            return
        self._answers[key] = ((body, kept, ignored), size)
        self.bytes += size
        while self.bytes > self.max_bytes or len(self._answers) > self.max_entries:
            _, (_, dropped) = self._answers.popitem(last=False)
            self.bytes -= dropped

    def clear(self) -> None:
        """Forget every answer (the data they were computed from is gone)."""
        self._answers.clear()
        self.bytes = 0


def _text_size(key: Key) -> int:
    size = 0
    for part in key:
        if isinstance(part, str):
            size += len(part)
        elif isinstance(part, tuple):
            size += sum(len(v) for v in part if isinstance(v, str))
    return size
