"""The request journal: the API requests received, bounded in entries and in bytes.

Two bounds, because either alone lets a client exhaust memory: ``JOURNAL_SIZE`` entries (the
oldest are dropped, and counted) and ``JOURNAL_BYTES`` of kept text (target, header names and
values), after each header value longer than ``HEADER_VALUE_LIMIT`` characters is cut short
with a marker saying how much was dropped (``...[truncated: 9000 chars]``) and the entry is
flagged ``truncated``. A thousand requests with 8 KiB headers once held 770 MiB here.

Hot path: one tuple per request, stored after redaction (``redaction.py``); the byte count
is two C-level sums, and values are only inspected one by one when their sum could hold an
oversized one. Parsing the query and building dicts happen only when someone reads it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from multidict import CIMultiDict

from mockserver.server.redaction import redact, redact_headers

__all__ = [
    "HEADER_VALUE_LIMIT",
    "JOURNAL_BYTES",
    "JOURNAL_SIZE",
    "Journal",
    "JournalEntry",
    "truncated",
]

JOURNAL_SIZE = 1000
"""Requests kept by the journal; older ones are dropped (and counted)."""

JOURNAL_BYTES = 16 * 1024 * 1024
"""Characters of target and headers kept by the journal (plus ``ENTRY_OVERHEAD`` per entry)."""

HEADER_VALUE_LIMIT = 1024
"""Characters kept of one header value; the rest is replaced by a marker naming its length."""

ENTRY_OVERHEAD = 200  # the tuple and its small objects, counted so that tiny entries add up too
_MARKER = "...[truncated: {} chars]"


def truncated(value: str, limit: int = HEADER_VALUE_LIMIT) -> str:
    """``value`` cut to ``limit`` characters plus a marker naming its full length."""
    return value if len(value) <= limit else value[:limit] + _MARKER.format(len(value))


@dataclass(frozen=True)
class JournalEntry:
    """One request the API received, as the client sent it (secrets redacted)."""

    time: float  # Unix time the request arrived
    method: str
    path: str  # the raw path, percent-encoding kept
    query: str  # the raw query string after '?', percent-encoding kept ('' if none)
    headers: Mapping[str, str]
    status: int  # what the mock answered
    fault: bool  # the answer or its delay came from an injected fault
    truncated: bool = False  # a header value was cut short (see HEADER_VALUE_LIMIT)

    @property
    def params(self) -> dict[str, str]:
        """The decoded query, last value winning as in Rack (for simple assertions)."""
        return dict(parse_qsl(self.query, keep_blank_values=True))

    def to_json(self) -> dict[str, Any]:
        headers: dict[str, str] = {}
        for key, value in self.headers.items():
            name = str(key)  # multidict's istr is a str subclass, which orjson refuses as a key
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        out: dict[str, Any] = {
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": headers,
            "status": self.status,
            "fault": self.fault,
        }
        if self.truncated:
            out["truncated"] = True
        return out


# (time, method, raw target, headers, status, fault, counted size, truncated)
_RawEntry = tuple[float, str, str, Mapping[str, str], int, bool, int, bool]


class Journal:
    """A ring buffer of the API requests received, bounded in entries and in bytes."""

    def __init__(self, size: int = JOURNAL_SIZE, max_bytes: int = JOURNAL_BYTES) -> None:
        self._entries: deque[_RawEntry] = deque()
        self._size = size
        self.max_bytes = max_bytes
        self.bytes = 0  # counted size of what is kept (see ENTRY_OVERHEAD)
        self.appended = 0
        # Bumped by clear(): a request that started before a reset (say, one held back by a
        # delay) must not land in the journal of the next test.
        self.generation = 0

    @property
    def capacity(self) -> int:
        return self._size

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def dropped(self) -> int:
        """How many entries fell off the end since the last clear."""
        return self.appended - len(self._entries)

    def append(self, method: str, target: str, headers: Mapping[str, str], status: int, fault: bool) -> None:
        self.appended += 1
        kept = redact_headers(headers)
        values = sum(map(len, kept.values()))
        cut = False
        if values > HEADER_VALUE_LIMIT and any(len(v) > HEADER_VALUE_LIMIT for v in kept.values()):
            kept = CIMultiDict((k, truncated(v)) for k, v in kept.items())
            values = sum(map(len, kept.values()))
            cut = True
        target = redact(target)
        if len(target) > HEADER_VALUE_LIMIT * 8:  # aiohttp already refuses longer request lines
            target, cut = truncated(target, HEADER_VALUE_LIMIT * 8), True
        size = ENTRY_OVERHEAD + len(target) + values + sum(map(len, kept))
        entries = self._entries
        entries.append((time.time(), method, target, kept, status, fault, size, cut))
        self.bytes += size
        while len(entries) > self._size or self.bytes > self.max_bytes:  # may drop this one too
            self.bytes -= entries.popleft()[6]

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0
        self.appended = 0
        self.generation += 1

    def entries(self, limit: int | None = None) -> list[JournalEntry]:
        """The stored requests, oldest first (the newest ``limit`` when given)."""
        raw = list(self._entries)
        if limit is not None:
            raw = raw[-limit:] if limit > 0 else []
        out = []
        for when, method, target, headers, status, fault, _, cut in raw:
            path, _, query = _text(target).partition("?")
            clean = CIMultiDict((_text(k), _text(v)) for k, v in headers.items())
            out.append(JournalEntry(when, method, path, query, clean, status, fault, cut))
        return out


def _text(value: str) -> str:
    """aiohttp keeps undecodable bytes as surrogates; show them as ``\\xNN`` so JSON can hold them."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raw = value.encode("utf-8", "surrogateescape")
        return raw.decode("utf-8", "backslashreplace")
    return value
