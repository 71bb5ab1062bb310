"""The framework ceiling: aiohttp on uvloop answering recorded bodies with no work at all.

``python -m benchmarks.ceiling --port 0 --bodies DIR`` serves, for each request target recorded
in ``DIR/manifest.json`` (raw path and query, as sent), the bytes the mock answered for it, with
the mock's content type. One dict lookup per request: whatever the mock does beyond this is the
cost of being a mock. Same server stack as the mock (aiohttp, uvloop, no access log).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

JSON_TYPE = "application/json; charset=utf-8"
MANIFEST = "manifest.json"


def write_bodies(directory: Path, bodies: dict[str, bytes]) -> None:
    """Record ``target -> body`` in ``directory`` for the ceiling to serve (one file per
    distinct body object: the variants of one query share theirs)."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest = {}
    names: dict[int, str] = {}
    for target, body in bodies.items():
        name = names.get(id(body))
        if name is None:
            name = names[id(body)] = f"body{len(names)}.json"
            (directory / name).write_bytes(body)
        manifest[target] = name
    (directory / MANIFEST).write_text(json.dumps(manifest))


def read_bodies(directory: Path) -> dict[str, bytes]:
    manifest: dict[str, str] = json.loads((directory / MANIFEST).read_text())
    files = {name: (directory / name).read_bytes() for name in set(manifest.values())}
    return {target: files[name] for target, name in manifest.items()}


def create_app(bodies: dict[str, bytes]) -> web.Application:
    headers = {"Content-Type": JSON_TYPE}

    async def answer(request: web.Request) -> web.Response:
        body = bodies.get(request.raw_path)
        if body is None:
            return web.Response(status=404, body=b'{"status":404,"error":"Not Found"}',
                                headers=headers)
        return web.Response(body=body, headers=headers)

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", answer)
    return app


async def _serve(app: web.Application, port: int) -> None:
    runner = web.AppRunner(app, access_log=None, handler_cancellation=False)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(1024)
    sock.setblocking(False)
    site = web.SockSite(runner, sock)
    await site.start()
    print(f"ceiling listening on 127.0.0.1:{sock.getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def _runner() -> Callable[[Any], Any]:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - the mock falls back the same way
        return asyncio.run
    return uvloop.run


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ceiling")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--bodies", type=Path, required=True)
    args = parser.parse_args(argv)
    _runner()(_serve(create_app(read_bodies(args.bodies)), args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
