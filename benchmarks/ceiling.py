"""The framework ceiling: aiohttp on uvloop answering recorded bodies with no work at all.

``python -m benchmarks.ceiling --port 0 --bodies DIR`` serves, for each request target recorded
in ``DIR/manifest.json`` (raw path and query, as sent), the bytes the mock answered for it, with
the mock's content type. One dict lookup per request: whatever the mock does beyond this is the
cost of being a mock. Same server stack as the mock (aiohttp, uvloop, no access log).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from mockserver.server import serving

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
            return web.Response(status=404, body=b'{"status":404,"error":"Not Found"}', headers=headers)
        return web.Response(body=body, headers=headers)

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", answer)
    return app


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ceiling")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--bodies", type=Path, required=True)
    args = parser.parse_args(argv)
    sock = serving.listen("127.0.0.1", args.port)

    def ready(port: int) -> None:
        print(f"ceiling listening on 127.0.0.1:{port}", flush=True)

    # the mock's own serving loop (uvloop, same runner settings): only the handler differs
    serving.run(serving.serve(create_app(read_bodies(args.bodies)), sock, ready))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
