"""HAR 1.2 in and out for ``mockserver record`` (``--har FILE`` and ``--from-har FILE``).

Out: every exchange ``record`` had with the upstream, as a HAR log a browser's devtools or a
HAR viewer opens. Secrets never reach the file: secret-looking headers (``Authorization``,
``Cookie``, ``*-Token``, ...) and query values are redacted with the server's own rules
(``server.redaction.redact_headers`` / ``redact``), and the token is scrubbed from everything else.

In: a HAR captured against the live API (devtools, or ``--har``) becomes a fixture file.
Every ``200`` answer of ``GET /api/train_sessions[.json]`` (any query: a filtered index is a
subset) and ``GET /api/train_sessions/ID[.json]`` is read; records are merged by id, each
body checked against ``schemas/`` (``list`` or ``record``), and the fixture keeps only the
public fields. Two answers that disagree about one id are a problem, as in ``record``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from yarl import URL

from mockserver import __version__
from mockserver.errors import UsageError
from mockserver.model import PUBLIC_FIELDS
from mockserver.schemas import iter_violations
from mockserver.server.redaction import redact, redact_headers
from mockserver.tools import bodies
from mockserver.tools.upstream import Exchange, scrub

__all__ = ["HarLog", "read_har", "records_from_har"]

Record = dict[str, Any]
INDEX = re.compile(r"/api/train_sessions(?:\.(?:json|xml))?/?\Z")
SHOW = re.compile(r"/api/train_sessions/(\d+)(?:\.(?:json|xml))?\Z")


def _pairs(headers: Mapping[str, str], token: str | None) -> list[dict[str, str]]:
    return [{"name": k, "value": scrub(v, token)} for k, v in redact_headers(headers).items()]


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
            content["text"] = scrub(answer.body.decode("utf-8"), self.token)
        except UnicodeDecodeError:
            content["text"] = base64.b64encode(answer.body).decode("ascii")
            content["encoding"] = "base64"
        self.entries.append(
            {
                "startedDateTime": _iso(exchange.started),
                "time": round(exchange.elapsed_ms, 3),
                "request": {
                    "method": "GET",
                    "url": url,
                    "httpVersion": exchange.http_version,
                    "cookies": [],
                    "headers": _pairs(exchange.request_headers, self.token),
                    "queryString": query,
                    "headersSize": -1,
                    "bodySize": 0,
                },
                "response": {
                    "status": answer.status,
                    "statusText": "",
                    "httpVersion": exchange.http_version,
                    "cookies": [],
                    "headers": _pairs(answer.headers, self.token),
                    "content": content,
                    "redirectURL": answer.headers.get("Location", ""),
                    "headersSize": -1,
                    "bodySize": len(answer.body),
                },
                "cache": {},
                "timings": {"send": 0, "wait": round(exchange.elapsed_ms, 3), "receive": 0},
            }
        )

    def document(self) -> dict[str, Any]:
        return {
            "log": {
                "version": "1.2",
                "creator": {"name": "mockserver record", "version": __version__},
                "entries": self.entries,
            }
        }

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.document(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def read_har(path: Path) -> list[dict[str, Any]]:
    """The entries of a HAR file; ``UsageError`` when it is not one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"--from-har {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UsageError(f"--from-har {path}: not JSON ({exc})") from None
    entries = document.get("log", {}).get("entries") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise UsageError(f"--from-har {path}: not a HAR file (no log.entries)")
    return [e for e in entries if isinstance(e, dict)]


def _body(entry: dict[str, Any]) -> bytes | None:
    content = entry.get("response", {}).get("content", {})
    text = content.get("text")
    if not isinstance(text, str):
        return None
    if content.get("encoding") == "base64":
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return None
    return text.encode("utf-8")


def records_from_har(entries: list[dict[str, Any]]) -> tuple[list[Record], list[str], int]:
    """(records by ascending id, problems, answers used) from HAR entries of the API."""
    problems: list[str] = []
    seen: dict[int, tuple[Record, str]] = {}
    used = 0

    def keep(record: Record, where: str) -> None:
        public = {name: record.get(name) for name in PUBLIC_FIELDS}
        earlier = seen.get(record["id"])
        if earlier is not None and earlier[0] != public:
            diffs = [k for k in PUBLIC_FIELDS if earlier[0].get(k) != public.get(k)]
            problems.append(
                f"{where}: id {record['id']}: differs from {earlier[1]} on {', '.join(diffs[:3])} "
                "(data changed during the capture?) [one record per id]"
            )
            return
        seen[record["id"]] = (public, where)

    for number, entry in enumerate(entries):
        request, response = entry.get("request", {}), entry.get("response", {})
        if request.get("method") != "GET" or response.get("status") != 200:
            continue
        url = URL(str(request.get("url", "")), encoded=True)
        index, show = INDEX.search(url.path), SHOW.search(url.path)
        if not (index or show):
            continue
        where = f"entry {number} (GET {url.path_qs})"
        body = _body(entry)
        try:
            data = bodies.document(body) if body is not None else None
        except ValueError:
            data = None
        if data is None:
            problems.append(
                f"{where}: the body is missing or neither JSON nor Rails XML "
                "(save the HAR with content) [json]"
            )
            continue
        used += 1
        schema = "list" if index else "record"
        found = [
            f"{where}: {v.json_pointer or '(document)'}: {v.message} [{v.rule}]"
            for v in iter_violations(data, schema)
        ]
        problems.extend(found)
        if found:
            continue
        for record in data if index else [data]:
            keep(record, where)
    records = [seen[i][0] for i in sorted(seen)]
    return records, problems, used
