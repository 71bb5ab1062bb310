"""What a new search costs in CPU, without HTTP: ``python -m benchmarks.inprocess``.

Builds the app in process over generated records (the default configuration but the access
log), makes each request beforehand (aiohttp's mocked requests), then hands each to the
API handler, which runs as under a server: memo, negotiation, auth, search, rendering,
journal and the per-request headers. Every request is a different search from the data
(``values.distinct_targets``), so each runs one. Then the engine's steps alone on the same
targets: Rack parsing, compiling (``compile_search``), searching and joining the bytes.
Prints CPU microseconds per request (``time.process_time``, the best of a few batches: other
load on the machine disturbs it less than the wall clock).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from mockserver.engine import rack
from mockserver.engine.search import compile_search
from mockserver.generate import generate_records
from mockserver.server.app import create_app
from mockserver.server.store import Store
from mockserver.settings import Settings

from .values import distinct_targets

HEADERS = {"Authorization": 'Token token="bench"', "Host": "127.0.0.1:3000", "Accept": "*/*"}
BATCHES = 4


async def _requests(app: web.Application, targets: Sequence[str]) -> list[tuple[web.Request, Any]]:
    made = []
    for target in targets:
        request = make_mocked_request("GET", target, headers=HEADERS, app=app)
        match = await app.router.resolve(request)
        match.add_app(app)
        match.freeze()
        request._match_info = match  # what aiohttp's request handler sets
        made.append((request, match.handler))
    return made


def _best(batches: list[list[Any]], step: Callable[[Any], object]) -> float:
    """CPU microseconds per item: the best batch."""
    best = float("inf")
    for batch in batches:
        started = time.process_time()
        for item in batch:
            step(item)
        best = min(best, (time.process_time() - started) / len(batch) * 1e6)
    return best


async def measure(records: int, kind: str, per_batch: int) -> dict[str, float]:
    """CPU us per request: the whole handler, then parse, compile and search+join alone."""
    data = generate_records(2015, records)
    store = Store(data)
    app = create_app(Settings(access_log=False, tokens={"bench": None}), store)
    app.freeze()
    targets = distinct_targets(kind, data, per_batch * BATCHES * 2, random.Random(1))
    half = len(targets) // 2
    made = await _requests(app, targets[:half])
    gc.collect()
    gc.freeze()  # the mocked requests are not the server's garbage
    best = float("inf")
    for start in range(0, len(made), per_batch):
        batch = made[start : start + per_batch]
        started = time.process_time()
        for request, handler in batch:
            await handler(request)
        best = min(best, (time.process_time() - started) / len(batch) * 1e6)
    today = datetime.date.today()
    raws = [t.partition("?")[2].encode() for t in targets[half:]]
    chunks = [raws[i : i + per_batch] for i in range(0, len(raws), per_batch)]
    params = [[rack.parse_query(raw) for raw in chunk] for chunk in chunks]
    searches = [[compile_search(p, today) for p in chunk] for chunk in params]
    partition = store.partition(None)
    return {
        "request": best,
        "parse": _best(chunks, rack.parse_query),
        "compile": _best(params, lambda p: compile_search(p, today)),
        "search": _best(searches, lambda s: partition.render(partition.search(s))),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.inprocess", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--kind", choices=("eq", "cont", "range"), action="append")
    parser.add_argument("--batch", type=int, default=500, help="requests per batch (default 500)")
    args = parser.parse_args(argv)
    for kind in args.kind or ["eq", "cont", "range"]:
        found = asyncio.run(measure(args.records, kind, args.batch))
        shown = ", ".join(f"{name} {value:.1f}" for name, value in found.items())
        print(f"{kind} distinct over {args.records:,} records, CPU us per request: {shown}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
