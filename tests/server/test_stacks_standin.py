"""``--stack rails6.1-ransack2.4`` against real code: the requests of the seed-7 differential run
that a real Rails 6.1 app answers differently on Ransack v2.4.2 than on v4.1.1.

``tests/data/rails-differential/ransack2.4.2-seed7-differs.jsonl`` holds those 67 requests (all
out-of-int4 integers, a 500 on 2.4.2) with the v2.4.2 app's answers: the stand-in of
``shared/tools/rails-standin`` with ``STANDIN_RANSACK=v2.4.2``, fed ``fixtures.json``.
Replayed byte for byte, the mock in that generation must give each answer, and the default
generation must not (it gives 4.1.1's, which ``test_rails_differential`` checks). The whole
run agreed outside class S (6,348 of 6,383).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from mockserver.dataset import load_records
from mockserver.server.app import create_app
from mockserver.server.store import Store
from mockserver.settings import Settings
from mockserver.stacks import DEFAULT_STACK, Stack, stack_named
from tests.server.test_rails_differential import FIXTURES, TOKENS, _differs, _parse_answer, _request_bytes

CASES = (
    Path(__file__).resolve().parents[1] / "data" / "rails-differential" / "ransack2.4.2-seed7-differs.jsonl"
)


async def _replay(cases: list[dict[str, Any]], stack: Stack) -> dict[int, dict[str, Any]]:
    settings = Settings(tokens=TOKENS, access_log=False, host="127.0.0.1", port=0, stack=stack)
    runner = web.AppRunner(create_app(settings, Store(load_records(FIXTURES))))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]

    async def send(case: dict[str, Any]) -> tuple[int, dict[str, Any]]:
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


@pytest.fixture(scope="module")
def cases() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines()]


def test_ransack_2_4_generation_answers_as_real_ransack_2_4(cases: list[dict[str, Any]]) -> None:
    """Check that every generation-dependent request gets real Rails 6.1 + Ransack 2.4.2's answer."""
    answers = asyncio.run(_replay(cases, stack_named("rails6.1-ransack2.4")))
    wrong = {c["target"]: why for c in cases if (why := _differs(c, answers[c["n"]]))}
    assert len(cases) == 67
    assert wrong == {}


def test_default_generation_answers_otherwise(cases: list[dict[str, Any]]) -> None:
    """Check that these requests do tell the generations apart: the default answers each otherwise."""
    answers = asyncio.run(_replay(cases, DEFAULT_STACK))
    assert all(_differs(c, answers[c["n"]]) for c in cases)
