"""``mockserver proxy`` against hostile pages, upstreams and headers: the proxy adds the
developer's token, so it must act for no web page, inflate no bomb, and leak no token.

An echo upstream keeps every request it receives, so a test can assert what reached it (and
that nothing did).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import brotli
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from mockserver.tools import conformance, proxy
from mockserver.tools.proxy import ProxyConfig, create_proxy_app, upstream_base

TOKEN = "deputy-secret-77c1"
ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
EVIL = "http://evil.example"
FORM = "application/x-www-form-urlencoded"


class Echo:
    """An upstream that keeps (method, path, headers) of each request and answers ``[]``,
    or whatever ``answer`` is set to."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.answer: Callable[[web.Request], web.StreamResponse] = lambda r: web.json_response([])

    async def handle(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        self.seen.append((request.method, request.path, dict(request.headers)))
        return self.answer(request)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app


async def proxy_for(
    echo: Echo,
    aiohttp_server: ServerFactory,
    aiohttp_client: ClientFactory,
    entries: list[dict[str, Any]],
    **config: Any,
) -> TestClient[Any, Any]:
    server = await aiohttp_server(echo.app())
    base = upstream_base(str(server.make_url("/")))
    config = {"timeout": 5.0, **config}
    app = create_proxy_app(ProxyConfig(base, TOKEN, access_log=False, **config), entries.append)
    return await aiohttp_client(app)


async def refused(response: Any, rule: str, *words: str) -> None:
    assert response.status == 403, await response.text()
    body = await response.json()
    assert body["status"] == 403 and body["rule"] == rule
    for word in words:
        assert word in body["message"], body["message"]


# --- item 1: a confused deputy ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "headers", "rule", "word"),
    [
        ("POST", "/api/users/1/destroy", {"Content-Type": FORM}, "method", "GET"),
        ("DELETE", "/api/train_sessions/3", {"Origin": EVIL}, "origin", EVIL),
        ("DELETE", "/api/train_sessions/3", {}, "method", "DELETE"),
        ("PUT", "/api/train_sessions/3", {}, "method", "PUT"),
        ("PATCH", "/api/train_sessions/3", {}, "method", "PATCH"),
        ("OPTIONS", "/api/train_sessions", {"Access-Control-Request-Method": "PUT"}, "method", "preflight"),
        ("OPTIONS", "/api/train_sessions", {"Origin": EVIL}, "origin", EVIL),
        ("GET", "/api/train_sessions", {"Origin": EVIL}, "origin", "--allow-origin"),
        ("GET", "/api/train_sessions", {"Origin": "null"}, "origin", "'null'"),
        ("GET", "/api/train_sessions", {"Sec-Fetch-Site": "cross-site"}, "origin", "cross-site"),
        ("HEAD", "/api/train_sessions", {"Sec-Fetch-Site": "Cross-Site"}, "origin", ""),
        ("POST", "/api/train_sessions/unassign", {}, "method", "--allow-writes"),
        ("POST", "/api/train_sessions/unassign.xml", {}, "method", "--allow-writes"),
    ],
)
async def test_a_web_page_cannot_use_the_token(
    method: str,
    path: str,
    headers: dict[str, str],
    rule: str,
    word: str,
    aiohttp_server: ServerFactory,
    aiohttp_client: ClientFactory,
) -> None:
    """Check that cross-site requests and methods other than GET/HEAD are refused with a 403
    naming the rule, and that nothing reaches the upstream."""
    echo = Echo()
    client = await proxy_for(echo, aiohttp_server, aiohttp_client, [])
    response = await client.request(method, path, headers=headers, data=b"a=1" if method != "GET" else None)
    if method == "HEAD":
        assert response.status == 403
    else:
        await refused(response, rule, word)
    assert echo.seen == []


@pytest.mark.parametrize(
    ("headers", "allow"),
    [
        ({}, ()),
        ({"Origin": "http://localhost:5173"}, ()),
        ({"Origin": "http://127.0.0.1:8080", "Sec-Fetch-Site": "cross-site"}, ()),  # loopback: trusted
        ({"Sec-Fetch-Site": "same-origin"}, ()),
        ({"Sec-Fetch-Site": "none"}, ()),  # typed in the address bar
        ({"Origin": "http://App.test:8080", "Sec-Fetch-Site": "cross-site"}, ("http://app.test:8080/",)),
    ],
)
async def test_reads_from_this_machine_are_forwarded_with_the_token(
    headers: dict[str, str],
    allow: tuple[str, ...],
    aiohttp_server: ServerFactory,
    aiohttp_client: ClientFactory,
) -> None:
    """Check that GET and HEAD from loopback pages, tools and --allow-origin pages reach the
    upstream with the token."""
    echo = Echo()
    client = await proxy_for(echo, aiohttp_server, aiohttp_client, [], allow_origins=allow)
    assert (await client.get("/api/train_sessions", headers=headers)).status == 200
    assert (await client.head("/api/train_sessions", headers=headers)).status == 200
    assert [m for m, _, _ in echo.seen] == ["GET", "HEAD"]
    assert all(h["Authorization"] == f'Token token="{TOKEN}"' for _, _, h in echo.seen)


async def test_unassign_is_forwarded_only_with_allow_writes(
    aiohttp_server: ServerFactory, aiohttp_client: ClientFactory
) -> None:
    """Check that --allow-writes forwards the documented write (body included) and nothing else."""
    echo = Echo()
    client = await proxy_for(echo, aiohttp_server, aiohttp_client, [], allow_writes=True)
    body = b'{"login_id": 7, "course_codes": ["A1"]}'
    sent = await client.post(
        "/api/train_sessions/unassign", data=body, headers={"Content-Type": "application/json"}
    )
    assert sent.status == 200
    await refused(await client.delete("/api/train_sessions/3"), "method", "DELETE")
    await refused(await client.post("/api/train_sessions/unassign/x", data=b"{}"), "method", "POST")
    await refused(
        await client.post("/api/train_sessions/unassign", data=body, headers={"Origin": EVIL}), "origin", EVIL
    )
    assert [(m, p) for m, p, _ in echo.seen] == [("POST", "/api/train_sessions/unassign")]


# --- item 4: compressed and long answers ------------------------------------------------------

BAD_INDEX = b'[{"id": 1, "score": "high"}]'


def compressed(coding: str, data: bytes) -> bytes:
    if coding == "gzip":
        return gzip.compress(data)
    if coding == "deflate":
        return zlib.compress(data)
    if coding == "raw-deflate":
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        return packer.compress(data) + packer.flush()
    assert coding == "br"
    return bytes(brotli.compress(data))


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate", "br"])
async def test_compressed_answers_are_checked_and_passed_unchanged(
    coding: str, aiohttp_server: ServerFactory, aiohttp_client: ClientFactory
) -> None:
    """Check that a gzip, deflate or br answer is decoded for its check (a violation is found
    in it) and reaches the client as the upstream's bytes."""
    echo, entries = Echo(), []
    sent = compressed(coding, BAD_INDEX)
    header = "deflate" if coding == "raw-deflate" else coding
    echo.answer = lambda r: web.Response(
        body=sent, headers={"Content-Type": "application/json", "Content-Encoding": header}
    )
    client = await proxy_for(echo, aiohttp_server, aiohttp_client, entries)
    response = await client.get("/api/train_sessions", auto_decompress=False)
    assert response.status == 200 and await response.read() == sent
    assert {e["pointer"] for e in entries if e["kind"] == "violation"} >= {"/0", "/0/score"}, entries


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "gzip, gzip"])
async def test_a_decompression_bomb_is_passed_unchecked(
    coding: str, aiohttp_server: ServerFactory, aiohttp_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check that an answer inflating past MAX_DECODED is not inflated further: it is passed
    unchanged, logged as unchecked (not as a violation) and counted."""
    monkeypatch.setattr(conformance, "MAX_DECODED", 1 << 20)
    bomb = b"[" + b" " * (4 << 20) + b"]"  # 4 MiB of JSON: four times the bound
    sent = bomb
    for each in reversed(coding.split(", ")):
        sent = compressed(each, sent)
    echo, entries = Echo(), []
    echo.answer = lambda r: web.Response(
        body=sent, headers={"Content-Type": "application/json", "Content-Encoding": coding}
    )
    client = await proxy_for(echo, aiohttp_server, aiohttp_client, entries)
    response = await client.get("/api/train_sessions", auto_decompress=False)
    assert response.status == 200 and await response.read() == sent
    assert [e["kind"] for e in entries] == ["unchecked"]
    assert "more than 1048576 bytes" in entries[0]["reason"]
    counters = await (await client.get("/__mockserver/health")).json()
    assert (counters["unchecked"], counters["checked"], counters["violations"]) == (1, 0, 0)


@pytest.mark.parametrize("chunked", [False, True])
async def test_an_answer_longer_than_the_bound_is_a_502(
    chunked: bool,
    aiohttp_server: ServerFactory,
    aiohttp_client: ClientFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Check that an answer longer than MAX_ANSWER, declared or chunked, is not read past the
    bound: 502 naming the bound, logged as an upstream error."""
    monkeypatch.setattr(proxy, "MAX_ANSWER", 1 << 20)
    long = b"[" + b" " * (2 << 20) + b"]"

    def answer(request: web.Request) -> web.StreamResponse:
        response = web.Response(body=long, content_type="application/json")
        if chunked:
            response.enable_chunked_encoding()
        return response

    echo, entries = Echo(), []
    echo.answer = answer
    client = await proxy_for(echo, aiohttp_server, aiohttp_client, entries)
    response = await client.get("/api/train_sessions")
    body = await response.json()
    assert response.status == 502 and "1048576" in body["upstream"], body
    assert [e["kind"] for e in entries] == ["upstream_error"]
    head = await client.head("/api/train_sessions")  # HEAD: the GET's Content-Length, no body
    assert head.status == 200


# --- item 5: tokens quoted by the upstream ----------------------------------------------------


@pytest.mark.parametrize("own", [False, True], ids=["proxy-token", "client-token"])
async def test_tokens_reflected_by_the_upstream_are_scrubbed_from_the_log(
    own: bool, aiohttp_server: ServerFactory, aiohttp_client: ClientFactory
) -> None:
    """Check that an upstream echoing Authorization (raw, JSON-escaped, in a violation message
    or a non-JSON excerpt) leaves neither the proxy's token nor the client's in any log record."""
    secret = 'client-secret-\\u00e9"42' if own else TOKEN
    echo, entries = Echo(), []

    def reflect(request: web.Request) -> web.StreamResponse:
        sent = request.headers.get("Authorization", "")
        if request.path.endswith("/3"):
            return web.Response(status=500, text=sent + " was refused", content_type="application/json")
        return web.json_response({"status": sent, "error": sent}, status=500)

    echo.answer = reflect
    client = await proxy_for(echo, aiohttp_server, aiohttp_client, entries)
    headers = {"Authorization": f"Token token={secret}"} if own else {}
    for target in ("/api/train_sessions", "/api/train_sessions/3"):
        assert (await client.get(target, headers=headers)).status == 500
    assert {e["rule"] for e in entries} >= {"json"} and len(entries) >= 2, entries
    logged = json.dumps(entries) + json.dumps(entries, ensure_ascii=False)
    assert secret not in logged and json.dumps(secret)[1:-1] not in logged
    assert ("[REDACTED]" if own else "$MOCKSERVER_API_TOKEN") in logged


# --- item 9: files written through links ------------------------------------------------------


def test_violations_log_refuses_a_symlink(tmp_path: Any) -> None:
    """Check that a --violations-log path that is a symlink is refused (one line, exit 2) and
    the file it points to is untouched; a regular file is appended to."""
    import io

    from mockserver.cli import main

    victim = tmp_path / "victim"
    victim.write_text("keep me")
    link = tmp_path / "v.jsonl"
    link.symlink_to(victim)
    err = io.StringIO()
    argv = ["proxy", "--upstream", "http://127.0.0.1:9", "--port", "0", "--violations-log", str(link)]
    assert main(argv, out=io.StringIO(), err=err) == 2
    assert err.getvalue().startswith("mockserver: error: --violations-log") and "symlink" in err.getvalue()
    assert victim.read_text() == "keep me"


# --- item 10: header bytes that are not UTF-8 -------------------------------------------------


async def raw_request(port: int, header: bytes) -> tuple[bytes, bytes]:
    """(status line, body) of a GET sent as raw bytes with ``header`` (HTTP clients re-encode)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"GET /api/train_sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n" + header + b"\r\nConnection: close\r\n\r\n"
    )
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 30)
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0], body


@pytest.mark.parametrize("header", [b"X-Foo: caf\xe9", b"X-Foo: \xff\xfe", b"X-Caf\xe9: 1"])
async def test_header_bytes_that_are_not_utf8_are_refused(
    header: bytes, aiohttp_server: ServerFactory, aiohttp_client: ClientFactory
) -> None:
    """Check that a header whose bytes are not UTF-8 is a 400 naming the header, and nothing is
    forwarded (aiohttp's client would drop the bytes: X-Foo: caf\\xe9 arrived as caf)."""
    echo = Echo()
    client = await proxy_for(echo, aiohttp_server, aiohttp_client, [])
    status, body = await raw_request(client.port, header)
    assert status.split(b" ")[1] == b"400", status
    if header.split(b":")[0].isascii():  # a name beyond ASCII: aiohttp's parser refuses it first
        assert b"not UTF-8" in body and header.split(b":")[0] in body
    assert echo.seen == []


async def test_utf8_header_bytes_pass_unchanged(
    aiohttp_server: ServerFactory, aiohttp_client: ClientFactory
) -> None:
    """Check that a UTF-8 header value beyond ASCII reaches the upstream byte for byte."""
    echo = Echo()
    client = await proxy_for(echo, aiohttp_server, aiohttp_client, [])
    status, _ = await raw_request(client.port, "X-Foo: caf\u00e9 \u2713".encode())
    assert status.startswith(b"HTTP/1.1 200 "), status
    assert echo.seen[0][2]["X-Foo"] == "caf\u00e9 \u2713"


async def test_a_request_body_that_trickles_is_408(
    aiohttp_server: ServerFactory, aiohttp_client: ClientFactory
) -> None:
    """Check that a request whose body does not arrive within --timeout is answered 408 and
    nothing is forwarded."""
    echo = Echo()
    client = await proxy_for(echo, aiohttp_server, aiohttp_client, [], timeout=0.3)
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    writer.write(b"GET /api/train_sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{")
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    writer.close()
    assert head.split(b" ")[1] == b"408", head
    assert echo.seen == []
