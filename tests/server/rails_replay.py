"""Replaying recorded Rails answers against the mock, byte for byte: one helper for the seed-7
differential replay (test_rails_differential) and the generation replay (test_stacks_standin).

``replay`` serves the fixtures in-process and keeps the app's ``ServerState``, so a Python
exception in the mock, which the server turns into Rails' own 500 body, is seen as the bug it is
instead of agreeing with a request Rails answered 500 to.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from mockserver.dataset import load_records
from mockserver.server.app import create_app
from mockserver.server.state import ServerState
from mockserver.server.store import Store
from mockserver.settings import Settings
from mockserver.stacks import DEFAULT_STACK, Stack

DATA = Path(__file__).resolve().parents[1] / "data" / "rails-differential"
FIXTURES = DATA / "fixtures.json"
TOKENS: dict[str, str | None] = {"standin-token": None, "other-token": "other"}
CONCURRENCY = 8


@dataclass
class Replayed:
    """The mock's answer to every case by its number, and the exceptions the mock recorded."""

    answers: dict[int, dict[str, Any]]
    bugs: list[str]


def canonical(body: bytes) -> str:
    """fuzz.py's ``canonical``: a digest of the parsed JSON (key order kept), else of the bytes."""
    try:
        parsed = json.loads(body.decode("utf-8"), object_pairs_hook=lambda p: [("__obj__", p)])
    except (ValueError, UnicodeDecodeError):
        data = b"raw:" + body
    else:
        data = json.dumps(parsed, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(data).hexdigest()[:16]


def request_bytes(case: dict[str, Any], port: int) -> bytes:
    lines = [f"{case['method']} {case['target']} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    if case["auth"] is not None:
        lines.append(f"Authorization: {case['auth']}")
    elif case["auth_default"]:
        lines.append('Authorization: Token token="standin-token"')
    if case["accept"] is not None:
        lines.append(f"Accept: {case['accept']}")
    lines += [f"{name}: {value}" for name, value in case["extra_headers"]]
    body = case.get("body")  # a GET/HEAD body (tests/server/params_corpus.py), UTF-8 text
    if body is not None:
        lines.append(f"Content-Length: {len(body.encode('utf-8'))}")
    lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if body is None else head + body.encode("utf-8")


def dechunk(body: bytes) -> bytes:
    out, rest = b"", body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, rest = out + rest[:size], rest[size + 2 :]
    return out


def parse_answer(raw: bytes, method: str) -> dict[str, Any]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = [tuple(h.split(": ", 1)) for h in header_lines if ": " in h]
    named = {k.lower(): v for k, v in headers}
    if method == "HEAD":
        body = b""
    elif named.get("transfer-encoding") == "chunked":
        body = dechunk(body)
    return {
        "status": int(status_line.split(" ")[1]),
        "content_type": named.get("content-type"),
        "www_authenticate": [v for k, v in headers if k.lower() == "www-authenticate"] or None,
        "canon": canonical(body),
        "body": body[:200],
        "vary": named.get("vary"),
        "etag": named.get("etag"),
    }


def differs(case: dict[str, Any], answer: dict[str, Any]) -> str | None:
    """What differs from Rails' answer, or None."""
    rails = case["rails"]
    if answer["status"] != rails["status"]:
        return f"status {answer['status']} != {rails['status']}"
    if answer["content_type"] != rails["content_type"]:
        return f"content type {answer['content_type']!r} != {rails['content_type']!r}"
    html_page = rails["status"] >= 400 and (rails["content_type"] or "").startswith("text/html")
    if not html_page and answer["canon"] != rails["canon"]:
        return f"body {answer['body']!r} != {rails['body'] or rails['ids']!r}"
    if rails["status"] == 401 and answer["www_authenticate"] != rails["www_authenticate"]:
        return "WWW-Authenticate differs"
    for header in ("vary", "etag"):
        if header in rails and answer[header] != rails[header]:
            return f"{header} {answer[header]!r} != {rails[header]!r}"
    return None


async def send_all(app: web.Application, passes: list[list[dict[str, Any]]]) -> list[list[bytes]]:
    """Serve ``app`` on loopback and send each pass's cases (pass after pass), each on a fresh
    connection, ``CONCURRENCY`` at once: every raw answer, in the cases' order."""
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    limit = asyncio.Semaphore(CONCURRENCY)

    async def send(case: dict[str, Any]) -> bytes:
        async with limit:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request_bytes(case, port))
            await writer.drain()
            raw = await reader.read()
            writer.close()
            await writer.wait_closed()
        return raw

    try:
        return [list(await asyncio.gather(*(send(c) for c in cases))) for cases in passes]
    finally:
        await runner.cleanup()


async def _replay(cases: list[dict[str, Any]], stack: Stack, fixtures: Path, api_revision: str) -> Replayed:
    settings = Settings(
        tokens=TOKENS, access_log=False, host="127.0.0.1", port=0, stack=stack, api_revision=api_revision
    )
    store = Store(load_records(fixtures))
    state = ServerState(store, memo_bytes=settings.memo_mb << 20)
    raws = await send_all(create_app(settings, store, state=state), [cases])
    answers = {c["n"]: parse_answer(raw, c["method"]) for c, raw in zip(cases, raws[0], strict=True)}
    return Replayed(answers, [f"{type(e).__name__}: {e}" for e in state.bugs])


def replay(
    cases: list[dict[str, Any]],
    stack: Stack = DEFAULT_STACK,
    *,
    fixtures: Path = FIXTURES,
    api_revision: str = "2015-08",
) -> Replayed:
    """Send every case to the mock serving ``fixtures`` as ``stack`` and ``api_revision``, on a
    fresh connection each."""
    return asyncio.run(_replay(cases, stack, fixtures, api_revision))


def load(path: Path) -> list[dict[str, Any]]:
    """The cases of a gzipped JSON-lines file."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]
