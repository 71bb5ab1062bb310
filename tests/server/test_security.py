"""Security: a web page cannot drive the control API and a DNS-rebinding page reaches nothing
(in process); and of a real server process: secrets stay out of logs, accounts stay apart, and
SIGTERM lets in-flight requests finish.
"""

from __future__ import annotations

import json
import socket
import struct
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from mockserver.generate import generate_records, write_fixture
from mockserver.model import FILTERS, Kind
from mockserver.pytest_plugin import TrainSessionsAPI
from mockserver.server.guard import MEMO_SIZE, HostCheck, host_middleware

from ..conftest import AppClientFactory
from ..server_process import serve

SECRET = "secret-xyz"
INDEX = "/api/train_sessions"


def _generate(path: Path, count: int, seed: int, accounts: tuple[str, ...]) -> list[dict[str, object]]:
    """What ``mockserver generate --count N --seed S --account A...`` writes (in process: faster)."""
    records = generate_records(seed, count, accounts=accounts)
    write_fixture(path, records)
    return records


async def _get(
    session: aiohttp.ClientSession, base: str, target: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    async with session.get(URL(base + target, encoded=True), headers=headers) as response:
        return response.status, await response.read()


# --- cross-site writes and DNS rebinding (in process) ------------------------------------------

RECORDS = generate_records(3, 20)
EVIL = "http://evil.example"
JSON_TYPE = {"Content-Type": "application/json"}
FORM = {"Content-Type": "text/plain", "Origin": EVIL}  # what an HTML form on evil.example sends
NEW = {**RECORDS[0], "id": 9001}


async def _refused(response: aiohttp.ClientResponse, rule: str, flag: str) -> None:
    assert response.status == 403, await response.text()
    body = await response.json()
    assert (body["status"], body["error"], body["rule"]) == (403, "Forbidden", rule)
    assert flag in body["message"]
    assert not [h for h in response.headers if h.lower().startswith("access-control-")]


async def _record_count(client: TestClient) -> int:
    body = await (await client.get("/__mockserver/health")).json()
    return int(body["records"])


async def test_a_cross_site_form_cannot_write(app_clients: AppClientFactory) -> None:
    """Check that a text/plain form post from another site changes nothing (was 201/201/200)."""
    client = await app_clients(RECORDS)
    body = json.dumps([NEW])
    await _refused(
        await client.post("/__mockserver/records", data=body, headers=FORM), "origin", "--allow-origin"
    )
    fault = json.dumps({"status": 503, "times": None})
    await _refused(
        await client.post("/__mockserver/faults", data=fault, headers=FORM), "origin", "--allow-origin"
    )
    await _refused(
        await client.post("/__mockserver/reset", data="", headers=FORM), "origin", "--allow-origin"
    )
    await _refused(
        await client.put("/__mockserver/records", data="[]", headers=FORM), "origin", "--allow-origin"
    )
    # without an Origin (older browsers, privacy extensions), the form's Content-Type still fails
    plain = {"Content-Type": "text/plain"}
    await _refused(
        await client.post("/__mockserver/records", data=body, headers=plain),
        "content-type",
        "application/json",
    )
    await _refused(await client.delete("/__mockserver/faults"), "content-type", "application/json")
    # JSON from a foreign origin (a fetch that skipped the preflight cannot send it; still refused)
    foreign_json = {**JSON_TYPE, "Origin": EVIL}
    await _refused(
        await client.post("/__mockserver/records", data=body, headers=foreign_json),
        "origin",
        "--allow-origin",
    )
    assert await _record_count(client) == len(RECORDS)
    faults = await (await client.get("/__mockserver/faults")).json()
    assert faults == {"faults": []}
    assert (
        await client.get("/api/train_sessions", headers={"Authorization": "Token dev-token"})
    ).status == 200


async def test_control_reads_from_a_foreign_origin_are_refused(app_clients: AppClientFactory) -> None:
    """Check that a cross-origin read of the control API is refused and gets no CORS headers."""
    client = await app_clients(RECORDS)
    await _refused(
        await client.get("/__mockserver/records", headers={"Origin": EVIL}), "origin", "--allow-origin"
    )
    await _refused(
        await client.get("/__mockserver/records", headers={"Origin": "null"}), "origin", "--allow-origin"
    )
    preflight = {"Origin": EVIL, "Access-Control-Request-Method": "PUT"}
    await _refused(
        await client.options("/__mockserver/records", headers=preflight), "origin", "--allow-origin"
    )


async def test_control_requests_from_another_site_without_origin_are_refused(
    app_clients: AppClientFactory,
) -> None:
    """Check that Sec-Fetch-Site: cross-site without an Origin (an <img>, a link) is refused on
    the control API and nowhere else, while same-site and direct requests are served."""
    client = await app_clients(RECORDS)
    cross = {"Sec-Fetch-Site": "cross-site"}
    await _refused(await client.get("/__mockserver/requests?limit=1", headers=cross), "origin", "cross-site")
    for site in ("same-site", "same-origin", "none"):
        response = await client.get("/__mockserver/health", headers={"Sec-Fetch-Site": site})
        assert response.status == 200, site
    api = await client.get("/api/train_sessions", headers={**cross, "Authorization": "Token dev-token"})
    assert api.status == 200  # the API route answers any site, as the live API does


async def test_loopback_and_allowed_origins_may_write(app_clients: AppClientFactory) -> None:
    """Check that JSON writes from loopback origins and --allow-origin ones are accepted."""
    client = await app_clients(RECORDS, allow_origins=("http://App.test:8080/",))
    for i, origin in enumerate(
        ["http://localhost:5173", "http://127.0.0.1:3000", "https://[::1]", "http://app.test:8080"]
    ):
        headers = {**JSON_TYPE, "Origin": origin}
        response = await client.post("/__mockserver/records", json={**NEW, "id": 9100 + i}, headers=headers)
        assert response.status == 201, (origin, await response.text())
        assert not [h for h in response.headers if h.lower().startswith("access-control-")]
    await _refused(
        await client.post("/__mockserver/reset", headers={**JSON_TYPE, "Origin": "http://app.test:8081"}),
        "origin",
        "--allow-origin",
    )
    assert (
        await client.post("/__mockserver/reset", headers={"Content-Type": "application/json; charset=utf-8"})
    ).status == 200


REBOUND = {"Host": "evil.example:3000"}


async def test_a_rebinding_page_reaches_no_route(app_clients: AppClientFactory) -> None:
    """Check that Host: evil.example is refused on every route (it read and wiped every record)."""
    client = await app_clients(RECORDS)
    auth = {**REBOUND, "Authorization": "Token dev-token"}
    await _refused(await client.get("/__mockserver/records", headers=REBOUND), "host", "--allow-host")
    await _refused(
        await client.put("/__mockserver/records", json=[], headers=REBOUND), "host", "--allow-host"
    )
    await _refused(await client.get("/api/train_sessions", headers=auth), "host", "--allow-host")
    await _refused(await client.get("/api/train_sessions/1.json", headers=auth), "host", "--allow-host")
    await _refused(await client.get("/openapi.json", headers=REBOUND), "host", "--allow-host")
    await _refused(await client.get("/nowhere", headers=REBOUND), "host", "--allow-host")
    assert await _record_count(client) == len(RECORDS)


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:3000",
        "127.9.8.7",
        "localhost",
        "LOCALHOST:1",
        "localhost.",
        "app.localhost:5173",
        "[::1]:3000",
        "[::1]",
    ],
)
async def test_loopback_hosts_are_answered(app_clients: AppClientFactory, host: str) -> None:
    """Check that every loopback Host form, any port, reaches the API and the control API."""
    client = await app_clients(RECORDS)
    response = await client.get(
        "/api/train_sessions", headers={"Host": host, "Authorization": "Token dev-token"}
    )
    assert response.status == 200
    assert (await client.get("/__mockserver/health", headers={"Host": host})).status == 200


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "127.0.0.1.evil.example",
        "localhost.evil.example",
        "[::2]",
        "10.0.0.1:3000",
        "0.0.0.0",
    ],
)
async def test_foreign_hosts_are_refused(app_clients: AppClientFactory, host: str) -> None:
    """Check that names merely containing a loopback name, and other addresses, are refused."""
    client = await app_clients(RECORDS)
    await _refused(await client.get("/__mockserver/health", headers={"Host": host}), "host", "--allow-host")


async def test_allow_host_widens_and_non_loopback_binds_keep_their_rule(
    app_clients: AppClientFactory,
) -> None:
    """Check --allow-host (any port, any case, '*') and that a 0.0.0.0 bind checks no Host."""
    client = await app_clients(RECORDS, allow_hosts=("Mock.Test",))
    for host in ("mock.test", "MOCK.TEST:8080"):
        assert (await client.get("/__mockserver/health", headers={"Host": host})).status == 200
    await _refused(
        await client.get("/__mockserver/health", headers={"Host": "other.test"}), "host", "--allow-host"
    )
    anything = await app_clients(RECORDS, allow_hosts=("*",))
    assert (await anything.get("/__mockserver/health", headers=REBOUND)).status == 200
    wide = await app_clients(RECORDS, host="0.0.0.0", admin_token="s3cret")
    response = await wide.get(
        "/__mockserver/health", headers={**REBOUND, "X-Mockserver-Admin-Token": "s3cret"}
    )
    assert response.status == 200
    assert (await wide.get("/__mockserver/health", headers=REBOUND)).status == 403  # the admin token rule


def test_host_memo_is_bounded() -> None:
    """Check that many distinct Host values cannot grow the memo past its bound."""
    check = HostCheck(["mock.test"])
    verdicts = [check(f"h{i}.example") for i in range(MEMO_SIZE * 4)]
    assert not any(verdicts)
    assert check("localhost:1") and check("mock.test:2")
    assert len(check._memo) <= MEMO_SIZE


async def test_host_middleware_guards_another_loopback_server() -> None:
    """Check the Host rule alone, as the proxy applies it: rebinding refused, loopback served."""

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    app = web.Application(middlewares=[host_middleware("127.0.0.1")])
    app.router.add_get("/api/train_sessions", hello)
    async with TestClient(TestServer(app)) as client:
        await _refused(await client.get("/api/train_sessions", headers=REBOUND), "host", "--allow-host")
        assert (await client.get("/api/train_sessions")).status == 200


# --- secrets in logs ---------------------------------------------------------------------------


async def _leaks(tmp_path: Path, targets: list[str], headers: list[dict[str, str]]) -> list[str]:
    """Send each target (with and without the right token) and each header set to a server
    holding SECRET; return every log line and journal entry that shows SECRET."""
    fixture = tmp_path / "fixture.json"
    _generate(fixture, 40, 1, ("acme",))
    found: list[str] = []
    with serve(tmp_path, "--fixtures", str(fixture), "--token", f"{SECRET}=acme") as server:
        good = {"Authorization": f'Token token="{SECRET}"'}
        async with aiohttp.ClientSession() as session:
            for target in targets:
                await _get(session, server.base, target, good)
                await _get(session, server.base, target)
            for extra in headers:
                await _get(session, server.base, INDEX, extra)
            status, body = await _get(session, server.base, f"{INDEX}?score_eq=1", good)
            assert status == 200, body
            # the control API's journal, where the server has one
            status, journal = await _get(session, server.base, "/__mockserver/requests")
            if status == 200:
                found += [
                    f"journal: {json.dumps(entry)}"
                    for entry in json.loads(journal)["requests"]
                    if SECRET in json.dumps(entry)
                ]
    logs = server.logs()
    assert f"{INDEX}?score_eq=1" in logs  # the access log was on
    return found + [f"log: {line}" for line in logs.splitlines() if SECRET in line]


@pytest.mark.process
async def test_tokens_never_reach_the_logs(tmp_path: Path) -> None:
    """Check that the token, sent right or wrong, in headers or the query, is never logged."""
    targets = [
        f"{INDEX}",
        f"{INDEX}/1",
        f"{INDEX}?token={SECRET}",
        f"{INDEX}?token={SECRET}&score_eq=1",
        f"{INDEX}?score_eq=1&token={SECRET}",
        f"{INDEX}?api_token={SECRET}",
        f"{INDEX}?access_token={SECRET}",
        f"{INDEX}?auth[token]={SECRET}",
        f"{INDEX}?token[]={SECRET}",
        f"{INDEX}?TOKEN={SECRET}",
        f"{INDEX}/1?token={SECRET}",
        f"{INDEX}?token={SECRET}%00",
        f"{INDEX}?token=%ZZ{SECRET}",
        f"/nowhere?token={SECRET}",
    ]
    wrong = [
        {"Authorization": f"Token token={SECRET}x"},
        {"Authorization": f"Bearer {SECRET}"},
        {"Authorization": f"token {SECRET}"},
        {"Authorization": f"Basic {SECRET}"},
        {"Authorization": f'Token token="{SECRET}\\"'},
    ]
    assert await _leaks(tmp_path, targets, wrong) == []


@pytest.mark.process
async def test_percent_encoded_token_key_is_redacted(tmp_path: Path) -> None:
    """Check that ?%74oken=SECRET (Rack reads the key as 'token') is redacted too."""
    assert await _leaks(tmp_path, [f"{INDEX}?%74oken={SECRET}", f"{INDEX}?t%6Fken={SECRET}"], []) == []


@pytest.mark.process
async def test_token_like_headers_are_redacted_in_the_journal(tmp_path: Path) -> None:
    """Check that a token a client put in a custom header is not kept in the journal."""
    headers = [{"X-Api-Token": SECRET}, {"X-Auth-Token": SECRET}, {"Api-Key": SECRET}]
    assert await _leaks(tmp_path, [], headers) == []


# --- account isolation -------------------------------------------------------------------------


def _probe_values(record: dict[str, object]) -> Iterator[str]:
    """One query string per documented filter, with the value ``record`` holds for it."""
    for f in FILTERS:
        for attribute in f.attributes:
            value = record.get(attribute)
            if value is None:
                continue
            text = str(value)
            if f.kind is Kind.STR and f.predicate == "cont":
                text = text[1:-1] or text
            yield f"{f.name}={quote(text)}"


@pytest.mark.process
async def test_one_account_never_sees_another(tmp_path: Path) -> None:
    """Check that a token for account a gets none of b's records by any route, filter or sort."""
    fixture = tmp_path / "fixture.json"
    records = _generate(fixture, 120, 7, ("a", "b"))
    ids = {name: {r["id"] for r in records if r.get("account") == name} for name in "ab"}
    assert ids["a"] and ids["b"]
    b_records = [r for r in records if r.get("account") == "b"]
    with serve(
        tmp_path, "--fixtures", str(fixture), "--token", "ta=a", "--token", "tb=b", "--quiet"
    ) as server:
        async with aiohttp.ClientSession() as session:
            for token, mine, theirs in (("ta", "a", "b"), ("tb", "b", "a")):
                auth = {"Authorization": f"Token token={token}"}
                status, body = await _get(session, server.base, INDEX, auth)
                assert status == 200
                assert {r["id"] for r in json.loads(body)} == ids[mine]
                for ident in sorted(ids[theirs]):
                    status, _ = await _get(session, server.base, f"{INDEX}/{ident}", auth)
                    assert status == 404, (token, ident)
                    status, _ = await _get(session, server.base, f"{INDEX}/{ident}.json", auth)
                    assert status == 404, (token, ident)
            auth = {"Authorization": "Token token=ta"}
            queries = [q for r in b_records[:10] for q in _probe_values(r)]
            queries += [
                "account_eq=b",
                "account=b",
                "s=id+asc",
                "m=or&score_eq=1&score_eq=2",
                "g[0][score_eq]=1&g[1][score_eq]=2&m=or",
                "account_cont=b",
                f"id_eq={min(ids['b'])}",
                f"id_in[]={min(ids['b'])}",
            ]
            for query in queries:
                status, body = await _get(session, server.base, f"{INDEX}?{query}", auth)
                if status == 200:
                    leaked = {r["id"] for r in json.loads(body)} - ids["a"]
                    assert not leaked, (query, leaked)
            for headers in (
                {},
                {"Authorization": "Token token=dev-token"},
                {"Authorization": "token token=ta"},
            ):
                status, _ = await _get(session, server.base, INDEX, headers)
                assert status == 401, headers


# --- aborted uploads -----------------------------------------------------------------------------


def test_an_aborted_upload_is_a_client_error(
    train_sessions_api_factory: Callable[..., TrainSessionsAPI],
) -> None:
    """Check that a client dropping PUT /__mockserver/records mid-body is no bug of the mock (it
    was counted in health's errors and made the plugin raise MockServerBugError)."""
    api = train_sessions_api_factory()
    body = json.dumps([NEW] * 50).encode()
    head = (
        f"PUT /__mockserver/records HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", int(api.url.rpartition(":")[2])), timeout=10) as sock:
            sock.sendall(head + body[: len(body) // 2])
            time.sleep(0.1)  # the handler is now reading the body
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST
    time.sleep(0.3)
    with urllib.request.urlopen(api.url + "/__mockserver/health", timeout=10) as response:
        health = json.loads(response.read())
    assert health["errors"] == 0
    api.check()  # raises MockServerBugError when the mock counted a bug
