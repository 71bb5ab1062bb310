"""The endpoint under test: the one the user named, or the mock started as a subprocess.

The mock is started as ``python -m mockserver serve --port 0`` (a free port, so parallel
workers never collide) and spoken to only over HTTP: the suite imports nothing from it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DEV_TOKEN = "dev-token"  # the mock's documented development token
_LISTENING = re.compile(r"listening on (http://\S+)")
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class MockProcess:
    """A mock server this run started; ``stop`` ends exactly that process."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_mock(workdir: Path, extra_args: tuple[str, ...] = (), timeout: float = 30.0) -> MockProcess:
    """Start the mock on a free loopback port with the default fixtures; wait for its banner."""
    log = workdir / "mockserver.log"
    command = [
        sys.executable,
        "-m",
        "mockserver",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--quiet",
        *extra_args,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKSERVER_")}
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, cwd=REPO_ROOT, env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8", errors="replace")
        match = _LISTENING.search(text)
        if match:
            return MockProcess(process, match.group(1), log)
        if process.poll() is not None:
            raise RuntimeError(f"the mock exited with {process.returncode} before listening:\n{text}")
        time.sleep(0.05)
    MockProcess(process, "", log).stop()
    raise RuntimeError(f"the mock did not print 'listening on' within {timeout:.0f}s; see {log}")
