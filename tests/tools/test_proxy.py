"""``mockserver proxy``: pass-through, validation log, health counters and upstream failures."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from mockserver.pytest_plugin import TrainSessionsAPI
from mockserver.tools.proxy import ProxyConfig, create_proxy_app, upstream_base

TOKEN = "proxy-secret-5d1e"
Factory = Callable[..., TrainSessionsAPI]
ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
IGNORED = {"date", "server", "content-length"}  # per hop: set again by the proxy's own server
IGNORED |= {"x-request-id", "x-runtime"}  # per request: Rails sends a fresh id and timing each time


@pytest.fixture
def upstream(train_sessions_api_factory: Factory) -> TrainSessionsAPI:
    return train_sessions_api_factory(tokens={TOKEN: None})


def proxy_app(
    url: str, entries: list[dict[str, Any]], token: str | None = None, timeout: float = 5.0
) -> web.Application:
    return create_proxy_app(ProxyConfig(upstream_base(url), token, timeout, access_log=False), entries.append)


async def health(client: TestClient[Any, Any]) -> dict[str, Any]:
    response = await client.get("/__mockserver/health")
    assert response.status == 200
    data: dict[str, Any] = await response.json()
    return data


def stub(status: int, body: bytes, content_type: str) -> web.Application:
    async def handle(request: web.Request) -> web.Response:
        return web.Response(status=status, body=body, headers={"Content-Type": content_type})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


TARGETS = [
    "/api/train_sessions",
    "/api/train_sessions?full_name_cont=an&score_eq=abc",
    "/api/train_sessions.json",
    "/api/train_sessions/3",
    "/api/train_sessions/999999",
    "/api/train_sessions/abc",
    "/nowhere",
]


async def test_answers_pass_through_unchanged(
    upstream: TrainSessionsAPI, aiohttp_client: ClientFactory
) -> None:
    """Check that status, body bytes and end-to-end headers through the proxy equal the
    upstream's own, for answers of every kind, and that none is counted as a violation."""
    entries: list[dict[str, Any]] = []
    client = await aiohttp_client(proxy_app(upstream.url, entries))
    sent = {**upstream.headers, "Accept": "application/json"}  # a JSON client: JSON error bodies
    async with aiohttp.ClientSession(headers=sent) as direct:
        for target in TARGETS:
            for method in ("GET", "HEAD"):
                async with direct.request(method, upstream.url + target) as want:
                    want_body = await want.read()
                got = await client.request(method, target, headers=sent)
                assert (got.status, await got.read()) == (want.status, want_body), target
                strip = {k.lower(): v for k, v in want.headers.items() if k.lower() not in IGNORED}
                assert {k.lower(): v for k, v in got.headers.items() if k.lower() not in IGNORED} == strip, (
                    target
                )
                if method == "HEAD":
                    assert got.headers.get("Content-Length") == want.headers.get("Content-Length")
    denied = await client.get("/api/train_sessions")  # Rails' plain-text 401: allowed
    assert denied.status == 401 and await denied.text() == "HTTP Token: Access denied.\n"
    counters = await health(client)
    assert counters["requests"] == 2 * len(TARGETS) + 1
    assert (counters["violations"], counters["upstream_errors"]) == (0, 0)
    assert counters["checked"] >= 5 and entries == []


async def test_token_is_added_only_when_the_client_sends_none(
    upstream: TrainSessionsAPI, aiohttp_client: ClientFactory
) -> None:
    """Check that --api-token is injected into requests without Authorization, while a
    client's own (wrong) header is forwarded as sent."""
    client = await aiohttp_client(proxy_app(upstream.url, [], token=TOKEN))
    assert (await client.get("/api/train_sessions/3")).status == 200
    wrong = await client.get("/api/train_sessions/3", headers={"Authorization": "Token token=x"})
    assert wrong.status == 401
    [first, second] = upstream.requests
    assert first.headers["Authorization"] == "Token [REDACTED]" and second.status == 401


@pytest.mark.parametrize(
    ("body", "pointer", "rule"),
    [
        (b'[{"id": 1, "score": "high"}]', "/0", "required at record.schema.json#/required"),
        (b'[{"id": 1, "score": "high"}]', "/0/score", "type at record.schema.json#/properties/score/type"),
        (b'[{"id": 1,', "", "json"),
    ],
)
async def test_violations_are_logged_and_counted(
    body: bytes, pointer: str, rule: str, aiohttp_server: ServerFactory, aiohttp_client: ClientFactory
) -> None:
    """Check that a schema-violating or non-JSON index body reaches the client unchanged and
    is logged as a JSON line (time, redacted request, pointer, rule) and counted."""
    server = await aiohttp_server(stub(200, body, "application/json; charset=utf-8"))
    entries: list[dict[str, Any]] = []
    client = await aiohttp_client(proxy_app(str(server.make_url("/")), entries))
    response = await client.get("/api/train_sessions?api_token=hush-9&score_eq=1")
    assert response.status == 200 and await response.read() == body
    assert {"pointer": pointer, "rule": rule} in [
        {"pointer": e["pointer"], "rule": e["rule"]} for e in entries
    ]
    entry = entries[0]
    assert entry["kind"] == "violation" and entry["schema"] == "list" and entry["status"] == 200
    assert entry["request"] == "GET /api/train_sessions?api_token=[REDACTED]&score_eq=1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"])
    assert "hush-9" not in json.dumps(entries)
    assert (await health(client))["violations"] == len(entries)


@pytest.mark.parametrize(
    ("status", "body", "content_type", "rules"),
    [
        (404, b"<h1>Not Found</h1>", "text/html", ["content-type", "json"]),
        (
            500,
            b'{"status":500,"error":"Internal Server Error","trace":"..."}',
            "application/json",
            ["additionalProperties at error.schema.json#/additionalProperties"],
        ),
        (401, b"HTTP Token: Access denied.\n", "text/plain; charset=utf-8", []),
        (503, b'{"status":503,"error":"Service Unavailable"}', "application/json", []),
    ],
)
async def test_error_bodies_are_checked_against_the_error_schema(
    status: int,
    body: bytes,
    content_type: str,
    rules: list[str],
    aiohttp_server: ServerFactory,
    aiohttp_client: ClientFactory,
) -> None:
    """Check that 4xx/5xx answers must be Rails' JSON error body, except the plain-text 401."""
    server = await aiohttp_server(stub(status, body, content_type))
    entries: list[dict[str, Any]] = []
    client = await aiohttp_client(proxy_app(str(server.make_url("/")), entries))
    response = await client.get("/api/train_sessions/3")
    assert response.status == status and await response.read() == body
    assert [e["rule"] for e in entries] == rules
    assert all(e["schema"] == "error" for e in entries)


async def test_upstream_down_is_a_502_with_the_reason(aiohttp_client: ClientFactory) -> None:
    """Check that a closed upstream port answers 502 with a JSON reason, logs and counts it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    entries: list[dict[str, Any]] = []
    client = await aiohttp_client(proxy_app(f"http://127.0.0.1:{port}", entries, token=TOKEN))
    response = await client.get("/api/train_sessions")
    body = await response.json()
    assert response.status == 502 and body["status"] == 502 and body["error"] == "Bad Gateway"
    assert "cannot connect to 127.0.0.1" in body["upstream"] and TOKEN not in json.dumps(body)
    assert entries[0]["kind"] == "upstream_error" and entries[0]["status"] == 502
    counters = await health(client)
    assert (counters["upstream_errors"], counters["violations"]) == (1, 0)


async def test_slow_upstream_is_a_504(upstream: TrainSessionsAPI, aiohttp_client: ClientFactory) -> None:
    """Check that an upstream slower than the timeout answers 504 rather than hanging."""
    upstream.delay(1500, times=1)
    entries: list[dict[str, Any]] = []
    client = await aiohttp_client(proxy_app(upstream.url, entries, token=TOKEN, timeout=0.2))
    response = await client.get("/api/train_sessions")
    assert response.status == 504
    assert await response.json() == {
        "status": 504,
        "error": "Gateway Timeout",
        "upstream": "no answer within 0.2s",
    }
    assert entries[0]["kind"] == "upstream_error"
    assert (await client.get("/api/train_sessions")).status == 200  # the delay was for one


@pytest.mark.process
def test_proxy_command_serves_until_terminated(upstream: TrainSessionsAPI, tmp_path: Path) -> None:
    """Check the CLI end to end: banner on stdout, token from the environment (never echoed),
    violations log file created, health counters, clean stop on SIGTERM."""
    log = tmp_path / "violations.jsonl"
    command = [
        sys.executable,
        "-m",
        "mockserver",
        "proxy",
        "--upstream",
        upstream.url,
        "--port",
        "0",
        "--violations-log",
        str(log),
        "--quiet",
    ]
    env = {**os.environ, "MOCKSERVER_API_TOKEN": TOKEN}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"proxying (http://\S+) -> ", first)
        assert match, first + (process.stderr.read() if process.stderr else "")
        banner = first + process.stdout.readline() + process.stdout.readline()
        assert "token from $MOCKSERVER_API_TOKEN" in banner and TOKEN not in banner
        with urllib.request.urlopen(match.group(1) + "/api/train_sessions/3", timeout=10) as r:
            assert json.loads(r.read())["id"] == 3
        with urllib.request.urlopen(match.group(1) + "/__mockserver/health", timeout=10) as r:
            counters = json.loads(r.read())
        assert counters["requests"] == 1 and counters["violations"] == 0
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0 and TOKEN not in out + err
    assert log.exists() and log.read_text() == ""
