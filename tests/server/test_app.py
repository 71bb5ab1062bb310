"""The aiohttp app in-process: routes, auth, accounts, headers, strict mode, error bodies."""

from __future__ import annotations

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from mockserver.generate import generate_records
from mockserver.model import PUBLIC_FIELDS
from mockserver.schemas import iter_violations
from mockserver.server.app import create_app
from mockserver.server.store import Store
from mockserver.settings import Settings

RECORDS = generate_records(3, 120, accounts=("acme", "globex"))
TOKENS = {"acme-token": "acme", "globex-token": "globex"}
ACME = {"Authorization": 'Token token="acme-token"', "Accept": "application/json"}
JSON = {"Accept": "application/json"}  # a JSON client: error bodies follow the request's format


@pytest.fixture
def make_client(app_clients):
    """An app client over RECORDS with the two account tokens (settings may be overridden)."""

    def make(**overrides: object):
        return app_clients(RECORDS, **{"tokens": TOKENS, **overrides})

    return make


def _acme_ids() -> list[int]:
    return sorted((r["id"] for r in RECORDS if r.get("account") == "acme"), reverse=True)


async def test_index_renders_public_fields_in_order(make_client) -> None:
    """Check that the index lists the account's records, id desc, fields in the doc's order."""
    client = await make_client()
    response = await client.get("/api/train_sessions", headers=ACME)
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = await response.read()
    records = orjson.loads(body)
    assert [r["id"] for r in records] == _acme_ids()
    assert all(list(r) == list(PUBLIC_FIELDS) for r in records)
    assert list(iter_violations(records, "list")) == []


@pytest.mark.parametrize(
    "path",
    ["/api/train_sessions", "/api/train_sessions/", "/api/train_sessions.json", "/api//train_sessions"],
)
async def test_index_route_variants(make_client, path: str) -> None:
    """Check the index answers on the trailing-slash, .json and squeezed-slash forms."""
    client = await make_client()
    response = await client.get(URL(path, encoded=True), headers=ACME)
    assert response.status == 200


async def test_show_and_scoping(make_client) -> None:
    """Check show returns the index's record, and another account's id is a 404."""
    client = await make_client()
    mine = _acme_ids()[0]
    theirs = next(r["id"] for r in RECORDS if r.get("account") == "globex")
    index = orjson.loads(await (await client.get("/api/train_sessions", headers=ACME)).read())
    shown = await client.get(f"/api/train_sessions/{mine}.json", headers=ACME)
    assert orjson.loads(await shown.read()) == next(r for r in index if r["id"] == mine)
    other = await client.get(f"/api/train_sessions/{theirs}", headers=ACME)
    assert other.status == 404
    assert orjson.loads(await other.read()) == {"status": 404, "error": "Not Found"}
    filtered = await client.get(f"/api/train_sessions?id_eq={theirs}", headers=ACME)
    assert orjson.loads(await filtered.read()) == []


@pytest.mark.parametrize(
    "header",
    [
        None,
        'Token token="wrong"',
        'token token="acme-token"',
        "Basic YWNtZTp0b2tlbg==",
        "Token token=''",
        'Token foo="bar", token="acme-token"',
    ],
)
async def test_401_is_rails_plain_text(make_client, header: str | None) -> None:
    """Check the Rails 401: plain-text body and the Token realm challenge."""
    client = await make_client()
    response = await client.get("/api/train_sessions", headers={"Authorization": header} if header else {})
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == 'Token realm="Application"'
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert await response.read() == b"HTTP Token: Access denied.\n"


@pytest.mark.parametrize(
    "header",
    [
        'Token token="acme-token"',
        "Token token=acme-token",
        "Token acme-token",
        "Bearer acme-token",
        'Token  token="acme-token"',
        'Token token="acme-token", foo="bar"',
        'Token token="acme-token";x',
    ],
)
async def test_accepted_token_forms(make_client, header: str) -> None:
    """Check every header form Rails accepts is accepted."""
    client = await make_client()
    response = await client.get("/api/train_sessions", headers={"Authorization": header})
    assert response.status == 200


async def test_order_of_checks_route_query_auth(make_client) -> None:
    """Check Rails' order: no route 404 and bad query 400 come before auth's 401."""
    client = await make_client()
    assert (await client.get("/api/nothing")).status == 404
    assert (await client.post("/api/train_sessions", headers=ACME)).status == 404
    bad = await client.get(URL("/api/train_sessions?full_name_cont=%ZZ", encoded=True), headers=JSON)
    assert bad.status == 400
    assert orjson.loads(await bad.read()) == {"status": 400, "error": "Bad Request"}
    assert (await client.get("/api/train_sessions?score_eq[]=1")).status == 401
    crash = await client.get("/api/train_sessions?score_eq[]=1", headers=ACME)
    assert crash.status == 500
    assert orjson.loads(await crash.read()) == {"status": 500, "error": "Internal Server Error"}
    assert "NoMethodError" in crash.headers["X-Mockserver-Error"]


async def test_head_has_headers_and_no_body(make_client) -> None:
    """Check HEAD answers like GET without a body."""
    client = await make_client()
    response = await client.head("/api/train_sessions", headers=ACME)
    assert response.status == 200
    assert await response.read() == b""


async def test_ignored_parameters_are_named(make_client) -> None:
    """Check what the live API silently ignores is named in X-Mockserver-Ignored."""
    client = await make_client()
    response = await client.get(
        "/api/train_sessions?score=80&full_name_cont=&completion_date_gteq=garbage", headers=ACME
    )
    ignored = response.headers["X-Mockserver-Ignored"]
    assert "score" in ignored and "full_name_cont" in ignored and "completion_date_gteq" in ignored
    assert [r["id"] for r in orjson.loads(await response.read())] == _acme_ids()
    clean = await client.get("/api/train_sessions?score_eq=80", headers=ACME)
    assert "X-Mockserver-Ignored" not in clean.headers


async def test_strict_mode_rejects_what_live_ignores(make_client) -> None:
    """Check --strict answers 400 listing each ignored parameter, and passes clean queries."""
    client = await make_client(strict=True)
    response = await client.get("/api/train_sessions?score=80&score_eq=abc", headers=ACME)
    assert response.status == 400
    body = orjson.loads(await response.read())
    assert body["status"] == 400 and body["error"] == "Bad Request"
    assert any("score" in p for p in body["problems"]) and any("abc" in p for p in body["problems"])
    assert list(iter_violations(body, "error")) == []
    assert (await client.get("/api/train_sessions?score_eq=80", headers=ACME)).status == 200


async def test_no_auth_serves_default_account(make_client) -> None:
    """Check --no-auth needs no header and serves the default account's records."""
    client = TestClient(
        TestServer(create_app(Settings(auth=False, access_log=False), Store(generate_records(1, 10))))
    )
    async with client:
        response = await client.get("/api/train_sessions")
        assert response.status == 200
        assert len(orjson.loads(await response.read())) == 10


async def test_rails_escapes_html_entities(make_client) -> None:
    """Check record JSON escapes <, > and & the way ActiveSupport does."""
    record = {**generate_records(1, 1)[0], "full_name": "A <b> & C"}
    client = TestClient(TestServer(create_app(Settings(auth=False, access_log=False), Store([record]))))
    async with client:
        body = await (await client.get(f"/api/train_sessions/{record['id']}")).read()
        assert b"A \\u003cb\\u003e \\u0026 C" in body
        assert orjson.loads(body)["full_name"] == "A <b> & C"


async def test_malformed_token_options_are_a_rails_500(make_client) -> None:
    """Check a header Rails' token parser raises on (Hash[] of an odd pair) answers 500."""
    client = await make_client()
    response = await client.get(
        "/api/train_sessions", headers={"Authorization": "Token acme-token, =", **JSON}
    )
    assert response.status == 500
    assert orjson.loads(await response.read()) == {"status": 500, "error": "Internal Server Error"}
    assert "X-Mockserver-Error" in response.headers


async def test_repeated_requests_are_remembered_until_the_data_changes(make_client) -> None:
    """Check a repeated request gets the same answer, and new data answers afresh."""
    from mockserver.server.keys import STATE

    client = await make_client()
    first = await (await client.get("/api/train_sessions?score_gteq=50", headers=ACME)).read()
    state = client.server.app[STATE]
    assert state.memo.answers == 2  # the answer by request, the rows by search
    assert await (await client.get("/api/train_sessions?score_gteq=50", headers=ACME)).read() == first
    other = await client.get("/api/train_sessions?score_gteq=50", headers={"Authorization": "Token x"})
    assert other.status == 401 and state.memo.answers == 2  # failures are not remembered
    state.replace_records([])
    assert await (await client.get("/api/train_sessions?score_gteq=50", headers=ACME)).read() == b"[]"


async def test_unroutable_targets_get_the_rails_404(make_client) -> None:
    """Check a request target no route can match (OPTIONS *) still gets Rails' JSON 404."""
    import asyncio

    client = await make_client()
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    writer.write(
        b"OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )
    await writer.drain()
    answer = await reader.read()
    writer.close()
    assert answer.startswith(b"HTTP/1.1 404")
    assert answer.endswith(b'{"status":404,"error":"Not Found"}')
