"""``serve --watch``: serve the fixture file's new contents when it changes, as json-server does.

The file's (mtime, size) is polled every ``interval`` seconds on the server's loop (one
``stat``, microseconds). A change is loaded, validated and indexed in a worker thread, never on
the loop, one load at a time; only the finished ``Store`` is swapped in (``ServerState.reload``),
so every request sees either the old data or the new, never a mix. A file that no longer loads
(half-written, broken JSON, a bad record) keeps the old data and says why in one log line; the
next change is tried again. A file written in several steps is caught by its last step: the
signature is taken before a load and compared again on the next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from aiohttp import web

from mockserver.dataset import load_records
from mockserver.errors import FixtureError
from mockserver.server.keys import STATE
from mockserver.server.state import ServerState
from mockserver.server.store import Store

__all__ = ["POLL_SECONDS", "Watcher", "watch_context"]

POLL_SECONDS = 1.0
log = logging.getLogger("mockserver.watch")

Signature = tuple[int, int] | None  # (mtime_ns, size); None: the file cannot be stat'ed


def signature(path: Path) -> Signature:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _load(path: Path) -> Store:
    return Store(load_records(path))


class Watcher:
    """Polls one fixture file and swaps its new contents into ``state`` when they load."""

    def __init__(self, path: Path, state: ServerState, load: Callable[[Path], Store] = _load) -> None:
        self.path = path
        self.state = state
        self.load = load
        self.seen = signature(path)
        self.reloads = 0  # successful swaps, for tests and the log

    async def check(self) -> bool:
        """One poll: reload when the file changed; True when new data is now served."""
        now = signature(self.path)
        if now == self.seen:
            return False
        self.seen = now
        if now is None:
            log.warning("--watch: %s is gone; still serving the previous data", self.path)
            return False
        try:
            store = await asyncio.to_thread(self.load, self.path)
        except FixtureError as exc:
            first = str(exc.problems[0]) if exc.problems else str(exc)
            more = f" (and {len(exc.problems) - 1} more problems)" if len(exc.problems) > 1 else ""
            log.warning(
                "--watch: %s changed but does not load: %s%s; still serving the previous data",
                self.path,
                first,
                more,
            )
            return False
        self.state.reload(store)
        self.reloads += 1
        log.info("--watch: %s changed: now serving %d records", self.path, len(store))
        return True

    async def run(self, interval: float = POLL_SECONDS) -> None:
        while True:
            await asyncio.sleep(interval)
            await self.check()


def watch_context(
    path: Path, interval: float = POLL_SECONDS
) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp ``cleanup_ctx`` that polls ``path`` while the app runs."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(Watcher(path, app[STATE]).run(interval))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context
