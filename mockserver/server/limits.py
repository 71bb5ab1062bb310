"""How many clients a server holds and for how long: the open-file limit, idle and slow clients.

At the common soft limit of 1,024 descriptors, about a thousand idle keep-alive connections
(aiohttp keeps them 3,630 s) used to lock every new client out, and nothing was logged: uvloop
(libuv) then accepts and closes each new connection at once, asyncio retries silently. So:

* ``raise_open_file_limit`` lifts the soft ``RLIMIT_NOFILE`` to the hard limit at start;
* ``keepalive_timeout`` (``--idle-timeout``) closes idle connections after seconds, not an hour;
* ``HeaderDeadline`` (``--header-timeout``) cuts a client whose request headers, once begun,
  are not complete in time (a slow-headers client holds a descriptor as long as it likes);
* ``DescriptorWatch`` logs once per episode when the descriptors run out, which is when
  accepting fails, whichever event loop runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
from typing import Any, cast

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from mockserver.server.rawtarget import RawTargetHandler

__all__ = [
    "LOW_LIMIT",
    "DescriptorWatch",
    "install_header_deadline",
    "open_file_limit",
    "raise_open_file_limit",
]

log = logging.getLogger("mockserver")
LOW_LIMIT = 4096  # below this, the start-up line says how many clients fit
_FD_DIR = "/proc/self/fd"

try:
    import resource
except ImportError:  # pragma: no cover - Windows has no rlimits
    resource = None  # type: ignore[assignment]


def open_file_limit() -> int | None:
    """The soft open-file limit (None where the platform has none)."""
    if resource is None:  # pragma: no cover
        return None
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def raise_open_file_limit() -> tuple[int, int] | None:
    """Lift the soft ``RLIMIT_NOFILE`` to the hard limit; (before, after), None if no rlimits."""
    if resource is None:  # pragma: no cover
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):  # e.g. macOS caps it below the hard limit
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return soft, resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def low_limit_notice() -> str | None:
    """The start-up line's warning when even the raised open-file limit is low, else None."""
    limit = open_file_limit()
    if limit is None or limit == getattr(resource, "RLIM_INFINITY", -1) or limit >= LOW_LIMIT:
        return None
    return (
        f"mockserver: warning: the open-file limit is {limit} (raised to the hard limit): about "
        f"{max(limit - 64, 0)} clients at once; raise the hard limit (ulimit -Hn) for more"
    )


class _HeaderDeadlineHandler(RawTargetHandler):
    """aiohttp's connection protocol (taking raw non-ASCII targets, ``rawtarget``), plus a
    deadline from a request's first byte to the end of its headers (aiohttp has none; its
    keep-alive timer counts from the last answer)."""

    __slots__ = ("_header_deadline", "_header_timeout")

    def __init__(self, *args: Any, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timeout = header_timeout
        self._header_deadline: float | None = None

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._request_in_progress or self._messages:
            self._header_deadline = None  # the headers are complete
        elif data and self._header_deadline is None and self.transport is not None:
            self._header_deadline = self._loop.time() + self._header_timeout
            self._loop.call_at(self._header_deadline, self._check_headers)

    def _check_headers(self) -> None:
        deadline = self._header_deadline
        if deadline is None or self.transport is None:
            return
        if self._loop.time() < deadline:  # a newer request's deadline: check again then
            self._loop.call_at(deadline, self._check_headers)
        elif not self._request_in_progress and not self._messages:
            self.force_close()


class _HeaderDeadlineServer(web.Server):
    """aiohttp's protocol factory, making ``_HeaderDeadlineHandler``s."""

    header_timeout = 10.0

    def __call__(self) -> RequestHandler:
        return _HeaderDeadlineHandler(
            self, loop=self._loop, header_timeout=self.header_timeout, **self._kwargs
        )


def install_header_deadline(runner: web.AppRunner, seconds: float) -> None:
    """Make ``runner``'s connections close when request headers take longer than ``seconds``
    (call after ``runner.setup()``, before its sites start)."""
    server = runner.server
    assert server is not None and type(server) is web.Server, "call once, after runner.setup()"
    server.__class__ = _HeaderDeadlineServer  # aiohttp has no option for the protocol class
    cast(_HeaderDeadlineServer, server).header_timeout = seconds


class DescriptorWatch:
    """Logs once per episode when the process runs out of descriptors (accept then fails).

    The asyncio loop reports failed accepts to its exception handler; uvloop reports nothing,
    so the open connections are also watched (cheap: a count, confirmed by listing
    ``/proc/self/fd`` only when close to the limit).
    """

    def __init__(self, runner: web.AppRunner, idle_timeout: float) -> None:
        self._runner = runner
        self._idle_timeout = idle_timeout
        self._baseline = _open_descriptors() or 16
        self._exhausted = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        default = loop.get_exception_handler()

        def on_error(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            exc = context.get("exception")
            if isinstance(exc, OSError) and exc.errno in (errno.EMFILE, errno.ENFILE):
                self._report()
                return
            if default is not None:
                default(loop, context)
            else:
                loop.default_exception_handler(context)

        loop.set_exception_handler(on_error)
        self._task = asyncio.ensure_future(self._watch())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(0.5)
            limit = open_file_limit()
            server = self._runner.server
            if limit is None or server is None:
                continue
            near = len(server.connections) + self._baseline >= limit - 8
            if near and _descriptors_full(limit):
                self._report()
            elif self._exhausted and len(server.connections) + self._baseline < limit * 0.9:
                self._exhausted = False  # recovered: report the next episode again

    def _report(self) -> None:
        if self._exhausted:
            return
        self._exhausted = True
        server = self._runner.server
        held = len(server.connections) if server is not None else 0
        log.warning(
            "out of file descriptors (limit %s, %d connections open): new clients are refused "
            "until some close; idle ones close after %gs (--idle-timeout). Raise the limit "
            "(ulimit -n) or lower --idle-timeout",
            open_file_limit(),
            held,
            self._idle_timeout,
        )


def _open_descriptors() -> int | None:
    try:
        return len(os.listdir(_FD_DIR))
    except OSError:  # pragma: no cover - no /proc (macOS): the loop's handler still reports
        return None


def _descriptors_full(limit: int) -> bool:
    try:
        return len(os.listdir(_FD_DIR)) >= limit - 2
    except OSError as exc:  # listing needs a descriptor too: EMFILE is the answer itself
        return exc.errno in (errno.EMFILE, errno.ENFILE)
