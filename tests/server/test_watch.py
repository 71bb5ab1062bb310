"""``serve --watch``: a changed fixture file is swapped in whole, a broken one keeps the old data."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from mockserver.generate import generate_records
from mockserver.server.state import ServerState
from mockserver.server.store import Store
from mockserver.server.watch import Watcher

from ..server_process import serve


def _write(path: Path, records: list[dict[str, Any]] | str, bump: int = 0) -> None:
    """Write ``records`` and move the mtime on, so that a change within one clock tick is seen."""
    path.write_text(records if isinstance(records, str) else json.dumps(records), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + bump * 1_000_000_000))


def test_a_change_is_swapped_in_and_a_broken_one_keeps_the_old_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Check the watcher's rule: a change that loads is served (and becomes what reset returns
    to); a change that does not load keeps the old data and logs one line naming the problem."""
    path = tmp_path / "data.json"
    first, second = generate_records(1, 5), generate_records(2, 8)
    _write(path, first)
    state = ServerState(Store(first))
    watcher = Watcher(path, state)

    async def scenario() -> None:
        assert await watcher.check() is False  # nothing changed yet
        _write(path, second, bump=1)
        assert await watcher.check() is True
        assert len(state.store) == 8
        state.reset()
        assert len(state.store) == 8  # the new file is the baseline now
        with caplog.at_level(logging.WARNING, logger="mockserver.watch"):
            _write(path, '[{"id": 1, "score": "high"', bump=2)  # half-written
            assert await watcher.check() is False
            _write(path, [{**second[0], "score": "high"}], bump=3)
            assert await watcher.check() is False
        assert len(state.store) == 8
        lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(lines) == 2 and all("still serving the previous data" in line for line in lines)
        assert "field 'score'" in lines[1]
        _write(path, [], bump=4)  # an empty account is real data
        assert await watcher.check() is True and len(state.store) == 0

    asyncio.run(scenario())
    assert watcher.reloads == 2


@pytest.mark.process
def test_serve_watch_serves_the_new_file(tmp_path: Path) -> None:
    """Check serve --watch end to end: the banner says it watches, and an edit of the file is
    served without a restart (polled for up to 20 s: no timing is asserted)."""
    path = tmp_path / "data.json"
    _write(path, generate_records(1, 3))
    with serve(tmp_path, "--fixtures", str(path), "--watch", "--no-auth") as server:
        url = server.base + "/api/train_sessions"

        def count() -> int:
            with urllib.request.urlopen(url, timeout=10) as answer:
                return len(json.load(answer))

        assert count() == 3
        _write(path, generate_records(1, 7), bump=1)
        deadline = time.monotonic() + 20
        while count() != 7 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert count() == 7
    logs = server.logs()
    assert f"watching {path} for changes" in logs and "now serving 7 records" in logs


def test_watch_needs_a_file() -> None:
    """Check that --watch without --fixtures is refused (generated data never changes)."""
    from mockserver.cli import main

    assert main(["serve", "--watch", "--count", "5", "--port", "0"]) == 2
