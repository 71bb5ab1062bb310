"""The servers under test, as subprocesses on loopback: the mock and the ceiling.

Both are started with port 0 and report the port they got on stdout, so there is no race for
a free port. Start-up time is measured from spawn to that line (the mock prints it after its
data is loaded and it is accepting); resident memory is read from ``/proc/PID/status``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
_MOCK_READY = re.compile(rb"listening on http://127\.0\.0\.1:(\d+)/")
_CEILING_READY = re.compile(rb"ceiling listening on 127\.0\.0\.1:(\d+)")


class ServerError(RuntimeError):
    """A server did not come up (it exited, or printed nothing in time)."""


@dataclass
class Server:
    """A running server subprocess and what was measured while it started."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    startup_s: float
    log: Path

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def rss_mib(self) -> float | None:
        """Resident memory from /proc/PID/status (VmRSS), in MiB; None where /proc is missing."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        return int(match.group(1)) / 1024 if match else None

    def cpu_seconds(self) -> float | None:
        """User plus system CPU time the process has used (/proc/PID/stat); None without /proc.

        CPU time per request is what a noisy shared machine disturbs least: other work takes
        turns on the cores, and the server's own work per request stays the same.
        """
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it does not exit in time (only this process)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _start(
    name: str,
    argv: Sequence[str],
    ready: re.Pattern[bytes],
    timeout: float,
    log: Path,
    env: Mapping[str, str] | None = None,
) -> Server:
    """Spawn ``argv`` with its output in ``log`` (a file: a full pipe could stall the server)."""
    started = time.perf_counter()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            argv,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
        )
    deadline = started + timeout
    while time.perf_counter() < deadline:
        match = ready.search(log.read_bytes())
        if match:
            return Server(name, process, int(match.group(1)), time.perf_counter() - started, log)
        if process.poll() is not None:
            break
        time.sleep(0.005)
    if process.poll() is None:
        process.kill()
        process.wait()
    tail = log.read_bytes().decode(errors="replace")[-2000:]
    raise ServerError(f"{name} did not start within {timeout:.0f}s; its output:\n{tail}")


def start_mock(
    seed: int,
    count: int,
    *,
    cache_dir: Path,
    log: Path,
    workers: int = 1,
    port: int = 0,
    timeout: float = 300.0,
    quiet: bool = True,
    extra: Sequence[str] = (),
) -> Server:
    """``mockserver serve --seed S --count N --quiet --no-auth`` on loopback (``quiet=False``:
    the default configuration, access log on, written to ``log``)."""
    argv = [
        sys.executable,
        "-m",
        "mockserver",
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--seed",
        str(seed),
        "--count",
        str(count),
        "--no-auth",
    ]
    if quiet:
        argv.append("--quiet")
    if workers > 1:
        argv += ["--workers", str(workers)]
    argv += extra
    return _start(
        f"mock({count}{'' if quiet else ', logging'})",
        argv,
        _MOCK_READY,
        timeout,
        log,
        env={"MOCKSERVER_CACHE_DIR": str(cache_dir)},
    )


def start_ceiling(bodies: Path, *, log: Path, timeout: float = 60.0) -> Server:
    """The do-nothing server, answering each recorded target with the mock's bytes."""
    argv = [sys.executable, "-m", "benchmarks.ceiling", "--port", "0", "--bodies", str(bodies)]
    return _start("ceiling", argv, _CEILING_READY, timeout, log)


def start_default_mock(*, log: Path, timeout: float = 60.0) -> Server:
    """``mockserver serve`` on the packaged fixtures with the development token (auth on)."""
    argv = [sys.executable, "-m", "mockserver", "serve", "--host", HOST, "--port", "0", "--quiet"]
    return _start("mock(default)", argv, _MOCK_READY, timeout, log)
