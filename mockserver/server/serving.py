"""Running an aiohttp app on a socket until SIGINT/SIGTERM: shared by ``serve`` and ``proxy``.

The socket is bound before anything slow happens (loading a million records), so a taken
port fails at once with one clear message; shutdown lets in-flight requests finish.
"""

from __future__ import annotations

import asyncio
import errno
import signal
import socket
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

from mockserver.errors import UsageError


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


async def serve(
    app: web.Application,
    sock: socket.socket,
    on_ready: Callable[[int], None],
    *,
    shutdown_timeout: float = 10.0,
) -> None:
    """Serve ``app`` on ``sock``; ``on_ready(port)`` once accepting; stop on SIGINT/SIGTERM."""
    runner = web.AppRunner(
        app, access_log=None, shutdown_timeout=shutdown_timeout, handler_cancellation=False
    )
    await runner.setup()
    await web.SockSite(runner, sock).start()
    on_ready(sock.getsockname()[1])
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
        await runner.cleanup()  # stops accepting, lets in-flight requests finish


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on uvloop where installed (faster), else on the standard asyncio loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        asyncio.run(main)
        return
    uvloop.run(main)
