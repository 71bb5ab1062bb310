"""Which schema an answer of the train-sessions API must follow, and how it breaks it.

The proxy checks every answer it passes through with ``check_answer``: an index answer against
``list``, a show against ``record``, a 4xx/5xx JSON body against ``error`` (Rails' plain-text 401
is allowed). Compressed bodies are decoded first, never past ``MAX_DECODED`` bytes of output: a
larger one is reported as ``UncheckedError`` rather than inflated without a bound.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import brotli  # type: ignore[import-untyped]  # ships no type hints

from mockserver.schemas import iter_violations
from mockserver.tools import bodies
from mockserver.tools.upstream import excerpt

__all__ = ["MAX_DECODED", "Finding", "UncheckedError", "check_answer", "decoded_body"]

INDEX_PATH = re.compile(r"/api/train_sessions(?:\.(?:json|xml))?/?\Z")
SHOW_PATH = re.compile(r"/api/train_sessions/[^/]+?(?:\.(?:json|xml))?\Z")
MAX_DECODED = 64 * 1024 * 1024  # bytes a compressed answer may inflate to for its check; past it: unchecked


@dataclass(frozen=True)
class Finding:
    """One schema violation (or unreadable body) in one answer."""

    pointer: str
    rule: str
    message: str


def _schema_for(method: str, path: str, status: int, content_type: str) -> str | None:
    """Which schema an answer must follow (None: not checked)."""
    if method == "HEAD" or status in (204, 304):
        return None
    if status >= 400:
        if status == 401 and content_type.startswith("text/plain"):
            return None  # Rails' "HTTP Token: Access denied." is plain text by design
        return "error"
    if 200 <= status < 300 and method == "GET":  # unassign's 200s (POST) are empty or plain text
        if INDEX_PATH.match(path):
            return "list"
        if SHOW_PATH.match(path):
            return "record"
    return None


class UncheckedError(Exception):
    """An answer a schema applies to but that cannot be checked within the bounds."""


def _inflate(body: bytes, wbits: int, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits)
    out = inflater.decompress(body, limit + 1)
    if len(out) <= limit and not inflater.eof:
        raise zlib.error("incomplete or truncated stream")
    return out


def _decoded(body: bytes, encodings: str, limit: int) -> bytes:
    """``body`` without its content codings (``gzip``, ``deflate``, ``br``, applied in the
    order listed), never more than ``limit`` bytes of output: ``UncheckedError`` past it;
    ``ValueError``, ``zlib.error`` or ``brotli.error`` when a coding is broken or unknown."""
    for coding in reversed([c.strip().lower() for c in encodings.split(",") if c.strip()]):
        if coding in ("gzip", "x-gzip"):
            body = _inflate(body, 16 + zlib.MAX_WBITS, limit)
        elif coding == "deflate":  # zlib-wrapped as RFC 9110 says, or raw as some servers send
            try:
                body = _inflate(body, zlib.MAX_WBITS, limit)
            except zlib.error:
                body = _inflate(body, -zlib.MAX_WBITS, limit)
        elif coding == "br":
            decoder = brotli.Decompressor()
            body = decoder.process(body, output_buffer_limit=limit + 1)
            if len(body) <= limit and not decoder.is_finished():
                raise ValueError("incomplete or truncated brotli stream")
        elif coding != "identity":
            raise ValueError(f"unknown content coding {coding!r}")
        if len(body) > limit:
            raise UncheckedError(f"the body inflates to more than {limit} bytes ({coding}); not checked")
    return body


def decoded_body(body: bytes, encodings: str) -> bytes:
    """``body`` without its content codings, or as sent when they are broken or it inflates
    past ``MAX_DECODED`` (a recording then reports it as unreadable)."""
    try:
        return _decoded(body, encodings, MAX_DECODED)
    except (ValueError, zlib.error, brotli.error, UncheckedError):
        return body


def check_answer(
    method: str, path: str, status: int, headers: Any, body: bytes, hide: Callable[[str], str] | None = None
) -> tuple[str | None, list[Finding]]:
    """The schema an answer must follow and how it breaks it (empty when it conforms);
    ``UncheckedError`` when its body inflates past ``MAX_DECODED`` bytes."""
    content_type = (headers.get("Content-Type") or "").lower()
    schema = _schema_for(method, path, status, content_type)
    if schema is None:
        return None, []
    findings = []
    try:
        decoded = _decoded(body, headers.get("Content-Encoding") or "", MAX_DECODED)
    except (ValueError, zlib.error, brotli.error) as exc:
        findings.append(Finding("", "json", f"the body cannot be decoded ({exc})"))
        return schema, findings
    expected = bodies.XML_TYPE if bodies.is_xml(decoded) else "application/json"
    if not content_type.startswith(expected):
        findings.append(Finding("", "content-type", f"expected {expected}, got {content_type or 'none'!r}"))
    try:
        instance = bodies.document(decoded)  # JSON, or an XML answer (2015-08) in its JSON form
    except ValueError as exc:
        start = excerpt(body, 60, hide)  # scrubbed before the cut: a cut token escapes the log's scrubber
        findings.append(Finding("", "json", f"the body is not JSON ({exc}); starts {start!r}"))
        return schema, findings
    for violation in iter_violations(instance, schema):
        findings.append(Finding(violation.json_pointer, violation.rule, violation.message))
    return schema, findings
