"""The worst requests found, against a default server over 100,000 records.

Each case is sent ``REPEAT`` times, each time a different search (a score floor changes), so
no cache answers it. Meanwhile a probe asks ``/__mockserver/health`` every few milliseconds on
its own connection: its slowest answer is the longest the event loop stalled, which is what
every other client of the server would wait. Target: both under ``TARGET_MS``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from .servers import start_mock

SEED = 2015
SIZE = 100_000
REPEAT = 5
TARGET_MS = 50.0
INDEX = "/api/train_sessions"

Case = Callable[[int], tuple[str, list[tuple[str, str]]]]  # n -> target, headers


def _nested(depth: int) -> str:
    return "".join("[g][0]" for _ in range(depth))


# Each answer is small, so what is measured is the work a request makes, not its body.
CASES: dict[str, Case] = {
    "nested %_ (matches)": lambda n: (
        f"{INDEX}?course_name_matches=%25_%25_%25_%25_%25_%25_%25_%25%23{n}",
        [],
    ),
    "%a%a…%b (matches)": lambda n: (f"{INDEX}?full_name_matches={'%25a' * 12}%25b&score_eq={n}", []),
    "100 Accept headers of 8 KB": lambda n: (
        f"{INDEX}/{n + 1}",
        [("Accept", ",".join(f"text/*;q=0.{i + n}" for i in range(700))[:8000])] * 100,
    ),
    "deep g[] (45 levels)": lambda n: (f"{INDEX}?g[0]{_nested(45)}[full_name_cont]=zq{n}&score_gteq=1", []),
    "long _or_ chain (500)": lambda n: (
        f"{INDEX}?{'full_name_or_course_name_or_' * 250}full_name_cont=zq{n}&score_gteq=1",
        [],
    ),
    "300 _cont_any values": lambda n: (
        f"{INDEX}?{'&'.join(f'full_name_cont_any[]=q{i}z{n}' for i in range(300))}",
        [],
    ),
    "sort by two texts": lambda n: (f"{INDEX}?s[]=full_name+asc&s[]=course_name+desc&score_eq={n}", []),
}


async def _probe(session: aiohttp.ClientSession, url: str, stop: asyncio.Event, seen: list[float]) -> None:
    while not stop.is_set():
        sent = time.perf_counter()
        async with session.get(url) as response:
            await response.read()
        seen.append((time.perf_counter() - sent) * 1000)
        await asyncio.sleep(0.002)


async def _run_case(base: str, case: Case) -> dict[str, Any]:
    slowest = 0.0
    statuses: set[int] = set()
    stalls: list[float] = []
    stop = asyncio.Event()
    timeout = aiohttp.ClientTimeout(total=600)
    async with (
        aiohttp.ClientSession(timeout=timeout) as probe_session,
        aiohttp.ClientSession(timeout=timeout) as session,
    ):
        probe = asyncio.create_task(_probe(probe_session, base + "/__mockserver/health", stop, stalls))
        await asyncio.sleep(0.05)
        for n in range(REPEAT):
            target, headers = case(n)
            sent = time.perf_counter()
            async with session.get(base + target, headers=headers) as response:
                await response.read()
                statuses.add(response.status)
            slowest = max(slowest, (time.perf_counter() - sent) * 1000)
        await asyncio.sleep(0.05)
        stop.set()
        await probe
    return {
        "slowest_ms": round(slowest, 2),
        "stall_ms": round(max(stalls, default=0.0), 2),
        "statuses": sorted(statuses),
    }


def phase_worst(work: Path, cache: Path) -> list[dict[str, Any]]:
    """Every case against one default server (access log on) over SIZE records."""
    rows = []
    with start_mock(SEED, SIZE, cache_dir=cache, log=work / "worst.log", timeout=600, quiet=False) as mock:
        for name, case in CASES.items():
            result = asyncio.run(_run_case(mock.base, case))
            rows.append({"case": name, **result})
            print(worst_lines([rows[-1]])[-1], flush=True)
    return rows


def worst_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The table section, with PASS/GAP against TARGET_MS."""
    if not rows:
        return []
    out = [
        f"\nworst cases over {SIZE:,} records ({REPEAT} different searches each; target < {TARGET_MS:g} ms)"
    ]
    for r in rows:
        ok = r["slowest_ms"] < TARGET_MS and r["stall_ms"] < TARGET_MS
        out.append(
            f"  {'PASS' if ok else 'GAP '} {r['case']:<28} slowest {r['slowest_ms']:8.2f} ms  "
            f"loop stall {r['stall_ms']:8.2f} ms  status {r['statuses']}"
        )
    return out
