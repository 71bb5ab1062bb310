"""The mock against json-server (the usual hand-made mock) on the same 1,000 records.

json-server 0.17 (``npm install json-server@0.17.4`` in ``benchmarks/``, or on ``PATH``, or
``MOCKSERVER_JSON_SERVER=/path/to/json-server``) serves the records the mock answers, under
``/api/`` (a routes file), with its own filters: ``?complete_by=`` for ``_eq`` and
``?full_name_like=`` (a regex) for ``_cont``. Each side gets the same wrk load; the mock runs
in its default configuration (access log on). The bench installs nothing: without json-server
the phase says how to get it and is skipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sys
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from . import loadgen
from .servers import Server, _start, start_mock

HERE = Path(__file__).parent
SEED = 2015
SIZE = 1000
INDEX = "/api/train_sessions"
HINT = (
    "json-server not found: run 'npm install json-server@0.17.4' in benchmarks/ "
    "(or set MOCKSERVER_JSON_SERVER)"
)


def json_server() -> str | None:
    """The json-server executable, if any."""
    local = HERE / "node_modules" / ".bin" / "json-server"
    found = os.environ.get("MOCKSERVER_JSON_SERVER") or (str(local) if local.exists() else None)
    return found or shutil.which("json-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_json_server(executable: str, records: list[dict[str, Any]], work: Path) -> Server:
    (work / "db.json").write_text(json.dumps({"train_sessions": records}))
    (work / "routes.json").write_text(json.dumps({"/api/*": "/$1"}))
    port = _free_port()
    argv = [executable, "--host", "127.0.0.1", "--port", str(port), "--routes", str(work / "routes.json")]
    argv.append(str(work / "db.json"))
    ready = re.compile(rb"http://127\.0\.0\.1:(?P<port>\d+)")
    return _start("json-server", argv, ready, 60.0, work / "json-server.log")


def phase_json_server(work: Path, cache: Path, seconds: float, connections: int, tool: str) -> dict[str, Any]:
    """Requests/s of the mock and json-server per scenario, and their ratio."""
    executable = json_server()
    if executable is None:
        print(f"  {HINT}", file=sys.stderr, flush=True)
        return {"status": HINT}
    out: dict[str, Any] = {"json_server": executable, "scenarios": []}
    with start_mock(SEED, SIZE, cache_dir=cache, log=work / "vs-json-mock.log", quiet=False) as mock:
        records = json.loads(_get(mock.base + INDEX))
        record = records[len(records) // 2]
        pairs = {
            "show": (f"{INDEX}/{record['id']}", f"{INDEX}/{record['id']}"),
            "full": (INDEX, INDEX),
            "eq": (
                f"{INDEX}?complete_by_eq={record['complete_by']}",
                f"{INDEX}?complete_by={record['complete_by']}",
            ),
            "cont": (
                f"{INDEX}?full_name_cont={quote_plus(record['full_name'].split()[-1].lower())}",
                f"{INDEX}?full_name_like={quote_plus(record['full_name'].split()[-1].lower())}",
            ),
        }
        with _start_json_server(executable, records, work) as other:
            for kind, (ours, theirs) in pairs.items():
                loadgen.measure(mock.base, [ours], seconds=1, connections=connections, tool=tool)
                mine = loadgen.measure(mock.base, [ours], seconds=seconds, connections=connections, tool=tool)
                loadgen.measure(other.base, [theirs], seconds=1, connections=connections, tool=tool)
                json_rps = loadgen.measure(
                    other.base, [theirs], seconds=seconds, connections=connections, tool=tool
                )
                row = {
                    "scenario": kind,
                    "mock_rps": round(mine.rps, 1),
                    "json_server_rps": round(json_rps.rps, 1),
                    "ratio": round(mine.rps / json_rps.rps, 2) if json_rps.rps else None,
                    "errors": mine.errors + json_rps.errors,
                }
                out["scenarios"].append(row)
                print(json_server_lines({"scenarios": [row]})[-1], flush=True)
    return out


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as response:
        body: bytes = response.read()
        return body


def json_server_lines(result: dict[str, Any]) -> list[str]:
    if not result:
        return []
    out = [f"\nmock (default configuration) vs json-server 0.17, {SIZE:,} records, same wrk load"]
    if "status" in result:
        return [*out, f"  {result['status']}"]
    for r in result["scenarios"]:
        verdict = (
            ("PASS " if r["ratio"] and r["ratio"] >= 5 else "GAP  ") if r["scenario"] == "show" else "     "
        )
        goal = "  (target >= 5x)" if r["scenario"] == "show" else ""
        out.append(
            f"  {verdict}{r['scenario']:<5} mock {r['mock_rps']:9,.0f}/s  json-server "
            f"{r['json_server_rps']:9,.0f}/s  x{r['ratio']}{goal}"
        )
    return out
