"""``mockserver serve`` as a subprocess for a test, through the one spawn helper
(``mockserver/spawning.py``); fails the test if the server printed a traceback."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mockserver.spawning import MOCK_READY, Spawned, mock_argv, spawn


@dataclass
class RunningServer:
    """A ``mockserver serve`` subprocess for a test."""

    spawned: Spawned

    @property
    def process(self) -> subprocess.Popen[bytes]:
        return self.spawned.process

    @property
    def port(self) -> int:
        return int(self.spawned.ready.group(2))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def logs(self) -> str:
        return self.spawned.output()


@contextmanager
def serve(
    tmp_path: Path, *args: str, timeout: float = 60.0, preexec_fn: Callable[[], object] | None = None
) -> Iterator[RunningServer]:
    """``mockserver serve --port 0 ARGS`` with its output in a file; stopped with SIGTERM.
    ``preexec_fn`` runs in the child before it starts (e.g. to lower its rlimits). Fails the
    test if the server printed a traceback."""
    spawned = spawn(
        mock_argv(*args),
        MOCK_READY,
        tmp_path / "server.log",
        timeout=timeout,
        env={"MOCKSERVER_CACHE_DIR": str(tmp_path / "cache")},
        name="mockserver serve",
        preexec_fn=preexec_fn,
    )
    try:
        yield RunningServer(spawned)
    finally:
        spawned.stop()
    assert "Traceback" not in spawned.output()
