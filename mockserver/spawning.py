"""The one helper that runs a server as a subprocess and waits for its ``listening on`` line.

Used by the tests (``tests/server_process.serve``, ``tests/broken_mock.running``) and the
benchmarks (``benchmarks/servers.py``), which must not import the test tree: so it lives in the
package, stdlib only, imported by nothing else in it. Output goes to a file, never a pipe (a full
pipe can stall a server), and readiness is the banner a real user waits for, not a polling
connect. ``contract_tests/endpoint.py`` keeps its own copy on purpose: the suite is shipped
standalone and imports nothing from this repository's tests or package.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# mockserver serve's banner: the base URL (group 1, `url`) and the port (group 2, `port`).
MOCK_READY = re.compile(rb"listening on (?P<url>http://(?:127\.0\.0\.1|\[::1\]|localhost):(?P<port>\d+))/")


class SpawnError(RuntimeError):
    """A server did not come up: it exited, or printed no ready line in time."""


@dataclass
class Spawned:
    """A running server subprocess, its ready-line match and the time it took to print it."""

    name: str
    process: subprocess.Popen[bytes]
    ready: re.Match[bytes]
    startup_s: float
    log: Path

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM, then SIGKILL if it does not exit in time (only this process)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def spawn(
    argv: Sequence[str],
    ready: re.Pattern[bytes],
    log: Path,
    *,
    timeout: float = 60.0,
    env: Mapping[str, str] | None = None,
    name: str = "server",
    preexec_fn: Callable[[], object] | None = None,
) -> Spawned:
    """Start ``argv`` with stdout and stderr in ``log``; return once ``ready`` matches its output.

    Raises ``SpawnError`` (with the output's tail) when it exits first or ``timeout`` passes.
    """
    started = time.perf_counter()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            list(argv),
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            preexec_fn=preexec_fn,
        )
    deadline = started + timeout
    while time.perf_counter() < deadline:
        match = ready.search(log.read_bytes())
        if match:
            return Spawned(name, process, match, time.perf_counter() - started, log)
        if process.poll() is not None:
            break
        time.sleep(0.005)
    exited = process.poll()
    if exited is None:
        process.kill()
        process.wait()
    tail = log.read_bytes().decode(errors="replace")[-2000:]
    why = f"exited with {exited}" if exited is not None else f"printed no ready line within {timeout:.0f}s"
    raise SpawnError(f"{name} {why}; its output:\n{tail}")


def mock_argv(*args: str, host: str = "127.0.0.1", port: int = 0) -> list[str]:
    """``python -m mockserver serve --host HOST --port PORT ARGS``."""
    return [sys.executable, "-m", "mockserver", "serve", "--host", host, "--port", str(port), *args]
