"""The real mock with exactly one deliberate defect, to prove the contract suite catches it.

    python -m tests.broken_mock DEFECT [--port P] [--fixtures PATH]    (from the repository's root)

The defects are in ``tests/broken_defects.py``: each wraps ``mockserver.server.app.create_app``
as the outermost middleware, rewriting the request (query or headers) or the response (status,
headers, JSON body). Prints the mock's own ``listening on URL`` line once ready. ``none`` serves
the mock unchanged.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import signal
import socket
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from aiohttp import web

from mockserver.cli import load_store
from mockserver.dataset import load_records
from mockserver.resources import default_fixtures_path
from mockserver.server.app import create_app
from mockserver.settings import Settings
from mockserver.spawning import spawn

from .broken_defects import DEFECTS, SETTINGS
from .broken_surgery import Context


def build_app(name: str, fixtures: Path) -> web.Application:
    """The real mock app serving ``fixtures``, with defect ``name`` as its outermost middleware."""
    records = load_records(fixtures)
    settings = replace(Settings(), fixtures=fixtures, access_log=False, **SETTINGS.get(name, {}))
    app = create_app(settings, load_store(settings))
    factory = DEFECTS[name][1]
    middleware = factory(Context({r["id"]: r for r in records})) if factory else None
    if middleware is not None:
        app.middlewares.insert(0, web.middleware(middleware))
    return app


_READY = re.compile(rb"listening on (http://\S+)")


async def serve(app: web.Application, port: int) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    print(f"mockserver: listening on http://127.0.0.1:{sock.getsockname()[1]}/api/train_sessions", flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()


@contextlib.contextmanager
def running(name: str, fixtures: Path | None = None, timeout: float = 30.0) -> Iterator[str]:
    """Serve defect ``name`` from a child process on a free port; yields the index URL."""
    command = [sys.executable, "-m", "tests.broken_mock", name, "--port", "0"]
    if fixtures is not None:
        command += ["--fixtures", str(fixtures)]
    with tempfile.TemporaryDirectory(prefix="broken-mock-") as scratch:
        server = spawn(
            command,
            _READY,
            Path(scratch) / "server.log",
            timeout=timeout,
            env={"PYTHONPATH": str(Path(__file__).resolve().parents[1])},  # `tests` from any directory
            name=f"broken mock {name!r}",
        )
        try:
            yield server.ready.group(1).decode()
        finally:
            server.stop(timeout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("defect", choices=sorted(DEFECTS))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fixtures", type=Path, default=None)
    args = parser.parse_args(argv)
    asyncio.run(serve(build_app(args.defect, args.fixtures or default_fixtures_path()), args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
