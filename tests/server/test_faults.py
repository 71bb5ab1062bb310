"""Fault parity with WireMock: Retry-After on 429/503, and socket-level kinds (reset, empty,
malformed, truncated) through the control API and the pytest plugin."""

from __future__ import annotations

import asyncio
import socket
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient

from mockserver.generate import generate_records
from mockserver.pytest_plugin import start_train_sessions_api
from mockserver.server.faults import FaultRule

RECORDS = generate_records(11, 40)
AUTH = 'Token token="dev-token"'
MakeClient = Callable[..., Awaitable[TestClient]]


@pytest.fixture
async def client(app_clients: MakeClient) -> TestClient:
    return await app_clients(RECORDS)


async def _raw(port: int, target: str = "/api/train_sessions") -> bytes:
    """Send one request on a fresh connection; everything the server sent until it closed."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"GET {target} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\nConnection: close\r\n\r\n"
    writer.write(head.encode())
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


async def _fault(client: TestClient, **rule: Any) -> None:
    response = await client.post("/__mockserver/faults", json=rule)
    assert response.status == 201, await response.text()


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_is_sent_with_429_and_503(client: TestClient, status: int) -> None:
    """Check an injected 429 or 503 carries Retry-After with the given seconds."""
    await _fault(client, status=status, retry_after=7)
    response = await client.get("/api/train_sessions", headers={"Authorization": AUTH})
    assert (response.status, response.headers["Retry-After"]) == (status, "7")
    assert (
        "Retry-After"
        not in (await client.get("/api/train_sessions", headers={"Authorization": AUTH})).headers
    )


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        ({"status": 500, "retry_after": 3}, "retry_after 3: expected seconds >= 0 with status 429 or 503"),
        ({"status": 503, "retry_after": -1}, "retry_after -1"),
        ({"kind": "explode"}, "kind 'explode': expected one of reset, empty, malformed, truncated"),
        ({"kind": "reset", "status": 503}, "kind 'reset' and status 503: give one"),
        ({"kind": 3}, "kind: 3 has the wrong type"),
    ],
)
async def test_invalid_parity_fields_are_422(client: TestClient, rule: dict[str, Any], fragment: str) -> None:
    """Check a bad retry_after or kind is refused, naming the field and what is expected."""
    response = await client.post("/__mockserver/faults", json=rule)
    assert response.status == 422
    assert any(fragment in problem for problem in (await response.json())["problems"])


async def test_reset_closes_with_a_tcp_reset(client: TestClient) -> None:
    """Check kind=reset resets the connection without an answer, once, and is journaled as 0."""
    await _fault(client, kind="reset")
    with pytest.raises(ConnectionResetError):
        await _raw(client.port)
    assert (await _raw(client.port)).startswith(b"HTTP/1.1 200")
    journal = (await (await client.get("/__mockserver/requests")).json())["requests"]
    assert [(e["status"], e["fault"]) for e in journal] == [(0, True), (200, False)]


async def test_empty_closes_without_a_byte(client: TestClient) -> None:
    """Check kind=empty closes the connection after reading the request, sending nothing."""
    await _fault(client, kind="empty")
    assert await _raw(client.port) == b""


async def test_malformed_is_a_200_that_is_not_json(client: TestClient) -> None:
    """Check kind=malformed answers 200 with a body a JSON parser refuses."""
    await _fault(client, kind="malformed")
    response = await client.get("/api/train_sessions", headers={"Authorization": AUTH})
    assert response.status == 200 and response.headers["Content-Type"].startswith("application/json")
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(await response.read())


async def test_truncated_stops_before_content_length(client: TestClient) -> None:
    """Check kind=truncated sends the real answer's head and part of its body, then closes."""
    whole = await (await client.get("/api/train_sessions", headers={"Authorization": AUTH})).read()
    await _fault(client, kind="truncated")
    raw = await _raw(client.port)
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    length = int(
        next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")).split(b":")[1]
    )
    assert length == len(whole) and 0 < len(body) < length and whole.startswith(body)


async def test_faults_list_shows_the_new_fields(client: TestClient) -> None:
    """Check GET /__mockserver/faults shows retry_after and kind."""
    await _fault(client, status=503, retry_after=2, times=None)
    await _fault(client, kind="truncated", path="/api/train_sessions/*")
    faults = (await (await client.get("/__mockserver/faults")).json())["faults"]
    assert [(f["status"], f["retry_after"], f["kind"]) for f in faults] == [
        (503, 2, None),
        (None, None, "truncated"),
    ]


def test_kind_rule_takes_the_answer_slot_and_a_delay_still_applies() -> None:
    """Check a kind rule answers like a status rule, and a standing delay combines with it."""
    from mockserver.server.faults import Faults

    faults = Faults()
    faults.add(FaultRule(delay_ms=50, times=None))
    faults.add(FaultRule(kind="empty"))
    delay, rule = faults.take("/api/train_sessions")
    assert delay == 50 and rule is not None and rule.kind == "empty"
    assert faults.take("/api/train_sessions") == (50, None)


def test_plugin_fail_next_passes_retry_after_and_kind() -> None:
    """Check the plugin's fail_next(retry_after=, kind=) reaches the server, and 500 stays the default."""
    api = start_train_sessions_api(records=RECORDS[:3])
    try:
        request = urllib.request.Request(api.url_for(), headers=api.headers)
        api.fail_next(503, retry_after=30)
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(request, timeout=5)
        raised.value.close()
        assert (raised.value.code, raised.value.headers["Retry-After"]) == (503, "30")
        api.fail_next()
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(request, timeout=5)
        raised.value.close()
        assert raised.value.code == 500
        api.fail_next(kind="empty")
        with pytest.raises((ConnectionError, urllib.error.URLError, socket.error)):
            urllib.request.urlopen(request, timeout=5)
        assert [e.status for e in api.requests] == [503, 500, 0]
    finally:
        api.stop()
