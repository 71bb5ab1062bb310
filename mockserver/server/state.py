"""What a running server may change after start-up: the served Store, the journal, the faults.

aiohttp freezes an application's ``AppKey`` values when it starts, so everything the control
API (``control.py``) and the pytest plugin change lives on one mutable ``ServerState`` held
under ``keys.STATE``. Handlers read ``state.store`` once per request, so swapping it is atomic
for every request that starts afterwards.

Hot path: the journal stores one tuple per API request in a bounded ``deque`` and does the
rest (parsing the query, building dicts) only when someone reads it. Secrets are redacted
*before* the tuple is stored (an ``Authorization`` header is replaced by its scheme plus
``[REDACTED]``; other secret-looking headers and query values by ``[REDACTED]``), so no token
is ever kept; that costs about two microseconds per request (see ``redact_headers``).
"""

from __future__ import annotations

import fnmatch
import re
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from multidict import CIMultiDict

from mockserver.errors import reason_phrase
from mockserver.server.store import Store

__all__ = [
    "ADMIN_TOKEN_HEADER",
    "JOURNAL_SIZE",
    "FaultRule",
    "Faults",
    "JournalEntry",
    "ServerState",
    "redact",
    "redact_headers",
]

JOURNAL_SIZE = 1000
"""Requests kept by the journal; older ones are dropped (and counted)."""

ADMIN_TOKEN_HEADER = "X-Mockserver-Admin-Token"
REDACTED = "[REDACTED]"
_KNOWN_STATUSES = frozenset(s.value for s in HTTPStatus)
# A name (of a header, or of a query key as Rack decodes it) is secret when it contains one of
# auth, token, key, secret, passw, cookie or session: see _is_secret_name.
_PAIRS = re.compile(r"([&;])")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,19}(?= )")
_SCHEMED = ("authorization", "proxy-authorization")
_secret_header_names: dict[tuple[str, ...], tuple[str, ...]] = {}


def _is_secret_name(name: str) -> bool:
    # lower() and written-out `in` checks rather than a case-insensitive regex or any(): ten
    # times faster, and this runs on the query of every API request
    lowered = name.lower()
    return (
        "auth" in lowered
        or "token" in lowered
        or "key" in lowered
        or "secret" in lowered
        or "passw" in lowered
        or "cookie" in lowered
        or "session" in lowered
    )


def redact(target: str) -> str:
    """The request target with the values of secret-looking query keys replaced.

    Keys are judged as Rack decodes them (``%74oken`` is ``token``), so an escape cannot
    smuggle a token past. A query with no ``%`` and no secret word is returned as is after
    one ``lower()`` and a few substring checks.
    """
    path, sep, query = target.partition("?")
    if not sep or ("%" not in query and not _is_secret_name(query)):
        return target
    parts = _PAIRS.split(query)
    for i in range(0, len(parts), 2):
        key, eq, _ = parts[i].partition("=")
        if not eq:
            continue
        escaped = "%" in key or "+" in key
        if _is_secret_name(unquote_plus(key, errors="replace") if escaped else key):
            parts[i] = f"{key}={REDACTED}"
    return f"{path}?{''.join(parts)}"


def _redact_secret(name: str, value: str) -> str:
    """Keep the auth scheme (``Token``, ``Bearer``) so tests can assert on it, drop the rest."""
    if name.lower() in _SCHEMED and (m := _SCHEME.match(value)):
        return f"{m.group()} {REDACTED}"
    return REDACTED


def _secret_names(names: tuple[str, ...]) -> tuple[str, ...]:
    """The secret-looking names among ``names``; memoised, since a client sends the same set
    of header names on every request."""
    found = _secret_header_names.get(names)
    if found is None:
        if len(_secret_header_names) >= 1024:  # bounded: arbitrary names cannot grow it
            _secret_header_names.clear()
        found = tuple(name for name in names if _is_secret_name(name))
        _secret_header_names[names] = found
    return found


def redact_headers(headers: Mapping[str, str]) -> Mapping[str, str]:
    """``headers`` itself when it carries no secret, else a copy with the secrets redacted.

    A header is secret when its name mentions auth, token, secret, password, key, cookie or
    session (``Authorization``, ``X-Api-Token``, ``Api-Key``, ``Cookie``, ...). Runs for every
    API request: the names are judged once per distinct set, and the copy is C-level (about a
    microsecond for a typical request with an ``Authorization`` header).
    """
    secret = _secret_names(tuple(headers))
    if not secret:
        return headers
    copy: CIMultiDict[str] = CIMultiDict(headers)
    for name in secret:  # repeated values collapse into one redacted value
        copy[name] = _redact_secret(name, copy[name])
    return copy


# --- journal --------------------------------------------------------------------------------------


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

    @property
    def params(self) -> dict[str, str]:
        """The decoded query, last value winning as in Rack (for simple assertions)."""
        return dict(parse_qsl(self.query, keep_blank_values=True))

    def to_json(self) -> dict[str, Any]:
        headers: dict[str, str] = {}
        for key, value in self.headers.items():
            name = str(key)  # multidict's istr is a str subclass, which orjson refuses as a key
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return {
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": headers,
            "status": self.status,
            "fault": self.fault,
        }


# (time, method, raw target, headers, status, fault): the cheapest thing to append
_RawEntry = tuple[float, str, str, Mapping[str, str], int, bool]


class Journal:
    """A bounded ring buffer of the API requests received."""

    def __init__(self, size: int = JOURNAL_SIZE) -> None:
        self._entries: deque[_RawEntry] = deque(maxlen=size)
        self.appended = 0
        # Bumped by clear(): a request that started before a reset (say, one held back by a
        # delay) must not land in the journal of the next test.
        self.generation = 0

    @property
    def capacity(self) -> int:
        return self._entries.maxlen or 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def dropped(self) -> int:
        """How many entries fell off the end since the last clear."""
        return self.appended - len(self._entries)

    def append(self, method: str, target: str, headers: Mapping[str, str], status: int, fault: bool) -> None:
        self.appended += 1
        self._entries.append((time.time(), method, redact(target), redact_headers(headers), status, fault))

    def clear(self) -> None:
        self._entries.clear()
        self.appended = 0
        self.generation += 1

    def entries(self, limit: int | None = None) -> list[JournalEntry]:
        """The stored requests, oldest first (the newest ``limit`` when given)."""
        raw = list(self._entries)
        if limit is not None:
            raw = raw[-limit:] if limit > 0 else []
        out = []
        for when, method, target, headers, status, fault in raw:
            path, _, query = _text(target).partition("?")
            clean = CIMultiDict((_text(k), _text(v)) for k, v in headers.items())
            out.append(JournalEntry(when, method, path, query, clean, status, fault))
        return out


def _text(value: str) -> str:
    """aiohttp keeps undecodable bytes as surrogates; show them as ``\\xNN`` so JSON can hold them."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raw = value.encode("utf-8", "surrogateescape")
        return raw.decode("utf-8", "backslashreplace")
    return value


# --- faults ---------------------------------------------------------------------------------------


@dataclass
class FaultRule:
    """Answer ``status`` and/or wait ``delay_ms`` for requests whose path matches ``path``.

    ``times`` counts the matching requests still to affect; None means until cleared. ``path``
    is a glob (``fnmatch``: ``*`` also crosses ``/``) on the raw path, None matches every path.
    """

    status: int | None = None
    delay_ms: int = 0
    times: int | None = 1
    path: str | None = None
    _regex: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems = []
        if self.status is not None and (not 400 <= self.status <= 599 or self.status not in _KNOWN_STATUSES):
            problems.append(
                f"status {self.status!r}: expected a standard HTTP error status (400..599, e.g. 500, 503)"
            )
        if self.delay_ms < 0:
            problems.append(f"delay_ms {self.delay_ms!r}: expected milliseconds >= 0")
        if self.times is not None and self.times < 1:
            problems.append(f"times {self.times!r}: expected >= 1, or null for every request")
        if self.status is None and not self.delay_ms:
            problems.append("a fault needs a status, a delay_ms, or both")
        if problems:
            raise ValueError("; ".join(problems))
        if self.path is not None:
            self._regex = re.compile(fnmatch.translate(self.path))

    def matches(self, path: str) -> bool:
        return self._regex is None or self._regex.match(path) is not None

    @property
    def reason(self) -> str:
        return reason_phrase(self.status) if self.status else ""

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "delay_ms": self.delay_ms, "times": self.times, "path": self.path}


class Faults:
    """The injected faults, in the order they were added.

    For each request the first matching rule with a status and the first matching rule with a
    delay apply (they may be the same rule), so a standing ``delay`` does not hide a later
    ``fail_next``. Each applied rule uses up one of its ``times``.
    """

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def __bool__(self) -> bool:
        return bool(self.rules)

    def add(self, rule: FaultRule) -> None:
        self.rules.append(rule)

    def clear(self) -> None:
        self.rules.clear()

    def take(self, path: str) -> tuple[int, int | None]:
        """(delay in ms, status or None) for a request to ``path``; uses up the rules applied."""
        delay_rule = status_rule = None
        for rule in self.rules:
            if not rule.matches(path):
                continue
            if delay_rule is None and rule.delay_ms:
                delay_rule = rule
            if status_rule is None and rule.status is not None:
                status_rule = rule
            if delay_rule is not None and status_rule is not None:
                break
        for rule in {id(r): r for r in (delay_rule, status_rule) if r is not None}.values():
            if rule.times is not None:
                rule.times -= 1
                if rule.times == 0:
                    self.rules.remove(rule)
        return (delay_rule.delay_ms if delay_rule else 0, status_rule.status if status_rule else None)


# --- the holder -----------------------------------------------------------------------------------


class ServerState:
    """The mutable part of a running server (one per process: ``--workers`` each have one)."""

    def __init__(self, store: Store, *, journal_size: int = JOURNAL_SIZE) -> None:
        self.initial_store = store  # what reset() returns to: the loaded fixtures
        self.store = store
        self.journal = Journal(journal_size)
        self.faults = Faults()
        self.started = time.monotonic()
        self.request_count = 0  # API requests since start (reset() keeps it)
        self.bugs: deque[BaseException] = deque(maxlen=20)  # unexpected errors in the mock
        self.counters: dict[str, int] = {}  # extra counts shown by health (e.g. the proxy's)

    def reset(self) -> None:
        """Back to the loaded fixtures, with an empty journal and no faults."""
        self.store = self.initial_store  # Stores are never mutated, so no rebuild is needed
        self.journal.clear()
        self.faults.clear()
        self.bugs.clear()

    def replace_records(self, records: Iterable[dict[str, Any]]) -> None:
        """Serve exactly ``records`` (already validated) from the next request on."""
        self.store = Store(records)

    def add_records(self, records: Iterable[dict[str, Any]]) -> None:
        """Serve ``records`` (validated, ids not yet served) alongside the current ones."""
        self.store = Store([*self.store.records, *records])

    @property
    def uptime(self) -> float:
        return time.monotonic() - self.started
