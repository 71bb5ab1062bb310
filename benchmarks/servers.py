"""The servers under test, as subprocesses on loopback: the mock and the ceiling.

Both are started with port 0 and report the port they got on stdout, so there is no race for
a free port. Start-up time is measured from spawn to that line (the mock prints it after its
data is loaded and it is accepting); resident memory is read from ``/proc/PID/status``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mockserver.spawning import MOCK_READY, Spawned, SpawnError, mock_argv, spawn  # shared with the tests

HOST = "127.0.0.1"
_CEILING_READY = re.compile(rb"ceiling listening on 127\.0\.0\.1:(?P<port>\d+)")


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
    spawned: Spawned

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
        self.spawned.stop(timeout)

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
    """Spawn ``argv`` through the one spawn helper; the port is the ready line's ``port`` group."""
    try:
        spawned = spawn(argv, ready, log, timeout=timeout, env=env, name=name)
    except SpawnError as exc:
        raise ServerError(str(exc)) from None
    return Server(name, spawned.process, int(spawned.ready.group("port")), spawned.startup_s, log, spawned)


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
    argv = mock_argv("--seed", str(seed), "--count", str(count), "--no-auth", host=HOST, port=port)
    if quiet:
        argv.append("--quiet")
    if workers > 1:
        argv += ["--workers", str(workers)]
    argv += extra
    return _start(
        f"mock({count}{'' if quiet else ', logging'})",
        argv,
        MOCK_READY,
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
    return _start("mock(default)", mock_argv("--quiet", host=HOST), MOCK_READY, timeout, log)
