"""The memory bounds under the loads of issue 8: ``python -m benchmarks.bounds``.

- memo: a server over 100,000 generated records answers ``--answers`` distinct queries of
  0.3 to 1 MiB each (id ranges of 1,300 to 4,500 records); VmRSS before and after, then after a
  data ``PUT`` of the same records and the same load again (the old answers must be freed);
- journal: ``--requests`` API requests each carrying ``--headers`` headers of 8,000 bytes;
  VmRSS before and after, and the size of ``GET /__mockserver/requests``.

Not part of ``make bench``: it sends gigabytes over loopback. Scale it down with the flags.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from .servers import Server, start_mock

SEED = 2015
INDEX = "/api/train_sessions"


def _get(base: str, target: str) -> bytes:
    with urllib.request.urlopen(base + target, timeout=120) as response:
        body: bytes = response.read()
        return body


def _rss(server: Server) -> str:
    rss = server.rss_mib()
    return "-" if rss is None else f"{rss:,.0f} MiB"


def memo_load(server: Server, size: int, answers: int, rng: random.Random) -> int:
    """``answers`` distinct id-range queries of 0.3-1 MiB; returns the bytes received."""
    received = 0
    for _ in range(answers):
        rows = rng.randrange(1300, 4500)
        low = rng.randrange(1, size - rows)
        received += len(_get(server.base, f"{INDEX}?id_gteq={low}&id_lt={low + rows}"))
    return received


def journal_load(server: Server, requests: int, headers: int) -> None:
    """``requests`` GETs with ``headers`` headers of 8,000 bytes each, over one connection."""
    padding = "".join(f"X-Pad-{i}: {'p' * 8000}\r\n" for i in range(headers))
    request = f"GET {INDEX}/1 HTTP/1.1\r\nHost: x\r\n{padding}\r\n".encode()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        reader = sock.makefile("rb")
        for _ in range(requests):
            sock.sendall(request)
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            reader.read(length)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bounds", description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--answers", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--headers", type=int, default=100)
    parser.add_argument("--memo-mb", type=int, default=None, help="passed to serve (default: its own)")
    args = parser.parse_args(argv)
    extra = [] if args.memo_mb is None else ["--memo-mb", str(args.memo_mb)]
    with tempfile.TemporaryDirectory(prefix="mockserver-bounds-") as tmp:
        work = Path(tmp)
        with start_mock(SEED, args.records, cache_dir=work, log=work / "mock.log", extra=extra) as server:
            print(f"memo: {args.records:,} records, idle VmRSS {_rss(server)}", flush=True)
            started = time.perf_counter()
            received = memo_load(server, args.records, args.answers, random.Random(1))
            print(
                f"  {args.answers:,} distinct answers ({received / 2**20:,.0f} MiB sent) in "
                f"{time.perf_counter() - started:.0f} s: VmRSS {_rss(server)}",
                flush=True,
            )
            records = _get(server.base, "/__mockserver/records")
            put = urllib.request.Request(server.base + "/__mockserver/records", data=records, method="PUT")
            with urllib.request.urlopen(put, timeout=600) as response:
                json.load(response)
            print(f"  after a PUT of the same records: VmRSS {_rss(server)}", flush=True)
            memo_load(server, args.records, args.answers, random.Random(2))
            print(f"  after {args.answers:,} more distinct answers: VmRSS {_rss(server)}", flush=True)
        with start_mock(SEED, 1000, cache_dir=work, log=work / "journal.log") as server:
            print(f"journal: idle VmRSS {_rss(server)}", flush=True)
            journal_load(server, args.requests, args.headers)
            body = _get(server.base, "/__mockserver/requests")
            kept = len(json.loads(body)["requests"])
            print(
                f"  {args.requests:,} requests x {args.headers} headers of 8,000 bytes: VmRSS "
                f"{_rss(server)}; GET /__mockserver/requests answers {len(body) / 2**20:,.1f} MiB "
                f"({kept} entries kept)",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
