"""A bounded concurrent load on a real server process: no errors and no wrong answers.

A few thousand requests over dozens of connections, each answer checked against an oracle
computed here from the unfiltered index (the simple filters only, restated from the spec, not
taken from ``mockserver.engine.search``).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest
from yarl import URL

from ..server_process import serve

pytestmark = [pytest.mark.process, pytest.mark.slow]  # every test here starts a subprocess

INDEX = "/api/train_sessions"
REQUESTS = 3000
CONNECTIONS = 48
Record = dict[str, object]
Expected = tuple[int, Callable[[bytes], bool]]


def pg_lower(text: str) -> str:
    """PostgreSQL lower(): per code point, U+0130 becomes i (restated from the spec)."""
    return "".join("i" if c == "\u0130" else c.lower() for c in text)


def _ids(body: bytes) -> list[int]:
    return [r["id"] for r in json.loads(body)]


def _plan(records: list[Record], rng: random.Random) -> Iterator[tuple[str, Expected]]:
    """Endless (target, (status, body check)) pairs over ``records`` (the unfiltered index)."""
    ids = [int(str(r["id"])) for r in records]
    present = set(ids)
    absent = [i for i in range(1, max(ids) + 2) if i not in present]
    lowered = {r["id"]: pg_lower(str(r["full_name"])) for r in records}

    def where(test: Callable[[Record], bool]) -> Callable[[bytes], bool]:
        expected = [r["id"] for r in records if test(r)]
        return lambda body: _ids(body) == expected

    def date_filter(name: str, field: str, op: Callable[[str, str], bool]) -> tuple[str, Expected]:
        value = str(rng.choice([r[field] for r in records if r[field]]))
        return (
            f"{INDEX}?{name}={value}",
            (200, where(lambda r: r[field] is not None and op(str(r[field]), value))),
        )

    while True:
        kind = rng.randrange(12)
        record = rng.choice(records)
        if kind == 0:
            rendered = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
            yield f"{INDEX}/{record['id']}", (200, lambda b, r=record: json.loads(b) == r)
            yield f"{INDEX}/{record['id']}", (200, lambda b, s=rendered: b.decode() == s)
        elif kind == 1:
            yield (
                f"{INDEX}/{rng.choice(absent)}",
                (404, lambda b: json.loads(b) == {"status": 404, "error": "Not Found"}),
            )
        elif kind == 2:
            for name in ("score", "percent_complete", "failed_attempts"):
                value = record[name]
                yield f"{INDEX}?{name}_eq={value}", (200, where(lambda r, n=name, v=value: r[n] == v))
        elif kind == 3:
            value = record["complete_by"] or "2015-01-01"
            yield (f"{INDEX}?complete_by_eq={value}", (200, where(lambda r, v=value: r["complete_by"] == v)))
        elif kind == 4:
            yield date_filter("completion_date_gteq", "completion_date", lambda a, b: a >= b)
        elif kind == 5:
            yield date_filter("completion_date_lteq", "completion_date", lambda a, b: a <= b)
        elif kind == 6:
            yield date_filter("cert_expiry_gt", "cert_expiry", lambda a, b: a > b)
        elif kind == 7:
            yield date_filter("cert_expiry_lt", "cert_expiry", lambda a, b: a < b)
        elif kind == 8:
            name = lowered[record["id"]]
            start = rng.randrange(len(name))
            needle = name[start : start + rng.randint(2, 6)].strip() or name
            yield (
                f"{INDEX}?full_name_cont={quote(needle)}",
                (200, where(lambda r, n=needle: n in lowered[r["id"]])),
            )
        elif kind == 9:
            value = record["score"]
            low = record["completion_date"] or "2016-01-01"
            yield (
                f"{INDEX}?score_eq={value}&completion_date_gteq={low}",
                (
                    200,
                    where(
                        lambda r, v=value, d=low: (
                            r["score"] == v
                            and r["completion_date"] is not None
                            and str(r["completion_date"]) >= d
                        )
                    ),
                ),
            )
        elif kind == 10:
            yield (
                f"{INDEX}?score_eq[]=1",
                (500, lambda b: json.loads(b) == {"status": 500, "error": "Internal Server Error"}),
            )
        elif rng.random() < 0.2:
            yield INDEX, (200, lambda b: _ids(b) == ids)


async def test_concurrent_load_has_no_errors_and_no_wrong_answers(tmp_path: Path) -> None:
    """Check that 3,000 mixed requests over 48 connections all get the right status and body."""
    with serve(tmp_path, "--seed", "11", "--count", "800", "--no-auth", "--quiet") as server:
        port = server.port
        base = f"http://127.0.0.1:{port}"
        connector = aiohttp.TCPConnector(limit=CONNECTIONS)
        timeout = aiohttp.ClientTimeout(total=30)
        json_client = {"Accept": "application/json"}  # error bodies follow the request's format
        async with aiohttp.ClientSession(
            connector=connector, timeout=timeout, headers=json_client
        ) as session:
            async with session.get(base + INDEX) as response:
                records: list[Record] = await response.json()
            assert [r["id"] for r in records] == sorted((r["id"] for r in records), reverse=True)
            plan = _plan(records, random.Random(5))
            work = [next(plan) for _ in range(REQUESTS)]
            queue: asyncio.Queue[tuple[str, Expected]] = asyncio.Queue()
            for item in work:
                queue.put_nowait(item)
            wrong: list[str] = []

            async def client() -> None:
                while not queue.empty():
                    target, (status, check) = queue.get_nowait()
                    async with session.get(URL(base + target, encoded=True)) as response:
                        body = await response.read()
                    if response.status != status or not check(body):
                        wrong.append(f"{target}: {response.status} {body[:200]!r}")

            started = time.monotonic()
            await asyncio.wait_for(asyncio.gather(*(client() for _ in range(CONNECTIONS))), 60)
            elapsed = time.monotonic() - started
    assert wrong == [], f"{len(wrong)} wrong answers of {REQUESTS} ({elapsed:.1f} s)"
