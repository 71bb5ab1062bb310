"""HAR 1.2 in and out for ``mockserver record`` (``--har FILE`` and ``--from-har FILE``).

Out: every exchange ``record`` had with the upstream, as a HAR log a browser's devtools or a
HAR viewer opens. Secrets never reach the file: secret-looking headers (``Authorization``,
``Cookie``, ``*-Token``, ...) and query values are redacted with the server's own rules
(``server.redaction.redact_headers`` / ``redact``), and the token is scrubbed from everything else.

In: a HAR captured against the live API (devtools, or ``--har``) becomes a fixture file.
Every ``200`` answer of ``GET /api/train_sessions[.json]`` (any query: a filtered index is a
subset) and ``GET /api/train_sessions/ID[.json]`` of one origin (``--upstream``'s, else the first
such answer's: a devtools capture holds other sites' traffic) is read; records are merged by id, each
body checked against ``schemas/`` (``list`` or ``record``), and the fixture keeps only the
public fields. Two answers that disagree about one id are a problem, as in ``record``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yarl import URL

from mockserver import __version__
from mockserver.errors import UsageError
from mockserver.generate import write_atomically
from mockserver.model import PUBLIC_FIELDS
from mockserver.schemas import iter_violations
from mockserver.server.redaction import redact, redact_headers
from mockserver.tools import bodies
from mockserver.tools.upstream import TOKEN_VARIABLE, Exchange, scrub

__all__ = ["HarImport", "HarLog", "read_har", "records_from_har"]

Record = dict[str, Any]
INDEX = re.compile(r"/api/train_sessions(?:\.(?:json|xml))?/?\Z")
SHOW = re.compile(r"/api/train_sessions/([0-9]+)(?:\.(?:json|xml))?\Z")


def _pairs(headers: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in redact_headers(headers).items()]


def _scrubbed(value: Any, token: str | None) -> Any:
    """``value`` (a HAR entry) with the token scrubbed from every string in it, names included."""
    if isinstance(value, str):
        return scrub(value, token)
    if isinstance(value, dict):
        return {_scrubbed(k, token): _scrubbed(v, token) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v, token) for v in value]
    return value


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class HarLog:
    """Collects ``Exchange``s (``Upstream(on_exchange=har.add)``) and writes them as HAR 1.2."""

    def __init__(self, token: str | None) -> None:
        self.token = token
        self.entries: list[dict[str, Any]] = []

    def add(self, exchange: Exchange) -> None:
        answer = exchange.answer
        url = scrub(redact(str(exchange.url)), self.token)
        query = [
            {"name": k, "value": v}
            for k, v in URL(url, encoded=True).query.items()  # already redacted
        ]
        mime = answer.headers.get("Content-Type", "")
        content: dict[str, Any] = {"size": len(answer.body), "mimeType": mime}
        try:
            content["text"] = answer.body.decode("utf-8")
        except UnicodeDecodeError:  # scrubbed before encoding: base64 would hide the token
            body = answer.body
            if self.token:
                body = body.replace(self.token.encode("utf-8", "surrogateescape"), TOKEN_VARIABLE.encode())
            content["text"] = base64.b64encode(body).decode("ascii")
            content["encoding"] = "base64"
        entry = _scrubbed(
            {
                "startedDateTime": _iso(exchange.started),
                "time": round(exchange.elapsed_ms, 3),
                "request": {
                    "method": "GET",
                    "url": url,
                    "httpVersion": exchange.http_version,
                    "cookies": [],
                    "headers": _pairs(exchange.request_headers),
                    "queryString": query,
                    "headersSize": -1,
                    "bodySize": 0,
                },
                "response": {
                    "status": answer.status,
                    "statusText": "",
                    "httpVersion": exchange.http_version,
                    "cookies": [],
                    "headers": _pairs(answer.headers),
                    "content": content,
                    "redirectURL": redact(answer.headers.get("Location", "")),
                    "headersSize": -1,
                    "bodySize": len(answer.body),
                },
                "cache": {},
                "timings": {"send": 0, "wait": round(exchange.elapsed_ms, 3), "receive": 0},
            },
            self.token,
        )
        self.entries.append(entry)

    def document(self) -> dict[str, Any]:
        return {
            "log": {
                "version": "1.2",
                "creator": {"name": "mockserver record", "version": __version__},
                "entries": self.entries,
            }
        }

    def write(self, path: Path) -> None:
        """Write the log atomically, replacing (never following) a symlink at ``path``."""
        text = json.dumps(self.document(), indent=1, ensure_ascii=False) + "\n"
        write_atomically(path, [text.encode("utf-8", "surrogatepass")])


def read_har(path: Path) -> list[Any]:
    """The entries of a HAR file; ``UsageError`` when it is not one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"--from-har {path}: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise UsageError(f"--from-har {path}: not JSON ({exc})") from None
    log = document.get("log") if isinstance(document, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise UsageError(f"--from-har {path}: not a HAR file (no log.entries array)")
    return entries


@dataclass
class HarImport:
    """What ``records_from_har`` made of a capture."""

    records: list[Record] = field(default_factory=list)  # by ascending id
    problems: list[str] = field(default_factory=list)
    used: int = 0  # API answers read
    origin: str = ""  # the one origin read ('' when no entry matched)
    skipped: Counter[str] = field(default_factory=Counter)  # API answers of other origins, by origin


def _object(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UsageError(f"{where} is {_kind(value)}, not an object: not a HAR file")
    return value


def _kind(value: object) -> str:
    return (
        "null"
        if value is None
        else {list: "an array", str: "a string", bool: "a boolean"}.get(
            type(value), "a number" if isinstance(value, int | float) else type(value).__name__
        )
    )


def _body(response: dict[str, Any], where: str) -> bytes | None:
    content = _object(response.get("content", {}), f"{where}: response.content")
    text = content.get("text")
    if not isinstance(text, str):
        return None
    if content.get("encoding") == "base64":
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return None
    return text.encode("utf-8", "surrogatepass")


def _api_answer(entry: object, where: str) -> tuple[URL, dict[str, Any]] | None:
    """(URL, response) of an entry that is a 200 answer of GET index or show, else None;
    ``UsageError`` when the entry is not shaped as HAR says."""
    entry = _object(entry, where)
    request = _object(entry.get("request", {}), f"{where}: request")
    response = _object(entry.get("response", {}), f"{where}: response")
    if request.get("method") != "GET" or response.get("status") != 200:
        return None
    raw = request.get("url", "")
    try:
        url = URL(raw if isinstance(raw, str) else "", encoded=True)
        url.origin()
    except ValueError as exc:
        raise UsageError(f"{where}: request.url {str(raw)[:80]!r} is not a URL ({exc})") from None
    if not (INDEX.search(url.path) or SHOW.search(url.path)):
        return None
    return url, response


def records_from_har(entries: list[Any], origin: str | None = None, source: str = "--from-har") -> HarImport:
    """The records of the API answers in ``entries`` of one origin: ``origin`` (scheme://host[:port])
    or, when None, the first API answer's. Raises ``UsageError`` when an entry is not HAR."""
    found = HarImport(origin=origin or "")
    seen: dict[int, tuple[Record, str]] = {}

    def keep(record: Record, where: str) -> None:
        public = {name: record.get(name) for name in PUBLIC_FIELDS}
        earlier = seen.get(record["id"])
        if earlier is not None and earlier[0] != public:
            diffs = [k for k in PUBLIC_FIELDS if earlier[0].get(k) != public.get(k)]
            found.problems.append(
                f"{where}: id {record['id']}: differs from {earlier[1]} on {', '.join(diffs[:3])} "
                "(data changed during the capture?) [one record per id]"
            )
            return
        seen[record["id"]] = (public, where)

    for number, entry in enumerate(entries):
        answer = _api_answer(entry, f"{source}: entry {number}")
        if answer is None:
            continue
        url, response = answer
        here = str(url.origin()) if url.absolute else ""
        found.origin = found.origin or here
        if here != found.origin:
            found.skipped[here or "(no origin)"] += 1
            continue
        where = f"entry {number} (GET {url.path_qs})"
        body = _body(response, f"{source}: entry {number}")
        try:
            data = bodies.document(body) if body is not None else None
        except (ValueError, RecursionError):
            data = None
        if data is None:
            found.problems.append(
                f"{where}: the body is missing or neither JSON nor Rails XML "
                "(save the HAR with content) [json]"
            )
            continue
        found.used += 1
        index = INDEX.search(url.path) is not None
        violations = [
            f"{where}: {v.json_pointer or '(document)'}: {v.message} [{v.rule}]"
            for v in iter_violations(data, "list" if index else "record")
        ]
        found.problems.extend(violations)
        if not violations:
            for record in data if index else [data]:
                keep(record, where)
    found.records = [seen[i][0] for i in sorted(seen)]
    return found
