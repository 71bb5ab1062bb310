"""A ``mockserver serve`` subprocess for tests that need a real server process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    port: int
    out: Path
    err: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def logs(self) -> str:
        return self.out.read_text(errors="replace") + self.err.read_text(errors="replace")


@contextmanager
def serve(
    tmp_path: Path, *args: str, timeout: float = 60.0, preexec_fn: Callable[[], object] | None = None
) -> Iterator[RunningServer]:
    """``mockserver serve --port 0 ARGS`` with its output in files; stopped with SIGTERM.
    ``preexec_fn`` runs in the child before it starts (e.g. to lower its rlimits)."""
    out, err = tmp_path / "server.out", tmp_path / "server.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "mockserver", "serve", "--host", "127.0.0.1", "--port", "0", *args],
            stdout=stdout,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "MOCKSERVER_CACHE_DIR": str(tmp_path / "cache")},
            preexec_fn=preexec_fn,
        )
    try:
        deadline = time.monotonic() + timeout
        while b"listening on" not in out.read_bytes():
            assert process.poll() is None, err.read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        banner = out.read_text()
        port = int(banner.split("listening on http://")[1].split("/")[0].rpartition(":")[2])
        yield RunningServer(process, port, out, err)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    assert "Traceback" not in out.read_text(errors="replace") + err.read_text(errors="replace")
