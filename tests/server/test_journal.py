"""The request journal: bounded in entries and bytes, oversized header values cut with a marker."""

from __future__ import annotations

import random

import orjson
from aiohttp.test_utils import TestClient, TestServer

from mockserver.generate import generate_records
from mockserver.server.app import create_app
from mockserver.server.journal import HEADER_VALUE_LIMIT, Journal
from mockserver.server.state import ServerState
from mockserver.server.store import Store
from mockserver.settings import Settings

AUTH = {"Authorization": 'Token token="dev-token"'}


def _kept_text(journal: Journal) -> int:
    return sum(
        len(e.path) + len(e.query) + 1 + sum(len(k) + len(v) for k, v in e.headers.items())
        for e in journal.entries()
    )


def test_journal_bytes_never_exceed_the_bound() -> None:
    """Check the journal's counted bytes stay within its bound under headers of random sizes,
    count at least the text it keeps, and that the newest small request is kept."""
    rng = random.Random(2)
    journal = Journal(size=1000, max_bytes=200_000)
    for n in range(400):
        headers = {f"X-H{i}": "v" * rng.randrange(0, 3000) for i in range(rng.randrange(0, 40))}
        journal.append("GET", f"/api/train_sessions?n={n}", headers, 200, False)
        assert journal.bytes <= journal.max_bytes
        assert journal.bytes >= _kept_text(journal)
    journal.append("GET", "/api/train_sessions?last", {}, 200, False)
    assert journal.entries()[-1].query == "last"
    assert journal.dropped == 401 - len(journal) > 0


def test_oversized_header_values_are_truncated_with_a_marker() -> None:
    """Check a header value over the limit is cut, says how long it was, and flags the entry."""
    journal = Journal()
    long = "a" * (HEADER_VALUE_LIMIT * 5)
    journal.append("GET", "/api/train_sessions", {"X-Big": long, "Accept": "*/*"}, 200, False)
    journal.append("GET", "/api/train_sessions", {"Accept": "*/*"}, 200, False)
    big, small = journal.entries()
    assert big.headers["X-Big"] == "a" * HEADER_VALUE_LIMIT + f"...[truncated: {len(long)} chars]"
    assert big.headers["Accept"] == "*/*"
    assert big.truncated and big.to_json()["truncated"] is True
    assert not small.truncated and "truncated" not in small.to_json()


def test_clear_resets_the_byte_count() -> None:
    """Check emptying the journal gives its bytes back."""
    journal = Journal()
    journal.append("GET", "/x", {"A": "b" * 500}, 200, False)
    assert journal.bytes > 500
    journal.clear()
    assert (len(journal), journal.bytes) == (0, 0)


async def test_requests_with_large_headers_stay_within_the_bound() -> None:
    """Check many requests with large headers keep the journal and its JSON answer bounded."""
    state = ServerState(Store(generate_records(1, 20)), journal_bytes=256 * 1024)
    app = create_app(Settings(access_log=False), state.store, state=state)
    headers = {**AUTH, **{f"X-Pad-{i}": "p" * 8000 for i in range(8)}}
    async with TestClient(TestServer(app)) as client:
        for _ in range(60):
            assert (await client.get("/api/train_sessions/1", headers=headers)).status in (200, 404)
        assert state.journal.bytes <= 256 * 1024
        answer = await client.get("/__mockserver/requests")
        body = await answer.read()
    assert len(body) < 2 * 256 * 1024  # 60 requests x 64 KB of headers sent
    entries = orjson.loads(body)["requests"]
    assert entries and all(e["truncated"] for e in entries)
    assert all(len(e["headers"]["X-Pad-0"]) < HEADER_VALUE_LIMIT + 40 for e in entries)
    assert entries[-1]["headers"]["Authorization"] == "Token [REDACTED]"


def test_redacted_targets_memo_is_bounded_and_still_redacts() -> None:
    """Check that the memo of redacted targets (journal and access log share it) never holds
    more than its bound, and a remembered target is still returned redacted."""
    from mockserver.server import redaction

    for n in range(redaction.REDACTED_TARGETS_MAX * 3):
        assert redaction.redact(f"/api/train_sessions?%74oken=s{n}&x=1") == (
            "/api/train_sessions?%74oken=[REDACTED]&x=1"
        )
        assert len(redaction._REDACTED_TARGETS) <= redaction.REDACTED_TARGETS_MAX


def test_redaction_keeps_no_key_over_a_few_kib() -> None:
    """Check a long target and a long set of header names are redacted but not remembered,
    while short ones are (the journal redacts every request)."""
    from multidict import CIMultiDict

    from mockserver.server import redaction

    redaction._REDACTED_TARGETS.clear()
    redaction._secret_header_names.clear()
    long_target = "/api/train_sessions?token=s3cret&x=" + "%41" * redaction.KEY_MAX
    assert "s3cret" not in redaction.redact(long_target)
    names = CIMultiDict([(f"X-Api-Token-{i:04d}", "s3cret") for i in range(200)])
    assert "s3cret" not in redaction.redact_headers(names).values()
    assert redaction._REDACTED_TARGETS == {} and redaction._secret_header_names == {}
    assert "s3cret" not in redaction.redact("/api/train_sessions?token=s3cret")
    assert "s3cret" not in redaction.redact_headers(CIMultiDict([("Api-Key", "s3cret")])).values()
    assert len(redaction._REDACTED_TARGETS) == len(redaction._secret_header_names) == 1
