"""The answer cache changes no byte: the seed-7 requests answered with and without it."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
from typing import Any

from mockserver.dataset import load_records
from mockserver.server.app import create_app
from mockserver.server.keys import STATE
from mockserver.server.store import Store
from mockserver.settings import Settings
from tests.server.rails_replay import FIXTURES, TOKENS, send_all
from tests.server.test_rails_differential import CASES, _is_class_s

PER_REQUEST = re.compile(rb"\r\n(?:X-Request-Id|X-Runtime|Date): [^\r]*", re.I)


async def _answers(
    cases: list[dict[str, Any]], memo_mb: int, passes: int
) -> tuple[list[bytes], dict[str, int]]:
    """Every case's raw answer (per-request headers cut), ``passes`` times over, and the counters."""
    settings = Settings(tokens=TOKENS, access_log=False, host="127.0.0.1", port=0, memo_mb=memo_mb)
    app = create_app(settings, Store(load_records(FIXTURES)))
    answers = [PER_REQUEST.sub(b"", raw) for raws in await send_all(app, [cases] * passes) for raw in raws]
    return answers, app[STATE].memo.stats()


def test_memo_off_serves_the_same_bytes_as_the_default() -> None:
    """Check --memo-mb 0 and the default (twice over: the second pass from the cache) answer
    every seed-7 request with the same status line, headers and body."""
    with gzip.open(CASES, "rt", encoding="utf-8") as lines:
        cases = [c for c in map(json.loads, lines) if not _is_class_s(c)]
    cached, stats = asyncio.run(_answers(cases, 64, passes=2))
    plain, off = asyncio.run(_answers(cases, 0, passes=1))
    assert stats["served_by_request"] > 100 and stats["served_by_search"] > 100  # both caches served
    assert stats["served_pure"] > 100  # and the request parts read before
    assert off["served_by_request"] == off["served_by_search"] == off["served_pure"] == 0
    assert off["bytes"] == off["entries"] == 0
    differ = [c["target"][:80] for c, a, b in zip(cases, cached[: len(cases)], plain, strict=True) if a != b]
    again = [c["target"][:80] for c, a, b in zip(cases, cached[len(cases) :], plain, strict=True) if a != b]
    assert not differ and not again, f"{len(differ)} + {len(again)} answers differ: {(differ + again)[:10]}"
