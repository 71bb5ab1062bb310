"""Replay the Rails differential runs against the mock and compare with real Rails.

``tests/data/rails-differential/cases-seed7.jsonl.gz`` holds 6,383 raw requests, each with the
answer a real Rails 6.1 + Ransack 4.1.1 + PostgreSQL app gave (``../shared/spec/rails-differential``),
recorded from the stand-in's 2015-02 mode (JSON whatever the format). Each request is sent byte
for byte, on a fresh connection, to the mock serving the same fixture file with the same two
tokens. Status, ``Content-Type`` and body must agree (the body by the run's own ``canon`` digest;
a 401 also by ``WWW-Authenticate``; ``Vary`` and ``ETag`` where the case recorded them); an HTML
error page agrees on status and content type only, since the reference app had no ``public/*.html``.

The seed-7 run is replayed twice: under ``--api-revision 2015-02`` against its own answers, and
under the default 2015-08 against them except for the 28 requests whose answer the stand-in's
2015-08 mode gives otherwise (XML: ``.xml``, ``?format=xml``, an XML Accept), whose 2015-08
answers are in ``seed7-2015-08.jsonl.gz``. ``tests/data/xml-differential/`` holds a corpus of XML
requests recorded from the 2015-08 stand-in (``tests/server/xml_corpus.py``), replayed the same way.

Left out: class S, the front-end server's handling of raw bytes and request lines (Puma there,
aiohttp here; the answers Puma writes itself carry no ``Content-Type``). No other exception.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from mockserver.dataset import load_records
from mockserver.server.app import create_app
from mockserver.server.store import Store
from mockserver.settings import Settings
from tests.server.player_paths import is_player_target

DATA = Path(__file__).resolve().parents[1] / "data" / "rails-differential"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "spec" / "rails-differential"
CASES = DATA / "cases-seed7.jsonl.gz"
FIXTURES = DATA / "fixtures.json"
CASES_2015_08 = DATA / "seed7-2015-08.jsonl.gz"  # the answers the 2015-08 stand-in gives otherwise
XML_DATA = DATA.parent / "xml-differential"
TOKENS: dict[str, str | None] = {"standin-token": None, "other-token": "other"}


def _is_class_s(case: dict[str, Any]) -> bool:
    """The HTTP-server class: classify.py's request rule, or an answer Puma wrote itself."""
    target, auth = case["target"], case["auth"] or ""
    return bool(
        case["tag"] == "raw-target"
        or target == "*"
        or target.startswith("http://")
        or "\x0b" in auth
        or re.search(r'["<>]', target)
        or len(target) > 8190 - 16
        or case["rails"]["status"] == 0
        or case["rails"]["content_type"] is None
    )


def canonical(body: bytes) -> str:
    """fuzz.py's ``canonical``: a digest of the parsed JSON (key order kept), else of the bytes."""
    try:
        parsed = json.loads(body.decode("utf-8"), object_pairs_hook=lambda p: [("__obj__", p)])
    except (ValueError, UnicodeDecodeError):
        data = b"raw:" + body
    else:
        data = json.dumps(parsed, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(data).hexdigest()[:16]


def _request_bytes(case: dict[str, Any], port: int) -> bytes:
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


def _dechunk(body: bytes) -> bytes:
    out, rest = b"", body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, rest = out + rest[:size], rest[size + 2 :]
    return out


def _parse_answer(raw: bytes, method: str) -> dict[str, Any]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = [tuple(h.split(": ", 1)) for h in header_lines if ": " in h]
    named = {k.lower(): v for k, v in headers}
    if method == "HEAD":
        body = b""
    elif named.get("transfer-encoding") == "chunked":
        body = _dechunk(body)
    return {
        "status": int(status_line.split(" ")[1]),
        "content_type": named.get("content-type"),
        "www_authenticate": [v for k, v in headers if k.lower() == "www-authenticate"] or None,
        "canon": canonical(body),
        "body": body[:200],
        "vary": named.get("vary"),
        "etag": named.get("etag"),
    }


async def _replay(
    cases: list[dict[str, Any]], fixtures: Path = FIXTURES, api_revision: str = "2015-08"
) -> dict[int, dict[str, Any]]:
    settings = Settings(tokens=TOKENS, access_log=False, host="127.0.0.1", port=0, api_revision=api_revision)
    runner = web.AppRunner(create_app(settings, Store(load_records(fixtures))))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    limit = asyncio.Semaphore(8)

    async def send(case: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        async with limit:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(_request_bytes(case, port))
            await writer.drain()
            raw = await reader.read()
            writer.close()
            await writer.wait_closed()
        return case["n"], _parse_answer(raw, case["method"])

    try:
        return dict(await asyncio.gather(*(send(c) for c in cases)))
    finally:
        await runner.cleanup()


def _differs(case: dict[str, Any], answer: dict[str, Any]) -> str | None:
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


def _load(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def _problems(cases: list[dict[str, Any]], answers: dict[int, dict[str, Any]]) -> list[str]:
    return [
        f"{c['n']} {c['tag']} {c['method']} {c['target'][:90]!r} accept={c['accept']!r}: {why}"
        for c in cases
        if (why := _differs(c, answers[c["n"]]))
    ]


@pytest.fixture(scope="module", params=["2015-08", "2015-02"])
def replayed(request: pytest.FixtureRequest) -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]]]:
    """The seed-7 cases outside class S, with the answers the revision's stand-in gives, and
    the mock's answers under that revision."""
    cases = [c for c in _load(CASES) if not _is_class_s(c)]
    if request.param == "2015-08":
        later = {c["n"]: c["rails"] for c in _load(CASES_2015_08)}
        cases = [{**c, "rails": later[c["n"]]} if c["n"] in later else c for c in cases]
        # the stand-in serves no course player; the mock's is checked in tests/server/test_player.py
        cases = [c for c in cases if not is_player_target(c["target"])]
    return cases, asyncio.run(_replay(cases, api_revision=request.param))


@pytest.mark.skipif(not SHARED.exists(), reason="shared/spec is not beside this checkout")
@pytest.mark.parametrize("name", ["cases-seed7.jsonl.gz", "fixtures.json"])
def test_vendored_copy_matches_the_shared_spec(name: str) -> None:
    """Check that tests/data's copy of the differential run is the shared spec's, byte for byte."""
    assert (DATA / name).read_bytes() == (SHARED / name).read_bytes()


def test_replay_agrees_with_rails_outside_class_s(replayed) -> None:  # type: ignore[no-untyped-def]
    """Check every request outside class S gets Rails' status, content type and body."""
    cases, answers = replayed
    problems = _problems(cases, answers)
    assert not problems, f"{len(problems)} answers differ from Rails:\n" + "\n".join(problems[:60])


def test_seed7_xml_cases_are_the_ones_2015_08_answers_otherwise() -> None:
    """Check that the 2015-08 answers that differ are exactly XML ones, for XML-format requests."""
    later = _load(CASES_2015_08)
    assert len(later) == 28
    assert all(c["rails"]["content_type"] == "application/xml; charset=utf-8" for c in later)
    for case in later:
        accept = case["accept"] or ""
        assert ".xml" in case["target"] or "format=xml" in case["target"] or accept.endswith(("xml", "/*"))


def test_xml_corpus_agrees_with_the_2015_08_stand_in() -> None:
    """Check every request of the XML corpus (seed 16; nulls, accents, & < > in the data) gets
    the stand-in's status, content type, body bytes, ETag and Vary."""
    cases = _load(XML_DATA / "cases.jsonl.gz")
    assert len(cases) >= 400
    answers = asyncio.run(_replay(cases, fixtures=XML_DATA / "fixtures.json"))
    problems = _problems(cases, answers)
    assert not problems, f"{len(problems)} answers differ from Rails:\n" + "\n".join(problems[:60])
