"""Replay the unassign corpus recorded from the Rails stand-in against a fresh mock, in order.

``tests/data/unassign/cases-seed16.jsonl.gz`` holds 700 requests drawn with seed 16 and 34
hand-written edges (``EDGES``) by ``tools/unassign_corpus.py`` (JSON, form, multipart and
``<content>`` XML bodies, odd and missing parameters, every method, both tokens, wrong and
missing tokens, repeats, index reads between
them) and the answers of the stand-in (``STANDIN_API=2015-08``) to the sequence, sent one after
the other to one freshly loaded database. Unassign removes rows, so the sequence is replayed in
the same order to one mock serving the same fixture file: status, the compared headers and the
body (or its digest) must agree for every case.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from mockserver.dataset import load_records
from mockserver.server.app import create_app
from mockserver.server.store import Store
from mockserver.settings import Settings
from tests.server.rails_replay import FIXTURES, TOKENS

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "data" / "unassign" / "cases-seed16.jsonl.gz"
sys.path.insert(0, str(ROOT / "tools"))
import unassign_corpus  # noqa: E402  (the recorder: the same request bytes and answer digest)


def comparable(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer without an HTML error page's body: the stand-in has no ``public/*.html``."""
    html = answer["headers"].get("content-type", "").startswith("text/html")
    if answer["status"] >= 400 and html:
        return {**answer, "body": None}
    return answer


def _cases() -> list[dict[str, Any]]:
    with gzip.open(CASES, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def corpus_store(directory: Path) -> Store:
    """The corpus' data (``unassign_corpus.corpus_records``: two accounts), loaded as a file."""
    path = directory / "unassign-fixtures.json"
    records = unassign_corpus.corpus_records(json.loads(FIXTURES.read_text(encoding="utf-8")))
    path.write_text(json.dumps(records), encoding="utf-8")
    return Store(load_records(path))


async def _replay_in_order(cases: list[dict[str, Any]], store: Store, **options: Any) -> list[dict[str, Any]]:
    """Send ``cases`` one after the other to one fresh mock serving ``store``."""
    settings = Settings(tokens=TOKENS, access_log=False, host="127.0.0.1", port=0, **options)
    runner = web.AppRunner(create_app(settings, store))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    answers = []
    try:
        for case in cases:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(unassign_corpus.request_bytes(case, port))
            await writer.drain()
            raw = await reader.read()
            writer.close()
            answers.append(unassign_corpus.answer_of(raw, case["method"]))
    finally:
        await runner.cleanup()
    return answers


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    cases = _cases()
    return cases, asyncio.run(_replay_in_order(cases, corpus_store(tmp_path_factory.mktemp("unassign"))))


def test_corpus_is_varied(replayed) -> None:
    """Check that the corpus covers removals, none found, 400, 401, 404 and 500, in bulk."""
    cases, _ = replayed
    statuses = [c["rails"]["status"] for c in cases]
    removed = [c for c in cases if c["rails"]["status"] == 200 and c["rails"].get("body") == ""]
    assert len(cases) >= 500 and len(removed) >= 50
    assert {400, 401, 404, 500} <= set(statuses)
    assert {c["content_type"] for c in cases} >= {"application/json", "application/xml", "text/xml", None}


def test_replay_agrees_with_rails(replayed) -> None:
    """Check that every recorded case gets the stand-in's status, headers and body, in order."""
    cases, answers = replayed
    differing = [
        (i, c["method"], c["target"], c["content_type"], c["body"][:80], c["rails"], a)
        for i, (c, a) in enumerate(zip(cases, answers, strict=True))
        if comparable(c["rails"]) != comparable(a)
    ]
    assert not differing, f"{len(differing)} of {len(cases)} differ; first: {differing[:3]}"


def test_index_after_unassign_lists_what_rails_lists(replayed) -> None:
    """Check that the full index read after the sequence has the stand-in's digest (removals real)."""
    cases, answers = replayed
    index = [
        (c["rails"], a)
        for c, a in zip(cases, answers, strict=True)
        if c["tag"] == "index" and c["target"] == "/api/train_sessions" and "body_sha256" in c["rails"]
    ]
    assert index, "the corpus reads the full index"
    digests = {r["body_sha256"] for r, _ in index}
    assert len(digests) > 1, "the index changed along the sequence"
    assert all(r == a for r, a in index)


def test_body_digest_is_of_the_bytes() -> None:
    """Check that the answer digest is of the body bytes (a changed byte changes it)."""
    body = b"[" + b"1," * 1500 + b"2]"
    raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + body
    answer = unassign_corpus.answer_of(raw, "GET")
    assert answer["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert unassign_corpus.answer_of(raw[:-2] + b"3]", "GET") != answer


def test_corpus_is_what_the_seed_draws(replayed) -> None:
    """Check that the recorded requests are exactly what tools/unassign_corpus.py draws from seed 16."""
    cases, _ = replayed
    records = unassign_corpus.corpus_records(json.loads(FIXTURES.read_text(encoding="utf-8")))
    drawn = unassign_corpus.build_cases(16, 700, records)
    assert [{k: v for k, v in c.items() if k != "rails"} for c in cases] == drawn
