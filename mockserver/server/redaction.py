"""Redaction of secrets in what the server keeps or prints: request targets and headers.

The journal (``journal.py``) and the access log (``accesslog.py``) both run every API
request through here *before* anything is stored or written, so no token is ever kept: an
``Authorization`` header is replaced by its scheme plus ``[REDACTED]``; other secret-looking
headers and query values by ``[REDACTED]``. That costs about two microseconds per request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import unquote_plus

from multidict import CIMultiDict

__all__ = ["REDACTED", "redact", "redact_headers"]

REDACTED = "[REDACTED]"
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


_REDACTED_TARGETS: dict[str, str] = {}
REDACTED_TARGETS_MAX = 1024  # entries (bounded: cleared when full)
KEY_MAX = 2048  # a longer target or set of header names is judged afresh: no key over a few KiB


def redact(target: str) -> str:
    """The request target with the values of secret-looking query keys replaced.

    Keys are judged as Rack decodes them (``%74oken`` is ``token``), so an escape cannot
    smuggle a token past. A query with no ``%`` and no secret word is returned as is after
    one ``lower()`` and a few substring checks; others are remembered (bounded), since the
    journal and the access log both redact each request's target.
    """
    path, sep, query = target.partition("?")
    if not sep or ("%" not in query and not _is_secret_name(query)):
        return target
    if len(target) > KEY_MAX:
        return _redact_query(path, query)
    found = _REDACTED_TARGETS.get(target)
    if found is None:
        if len(_REDACTED_TARGETS) >= REDACTED_TARGETS_MAX:
            _REDACTED_TARGETS.clear()
        found = _REDACTED_TARGETS[target] = _redact_query(path, query)
    return found


def _redact_query(path: str, query: str) -> str:
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
        found = tuple(name for name in names if _is_secret_name(name))
        if sum(map(len, names)) > KEY_MAX:  # no cache keeps a key over a few KiB
            return found
        if len(_secret_header_names) >= 1024:  # bounded: arbitrary names cannot grow it
            _secret_header_names.clear()
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
