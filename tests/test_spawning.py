"""``mockserver.spawning.spawn``: the one spawn helper reports a server that never gets ready."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from mockserver.spawning import MOCK_READY, SpawnError, spawn

pytestmark = pytest.mark.process  # every test here starts a subprocess


def test_a_server_that_exits_is_reported_with_its_output(tmp_path: Path) -> None:
    """Check that a child exiting before its ready line raises SpawnError carrying its output."""
    argv = [sys.executable, "-c", "import sys; print('no port for you'); sys.exit(3)"]
    with pytest.raises(SpawnError, match=r"exited with 3(.|\n)*no port for you"):
        spawn(argv, MOCK_READY, tmp_path / "log", timeout=30)


def test_a_silent_server_is_killed_after_the_timeout(tmp_path: Path) -> None:
    """Check that a child that never prints the ready line is killed once the timeout passes."""
    argv = [sys.executable, "-c", "import time; time.sleep(60)"]
    with pytest.raises(SpawnError, match="no ready line within"):
        spawn(argv, re.compile(rb"never"), tmp_path / "log", timeout=0.5)


def test_ready_line_gives_the_port(tmp_path: Path) -> None:
    """Check that the match of the ready line is handed back (the port a child chose)."""
    line = "mockserver: listening on http://127.0.0.1:45678/api/train_sessions"
    argv = [sys.executable, "-c", f"import time; print({line!r}, flush=True); time.sleep(60)"]
    server = spawn(argv, MOCK_READY, tmp_path / "log", timeout=30)
    try:
        assert server.ready.group(2) == b"45678"
        assert server.process.poll() is None
    finally:
        server.stop(5)
    assert server.process.poll() is not None
