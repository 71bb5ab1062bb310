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

INSTALL_HINT = (
    "wrk is not installed: install it with 'apt-get install -y wrk' (Debian/Ubuntu) or "
    "'brew install wrk' (macOS), or run with --load-generator python for a slower, "
    "rougher built-in load generator"
)

# With a paths file (argument after --), each request takes the next path, round robin.
_ROTATE_HOOK = r"""
local paths = {}
local counter = 0
init = function(args)
  if args[1] then
    for line in io.lines(args[1]) do paths[#paths + 1] = line end
  end
end
request = function()
  if #paths == 0 then return wrk.request() end
  counter = counter + 1
  return wrk.format(nil, paths[(counter % #paths) + 1])
end
"""

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


def run_wrk(
    url: str,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    timeout_s: float = 10.0,
    paths: Path | None = None,
) -> Measurement:
    """``wrk -t T -c C -d S`` at ``url`` (or round robin over ``paths``, one per line, on
    ``url``'s host), summary from the Lua hook. wrk takes whole seconds."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_ROTATE_HOOK + _DONE_HOOK)
    extra = ["--", str(paths)] if paths is not None else []
    try:
        result = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                f"--timeout={timeout_s:g}s",
                "-s",
                script.name,
                url,
                *extra,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + timeout_s + 30,
            check=False,
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
        requests=s["requests"],
        seconds=elapsed,
        rps=s["requests"] / elapsed,
        p50_ms=s["p50_us"] / 1000,
        p99_ms=s["p99_us"] / 1000,
        max_ms=s["max_us"] / 1000,
        bytes_per_response=s["bytes"] / max(1, s["requests"]),
        errors=errors,
        tool="wrk",
    )


async def _python_load(urls: list[str], seconds: float, connections: int, timeout_s: float) -> Measurement:
    latencies: list[float] = []
    total_bytes = 0
    errors = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        turn = 0

        async def worker() -> None:
            nonlocal total_bytes, errors, turn
            while time.perf_counter() < deadline:
                turn += 1
                url = urls[turn % len(urls)]
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
        requests=len(latencies),
        seconds=elapsed,
        rps=len(latencies) / elapsed,
        p50_ms=cuts[49] * 1000,
        p99_ms=cuts[98] * 1000,
        max_ms=max(latencies) * 1000,
        bytes_per_response=total_bytes / max(1, len(latencies)),
        errors=errors,
        tool="python-aiohttp",
    )


def run_python(urls: list[str], *, seconds: float, connections: int, timeout_s: float = 10.0) -> Measurement:
    """The bounded fallback: ``connections`` aiohttp workers for ``seconds``, round robin."""
    return asyncio.run(_python_load(urls, seconds, connections, timeout_s))


def measure(
    base: str,
    targets: list[str],
    *,
    seconds: float,
    connections: int,
    tool: str,
    paths_file: Path | None = None,
) -> Measurement:
    """Load ``base`` with ``targets`` (one, or several taken round robin)."""
    if tool == "wrk":
        if len(targets) == 1:
            return run_wrk(base + targets[0], seconds=seconds, connections=connections)
        assert paths_file is not None
        if not paths_file.exists():
            paths_file.write_text("\n".join(targets) + "\n")
        return run_wrk(base + targets[0], seconds=seconds, connections=connections, paths=paths_file)
    return run_python([base + t for t in targets], seconds=seconds, connections=connections)
