"""Running an aiohttp app on a socket until SIGINT/SIGTERM: shared by ``serve`` and ``proxy``.

The socket is bound before anything slow happens (loading a million records), so a taken
port fails at once with one clear message; shutdown lets in-flight requests finish.
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from mockserver.errors import UsageError
from mockserver.server.guard import MAX_REQUEST_LINE
from mockserver.server.limits import DescriptorWatch, install_header_deadline, raise_open_file_limit


class _ClientErrorLine(logging.Filter):
    """aiohttp logs a request its parser refuses (a client's error, answered 400) at ERROR with
    a traceback: keep it to one INFO line, so a log's errors and tracebacks are the mock's own
    bugs only. Shared by ``serve`` and ``proxy`` (the filter is process-wide once imported)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            reason = " ".join(str(exc.message).split())  # one line: the message spans several
            record.msg = f"refused a malformed request: {exc.code} {reason}"
            record.args, record.exc_info, record.exc_text = (), None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


logging.getLogger("aiohttp.server").addFilter(_ClientErrorLine())


def listen(host: str, port: int, *, reuse_port: bool = False, backlog: int = 1024) -> socket.socket:
    """A bound, listening, non-blocking socket; UsageError naming the address otherwise."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:  # --workers only; refused earlier where SO_REUSEPORT is missing (Windows)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        reason = (
            "address already in use (another server is on that port; choose --port)"
            if exc.errno == errno.EADDRINUSE
            else (exc.strerror or str(exc)).lower()
        )
        raise UsageError(f"cannot listen on {host}:{port}: {reason}") from None
    sock.setblocking(False)
    return sock


def listen_all(host: str, port: int, *, reuse_port: bool = False) -> list[socket.socket]:
    """``listen`` on ``host``; for ``localhost`` on both 127.0.0.1 and ::1, one port (Node 17+
    and browsers try ::1 first). ::1 is left out where the machine has no IPv6 loopback."""
    if host.lower() != "localhost":
        return [listen(host, port, reuse_port=reuse_port)]
    for _ in range(5):  # with port 0, the port 127.0.0.1 got may be taken on ::1: try another
        first = listen("127.0.0.1", port, reuse_port=reuse_port)
        try:
            return [first, listen("::1", first.getsockname()[1], reuse_port=reuse_port)]
        except OSError:  # no IPv6 socket at all
            return [first]
        except UsageError as exc:
            if "address already in use" not in str(exc):
                return [first]  # no ::1 here (cannot assign requested address)
            first.close()
            if port != 0:
                raise UsageError(f"cannot listen on localhost:{port}: [::1]:{port} is in use") from None
    raise UsageError("cannot listen on localhost: no port was free on both 127.0.0.1 and ::1")


def app_runner(app: web.Application, **kwargs: Any) -> web.AppRunner:
    """The runner every mock server uses (``serve`` and the pytest plugin): no aiohttp access
    log, handlers never cancelled, and request lines as long as Puma reads, so that Puma's own
    target limits (``guard.puma_refuses``) decide, not aiohttp's 8,190 bytes."""
    return web.AppRunner(
        app, access_log=None, handler_cancellation=False, max_line_size=MAX_REQUEST_LINE, **kwargs
    )


async def serve(
    app: web.Application,
    sock: socket.socket | Sequence[socket.socket],
    on_ready: Callable[[int], None],
    *,
    shutdown_timeout: float = 10.0,
    idle_timeout: float = 15.0,
    header_timeout: float = 10.0,
) -> None:
    """Serve ``app`` on ``sock``; ``on_ready(port)`` once accepting; stop on SIGINT/SIGTERM.

    Idle keep-alive connections close after ``idle_timeout`` seconds and clients whose request
    headers take longer than ``header_timeout`` are cut (see ``limits.py``).
    """
    raise_open_file_limit()  # idempotent; serve calls it earlier to report a low limit
    runner = app_runner(app, shutdown_timeout=shutdown_timeout, keepalive_timeout=idle_timeout)
    await runner.setup()
    install_header_deadline(runner, header_timeout)
    watch = DescriptorWatch(runner, idle_timeout)
    watch.start()
    socks = [sock] if isinstance(sock, socket.socket) else list(sock)
    for each in socks:
        await web.SockSite(runner, each).start()
    on_ready(socks[0].getsockname()[1])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl-C cancels the run instead
            break
    try:
        await stop.wait()
    finally:
        watch.stop()
        await runner.cleanup()  # stops accepting, lets in-flight requests finish


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent: int) -> None:
    """Make this forked worker stop (SIGTERM: it finishes what is in flight) when ``parent``
    dies, even by SIGKILL: an orphan would keep serving old data on the shared port
    (SO_REUSEPORT), alternating with whatever server takes the port next."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0:
                if os.getppid() != parent:  # it died before prctl: no signal will come
                    os.kill(os.getpid(), signal.SIGTERM)
                return
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl: watch instead
            pass
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch", daemon=True).start()


def _watch_parent(parent: int) -> None:  # pragma: no cover - Linux uses prctl
    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on uvloop where installed (faster), else on the standard asyncio loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        asyncio.run(main)
        return
    uvloop.run(main)
