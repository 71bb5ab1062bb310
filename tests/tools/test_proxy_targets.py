"""``mockserver proxy`` never sends its token anywhere but its upstream (issue 9, finding 3).

Two capture servers on loopback record every byte they receive: the upstream, and a bystander
an attacker would like the token delivered to. Raw request lines go over a socket, because
HTTP clients refuse to send the malformed targets an attacker would.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from yarl import URL

from mockserver.spawning import spawn
from mockserver.tools.proxy import ProxyConfig, create_proxy_app, upstream_base
from mockserver.tools.upstream import TargetError, forward_url

TOKEN = "proxy-secret-never-leaves-9f3a"
ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


class Capture:
    """A loopback TCP server that keeps every byte it receives and answers ``200 []``."""

    def __init__(self) -> None:
        self.received = bytearray()
        self.port = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.read(65536)
        self.received += data
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]")
        await writer.drain()
        writer.close()


@pytest.fixture
async def captures() -> AsyncIterator[tuple[Capture, Capture]]:
    pair = (Capture(), Capture())
    servers = []
    for capture in pair:
        server = await asyncio.start_server(capture._handle, "127.0.0.1", 0)
        capture.port = server.sockets[0].getsockname()[1]
        servers.append(server)
    yield pair
    for server in servers:
        server.close()
        await server.wait_closed()


async def raw_exchange(port: int, request_line: str) -> tuple[int, bytes, bytes]:
    """Send one request with ``request_line`` over a socket; (status, head, body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"{request_line}\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), head, body


async def start_proxy(upstream_port: int, aiohttp_server: ServerFactory, entries: list[Any]) -> int:
    config = ProxyConfig(upstream_base(f"http://127.0.0.1:{upstream_port}"), TOKEN, 5.0, access_log=False)
    server = await aiohttp_server(create_proxy_app(config, entries.append))
    assert server.port is not None
    return server.port


# Request lines aiohttp's HTTP parser itself answers with its text 400 (no handler runs, so
# nothing can be forwarded); every other non-path target gets the proxy's JSON 400.
PARSER_REFUSES = {
    ("GET", "127.0.0.1:{bystander}"),
    ("GET", "api/train_sessions"),
    ("GET", "*"),
    ("OPTIONS", "127.0.0.1:{bystander}"),
    ("OPTIONS", "api/train_sessions"),
    ("CONNECT", "munity://x/api/train_sessions"),
    ("CONNECT", "host://127.0.0.1:{bystander}/api/train_sessions"),
    ("CONNECT", "http://127.0.0.1:{bystander}/api/train_sessions"),
}


@pytest.mark.parametrize(
    "target",
    [
        "munity://x/api/train_sessions",
        "host://127.0.0.1:{bystander}/api/train_sessions",
        "http://127.0.0.1:{bystander}/api/train_sessions",
        "127.0.0.1:{bystander}",
        "api/train_sessions",
        "*",
    ],
)
@pytest.mark.parametrize("method", ["GET", "CONNECT", "OPTIONS"])
async def test_a_target_that_is_not_a_path_is_refused_before_any_byte_leaves(
    target: str,
    method: str,
    captures: tuple[Capture, Capture],
    aiohttp_server: ServerFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Check that absolute-, authority- and other non-path targets get a 400 and reach no host."""
    upstream, bystander = captures
    entries: list[Any] = []
    port = await start_proxy(upstream.port, aiohttp_server, entries)
    caplog.set_level(logging.INFO)
    line = f"{method} {target.format(bystander=bystander.port)} HTTP/1.1"
    status, head, body = await raw_exchange(port, line)
    assert status == 400
    if (method, target) in PARSER_REFUSES:  # aiohttp's own text 400: no handler ran
        assert b"text/plain" in head
    else:  # the proxy's own refusal
        assert b"X-Mockserver-Proxy: refused" in head
        assert json.loads(body)["status"] == 400
    await asyncio.sleep(0.05)  # anything sent would have arrived by now
    assert TOKEN.encode() not in bystander.received
    assert bystander.received == b""
    assert upstream.received == b""
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]  # no traceback


async def test_an_origin_form_target_reaches_the_upstream_with_the_token(
    captures: tuple[Capture, Capture], aiohttp_server: ServerFactory
) -> None:
    """Check that a path target is still forwarded, token included, to the upstream only."""
    upstream, bystander = captures
    port = await start_proxy(upstream.port, aiohttp_server, [])
    status, _, body = await raw_exchange(port, "GET /api/train_sessions?full_name_cont=a HTTP/1.1")
    assert (status, body) == (200, b"[]")
    assert b"GET /api/train_sessions?full_name_cont=a HTTP/1.1" in upstream.received
    assert f'Token token="{TOKEN}"'.encode() in upstream.received
    assert bystander.received == b""


@pytest.mark.parametrize(
    ("base", "target", "expected"),
    [
        (
            "https://learninglogin.com",
            "/api/train_sessions?a=%41",
            "https://learninglogin.com/api/train_sessions?a=%41",
        ),
        ("http://127.0.0.1:81/pre", "/api/x", "http://127.0.0.1:81/pre/api/x"),
        ("https://learninglogin.com", "//evil.example/api", "https://learninglogin.com//evil.example/api"),
        ("https://learninglogin.com", "/@evil.example/api", "https://learninglogin.com/@evil.example/api"),
    ],
)
def test_forward_url_keeps_the_configured_origin(base: str, target: str, expected: str) -> None:
    """Check that whatever the path holds, the forwarded URL's scheme, host and port are the upstream's."""
    url = forward_url(URL(base), target)
    assert str(url) == expected
    assert (url.scheme, url.host, url.port) == (URL(base).scheme, URL(base).host, URL(base).port)


@pytest.mark.parametrize("target", ["munity://x/api/train_sessions", "learninglogin.community:443", "*", ""])
def test_forward_url_refuses_targets_that_are_not_paths(target: str) -> None:
    """Check that the port-less upstream of the README cannot be extended into another host name."""
    with pytest.raises(TargetError):
        forward_url(URL("https://learninglogin.com"), target)


@pytest.mark.process
async def test_cmd_proxy_refuses_a_rebinding_host_before_any_byte_leaves(
    captures: tuple[Capture, Capture], tmp_path: Path
) -> None:
    """Check that ``mockserver proxy`` on loopback answers a foreign Host (a DNS-rebinding page)
    with 403 and never forwards it with the live token (issue 9, findings 2 and 3)."""
    upstream, _ = captures
    argv = [sys.executable, "-m", "mockserver", "proxy", "--upstream", f"http://127.0.0.1:{upstream.port}"]
    argv += ["--host", "127.0.0.1", "--port", "0", "--api-token", TOKEN]
    ready = re.compile(rb"proxying http://127\.0\.0\.1:(\d+)")
    spawned = await asyncio.to_thread(spawn, argv, ready, tmp_path / "proxy.log", name="mockserver proxy")
    try:
        port = int(spawned.ready.group(1))
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"GET /api/train_sessions HTTP/1.1\r\nHost: evil.example:3000\r\nConnection: close\r\n\r\n"
        )
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 403")
        assert b"--allow-host" in answer or b"loopback" in answer
        status, _, _ = await raw_exchange(port, "GET /api/train_sessions HTTP/1.1")
        assert status == 200  # a loopback Host still goes through
    finally:
        spawned.stop()
    assert upstream.received.count(TOKEN.encode()) == 1  # only the loopback request carried it
    assert b"evil.example" not in upstream.received
