"""Serving where POSIX pieces are missing (Windows: no add_signal_handler, os.fork, os.getuid,
SO_REUSEPORT), and refusing to expose the public dev-token beyond loopback (issue 11)."""

from __future__ import annotations

import asyncio
import io
import os
import socket
from pathlib import Path

import pytest
from aiohttp import ClientSession, web

from mockserver import cache
from mockserver.cli import main
from mockserver.server import serving


def _run(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    return main(list(argv), out=io.StringIO(), err=err), err.getvalue()


def test_serve_works_without_signal_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Check that serve answers and shuts down cleanly on a loop without add_signal_handler."""

    def unsupported(*args: object) -> None:
        raise NotImplementedError  # what Windows' ProactorEventLoop raises

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def scenario() -> str:
        monkeypatch.setattr(type(asyncio.get_running_loop()), "add_signal_handler", unsupported)
        app = web.Application()
        app.router.add_get("/", hello)
        ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(serving.serve(app, serving.listen("127.0.0.1", 0), ready.set_result))
        port = await ready
        async with ClientSession() as session, session.get(f"http://127.0.0.1:{port}/") as response:
            text = await response.text()
        await asyncio.sleep(0.05)  # serve() would have raised by now without the guard
        assert not task.done(), task.exception()
        task.cancel()  # what Ctrl-C does to asyncio.run on Windows
        with pytest.raises(asyncio.CancelledError):
            await task
        return text

    assert asyncio.run(scenario()) == "ok"


def test_workers_refused_without_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    """Check that --workers N on a platform without os.fork is one clear line, exit 2."""
    monkeypatch.delattr(os, "fork")
    code, err = _run("serve", "--port", "0", "--workers", "2")
    assert code == 2
    assert err.splitlines() == [
        "mockserver: error: --workers 2 needs os.fork and SO_REUSEPORT (Linux, macOS); "
        "on this platform serve runs one worker: leave --workers out"
    ]


def test_cache_is_not_trusted_without_posix_owners(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Check that without os.getuid (Windows) a cached entry is regenerated, never unpickled."""
    cache.generated_records(1, 10_000, tmp_path)
    [entry] = tmp_path.iterdir()
    assert cache._load(entry, 10_000) is not None  # trusted where the owner can be checked
    monkeypatch.delattr(os, "getuid")
    assert cache._load(entry, 10_000) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1"])
def test_public_bind_with_the_dev_token_is_refused(host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Check that serving beyond loopback with only the public dev-token is refused before binding."""
    monkeypatch.delenv("MOCKSERVER_TOKENS", raising=False)
    monkeypatch.delenv("MOCKSERVER_NO_AUTH", raising=False)
    code, err = _run("serve", "--host", host, "--port", "0")
    assert code == 2
    assert err.splitlines() == [
        f"mockserver: error: --host {host} is reachable from other machines and the only token is "
        "the public 'dev-token': set MOCKSERVER_TOKENS=TOKEN (or --token TOKEN), or --no-auth"
    ]


def test_public_bind_with_a_token_from_the_environment_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Check that a token from MOCKSERVER_TOKENS lifts the refusal (the container's way)."""
    monkeypatch.setenv("MOCKSERVER_TOKENS", "s3cret")
    seen: list[str] = []

    def listen(host: str, port: int, **kwargs: object) -> socket.socket:
        seen.append(host)
        raise SystemExit(0)  # stop before serving: the refusal would have come first

    monkeypatch.setattr(serving, "listen", listen)
    with pytest.raises(SystemExit):
        main(["serve", "--host", "0.0.0.0", "--port", "0"])
    assert seen == ["0.0.0.0"]


@pytest.mark.parametrize(
    ("status", "phrase"),
    [(413, "Request Entity Too Large"), (422, "Unprocessable Entity"), (503, "Service Unavailable")],
)
def test_reason_phrases_do_not_change_with_the_interpreter(status: int, phrase: str) -> None:
    """Check that error bodies keep one phrase per status on Python 3.11 to 3.13 (3.13 renamed 422)."""
    from mockserver.errors import RailsError, reason_phrase

    assert reason_phrase(status) == phrase == RailsError(status).reason
