"""Drive a bounded load at one URL and measure it: wrk where installed, else an aiohttp client.

wrk (``apt-get install wrk``) is the real instrument: C, one thread on its own core, latency in
an HdrHistogram. Its summary is read from a Lua ``done`` hook as JSON, not scraped from text.
The fallback is a Python client on the same two cores as the server: it measures itself as
much as the server, so its numbers are labelled and only good for rough ratios.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp

INSTALL_HINT = ("wrk is not installed: install it with 'apt-get install -y wrk' (Debian/Ubuntu) or "
                "'brew install wrk' (macOS), or run with --load-generator python for a slower, "
                "rougher built-in load generator")

_DONE_HOOK = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class Measurement:
    """One load run at one URL."""

    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    bytes_per_response: float
    errors: int  # connection errors, timeouts and non-2xx/3xx answers
    tool: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(url: str, *, seconds: float, connections: int, threads: int = 1,
            timeout_s: float = 10.0) -> Measurement:
    """``wrk -t T -c C -d S`` at ``url``, summary from the Lua hook."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_DONE_HOOK)
    try:
        result = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s",
             f"--timeout={timeout_s:g}s", "-s", script.name, url],
            capture_output=True, text=True, timeout=seconds + timeout_s + 30, check=False,
        )
    finally:
        Path(script.name).unlink()
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr or result.stdout}")
    s = json.loads(line.removeprefix("WRK_JSON "))
    elapsed = s["duration_us"] / 1e6
    errors = s["connect"] + s["read"] + s["write"] + s["status"] + s["timeout"]
    return Measurement(
        requests=s["requests"], seconds=elapsed, rps=s["requests"] / elapsed,
        p50_ms=s["p50_us"] / 1000, p99_ms=s["p99_us"] / 1000, max_ms=s["max_us"] / 1000,
        bytes_per_response=s["bytes"] / max(1, s["requests"]), errors=errors, tool="wrk",
    )


async def _python_load(url: str, seconds: float, connections: int,
                       timeout_s: float) -> Measurement:
    latencies: list[float] = []
    total_bytes = 0
    errors = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            nonlocal total_bytes, errors
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                try:
                    async with session.get(url) as response:
                        body = await response.read()
                        if response.status >= 400:
                            errors += 1
                except (TimeoutError, aiohttp.ClientError):
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - sent)
                total_bytes += len(body)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    if not latencies:
        latencies = [float("nan")]
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return Measurement(
        requests=len(latencies), seconds=elapsed, rps=len(latencies) / elapsed,
        p50_ms=cuts[49] * 1000, p99_ms=cuts[98] * 1000, max_ms=max(latencies) * 1000,
        bytes_per_response=total_bytes / max(1, len(latencies)), errors=errors,
        tool="python-aiohttp",
    )


def run_python(url: str, *, seconds: float, connections: int,
               timeout_s: float = 10.0) -> Measurement:
    """The bounded fallback: ``connections`` aiohttp workers for ``seconds``."""
    return asyncio.run(_python_load(url, seconds, connections, timeout_s))


def measure(url: str, *, seconds: float, connections: int, tool: str) -> Measurement:
    if tool == "wrk":
        return run_wrk(url, seconds=seconds, connections=connections)
    return run_python(url, seconds=seconds, connections=connections)
