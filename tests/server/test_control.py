"""The control API under /__mockserver/, in-process: gate, health, reset, records, journal, faults."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from mockserver.generate import generate_records
from mockserver.server.control import ENDPOINTS, is_loopback
from mockserver.server.faults import FaultRule, Faults
from mockserver.server.redaction import redact, redact_headers

RECORDS = generate_records(11, 40)
AUTH = {"Authorization": 'Token token="dev-token"'}
ADMIN = {"X-Mockserver-Admin-Token": "s3cret"}
JSON = {"Content-Type": "application/json"}  # every control write needs it (server/guard.py)
MakeClient = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def make_client(app_clients: MakeClient) -> MakeClient:
    """An app client over RECORDS (settings may be overridden)."""

    def make(**overrides: Any) -> Awaitable[TestClient]:
        return app_clients(RECORDS, **overrides)

    return make


@pytest.fixture
async def client(make_client: MakeClient) -> TestClient:
    return await make_client()


async def _ids(client: TestClient, query: str = "") -> list[int]:
    response = await client.get(f"/api/train_sessions{query}", headers=AUTH)
    assert response.status == 200
    return [r["id"] for r in await response.json()]


# --- the gate -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("example.org", False),
        ("", False),
    ],
)
def test_is_loopback(host: str, expected: bool) -> None:
    """Check that only addresses reachable from this machine alone count as loopback."""
    assert is_loopback(host) is expected


@pytest.mark.parametrize("name", list(ENDPOINTS))
async def test_refused_on_non_loopback_without_admin_token(make_client: MakeClient, name: str) -> None:
    """Check that every control endpoint answers 403 with a clear JSON message off loopback."""
    client = await make_client(host="0.0.0.0")
    method = next(iter(ENDPOINTS[name]))
    response = await client.request(method, f"/__mockserver/{name}", headers=JSON)
    assert response.status == 403
    body = await response.json()
    assert body["status"] == 403 and body["error"] == "Forbidden"
    assert "--admin-token" in body["message"] and "0.0.0.0" in body["message"]


async def test_admin_token_required_once_set(make_client: MakeClient) -> None:
    """Check that with --admin-token the header is required (even on loopback) and accepted."""
    for host in ("0.0.0.0", "127.0.0.1"):
        client = await make_client(host=host, admin_token="s3cret")
        missing = await client.get("/__mockserver/health")
        wrong = await client.get("/__mockserver/health", headers={"X-Mockserver-Admin-Token": "nope"})
        right = await client.get("/__mockserver/health", headers=ADMIN)
        assert (missing.status, wrong.status, right.status) == (403, 403, 200)
        assert "missing" in (await missing.json())["message"]
        assert "wrong" in (await wrong.json())["message"]


async def test_api_is_not_opened_by_the_admin_token(make_client: MakeClient) -> None:
    """Check that the admin token is no API token, and API auth does not open the control API."""
    client = await make_client(host="0.0.0.0", admin_token="s3cret")
    assert (await client.get("/api/train_sessions", headers=ADMIN)).status == 401
    assert (await client.get("/__mockserver/health", headers=AUTH)).status == 403


async def test_unknown_endpoint_and_method(client: TestClient) -> None:
    """Check that unknown control paths and methods answer JSON 404/405, not Rails' 404."""
    unknown = await client.get("/__mockserver/nope")
    assert unknown.status == 404
    assert "/__mockserver/health" in (await unknown.json())["message"]
    wrong = await client.post("/__mockserver/health", headers=JSON)
    assert wrong.status == 405
    assert wrong.headers["Allow"] == "GET, HEAD"


# --- health, reset, records -----------------------------------------------------------------------


async def test_health_counts(client: TestClient) -> None:
    """Check that health reports records, uptime and API requests (control ones not counted)."""
    await client.get("/api/train_sessions", headers=AUTH)
    await client.get("/api/train_sessions/1")
    await client.get("/__mockserver/health")
    body = await (await client.get("/__mockserver/health")).json()
    assert body["status"] == "ok"
    assert body["records"] == len(RECORDS)
    assert body["requests"] == 2
    assert body["uptime_seconds"] >= 0
    assert body["journal"] == {"entries": 2, "capacity": 1000, "dropped": 0}


async def test_put_replaces_and_reset_restores(client: TestClient) -> None:
    """Check that PUT records serves exactly the new records and reset returns to the fixtures."""
    new = [{**RECORDS[0], "id": 7001}, {**RECORDS[1], "id": 7002}]
    response = await client.put("/__mockserver/records", json=new)
    assert response.status == 200 and (await response.json()) == {"records": 2}
    assert await _ids(client) == [7002, 7001]
    assert (await client.get("/api/train_sessions/7001", headers=AUTH)).status == 200
    served = await (await client.get("/__mockserver/records")).json()
    assert [r["id"] for r in served] == [7002, 7001]
    assert (await client.post("/__mockserver/reset", headers=JSON)).status == 200
    assert len(await _ids(client)) == len(RECORDS)


async def test_post_adds_one_or_many(client: TestClient) -> None:
    """Check that POST records adds a single object or an array, searchable at once."""
    one = {**RECORDS[0], "id": 9001, "full_name": "Zyxwv Unique"}
    assert (await client.post("/__mockserver/records", json=one)).status == 201
    many = [{**RECORDS[0], "id": 9002}, {**RECORDS[0], "id": 9003}]
    response = await client.post("/__mockserver/records", json=many)
    assert (await response.json()) == {"added": 2, "records": len(RECORDS) + 3}
    assert await _ids(client, "?full_name_cont=zyxwv") == [9001]


async def test_posted_records_join_the_served_foreign_keys(client: TestClient) -> None:
    """Check a posted record of a served course gets that course's id, and a new course a new one."""
    course = {k: RECORDS[0][k] for k in ("course_code", "course_name")}
    same = {k: v for k, v in RECORDS[0].items() if k not in ("course_id", "assignee_id", "assignee_login_id")}
    other = same | {"course_code": "NEW", "course_name": "A New Course"}
    response = await client.post("/__mockserver/records", json=[same | {"id": 9101}, other | {"id": 9102}])
    assert response.status == 201
    served_ids = {r["course_id"] for r in RECORDS}
    assert 9101 in await _ids(client, f"?course_id_eq={RECORDS[0]['course_id']}")
    assert await _ids(client, f"?course_id_eq={max(served_ids) + 1}") == [9102]  # the next in sequence
    assert course["course_code"] != "NEW"


async def test_invalid_records_are_422_with_problems(client: TestClient) -> None:
    """Check that invalid records are refused with each problem located, and nothing changes."""
    bad = [{**RECORDS[0], "id": 8001, "score": "high"}, {**RECORDS[0], "id": 8002, "scor": 1}]
    response = await client.put("/__mockserver/records", json=bad)
    assert response.status == 422
    body = await response.json()
    assert body["error"] == "Unprocessable Entity"
    problems = {(p["index"], p["id"], p["field"]) for p in body["problems"]}
    assert problems == {(0, 8001, "score"), (1, 8002, "scor")}
    assert any("did you mean 'score'" in p["message"] for p in body["problems"])
    assert len(await _ids(client)) == len(RECORDS)


@pytest.mark.parametrize(
    "bad",
    [
        [{}] * 5000,  # each record misses every field
        [{f"k{i}": 1 for i in range(5000)}],  # one record of unknown keys
        [{**RECORDS[0], "id": 8000 + i, "score": "high"} for i in range(3000)],
    ],
    ids=["empty-records", "unknown-keys", "one-bad-field-each"],
)
async def test_a_422_is_bounded(client: TestClient, bad: list[dict[str, Any]]) -> None:
    """Check that a 422 lists the first 100 problems and how many were found, that checking
    stops at 1,000 problems and says so, and that the answer stays small."""
    sent = io.BytesIO(json.dumps(bad).encode())  # aiohttp warns about large bytes bodies
    response = await client.put("/__mockserver/records", data=sent, headers=JSON)
    assert response.status == 422
    raw = await response.read()
    body = await response.json()
    assert len(body["problems"]) == 100 and body["problem_count"] == 1000, body["message"]
    assert "at least 1000 problem(s)" in body["message"] and "the first 100 listed" in body["message"]
    assert len(raw) < 64 * 1024
    assert len(await _ids(client)) == len(RECORDS)


async def test_a_control_body_over_16_mib_is_413(client: TestClient) -> None:
    """Check that a control write larger than 16 MiB is refused (413) without being parsed."""
    body = io.BytesIO(b"[" + b" " * (16 * 1024 * 1024) + b"]")
    response = await client.put("/__mockserver/records", data=body, headers=JSON)
    assert response.status == 413
    assert str(16 * 1024 * 1024) in (await response.json())["message"]
    assert len(await _ids(client)) == len(RECORDS)


async def test_a_slow_control_body_is_408(make_client: MakeClient) -> None:
    """Check that a control write whose body trickles in past --header-timeout answers 408
    (saying the connection closes: aiohttp then discards the rest for at most 10 s, as after
    any answer that left a body unread), rather than being held as long as the client likes."""
    client = await make_client(header_timeout=0.3)
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(
        b"PUT /__mockserver/records HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n["
    )
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    body = await reader.readexactly(length)
    writer.close()
    assert head.startswith(b"HTTP/1.1 408 "), head
    assert b"connection: close" in head.lower() and b"--header-timeout" in body
    assert len(await _ids(client)) == len(RECORDS)


async def test_post_refuses_ids_already_served(client: TestClient) -> None:
    """Check that adding a record whose id is served is a 409 Conflict naming the id."""
    response = await client.post("/__mockserver/records", json=RECORDS[3])
    assert response.status == 409
    assert (await response.json())["problems"][0]["id"] == RECORDS[3]["id"]


async def test_put_with_repeated_ids_is_a_conflict(client: TestClient) -> None:
    """Check that a PUT whose records repeat an id is a 409 naming both records (each record is
    valid alone, which is all a schema can say), and nothing changes."""
    response = await client.put(
        "/__mockserver/records", json=[RECORDS[0], {**RECORDS[1], "id": RECORDS[0]["id"]}]
    )
    assert response.status == 409
    problems = (await response.json())["problems"]
    assert [p["id"] for p in problems] == [RECORDS[0]["id"]]
    assert len(await _ids(client)) == len(RECORDS)


@pytest.mark.parametrize("body", [b"{not json", b""])
async def test_body_must_be_json(client: TestClient, body: bytes) -> None:
    """Check that a body that is not JSON answers 400 with the parser's reason."""
    response = await client.put("/__mockserver/records", data=body, headers=JSON)
    assert response.status == 400
    assert "not valid JSON" in (await response.json())["message"]


async def test_mutations_refused_with_several_workers(make_client: MakeClient) -> None:
    """Check that data and faults cannot change when each worker process has its own copy."""
    client = await make_client(workers=2)
    assert (await client.post("/__mockserver/reset", headers=JSON)).status == 409
    assert (await client.put("/__mockserver/records", json=[])).status == 409
    assert (await client.get("/__mockserver/health")).status == 200


# --- journal --------------------------------------------------------------------------------------


async def test_journal_records_requests_with_secrets_redacted(client: TestClient) -> None:
    """Check that the journal keeps method, path, query, headers and status, never a token."""
    await client.get(
        "/api/train_sessions?score_eq=80&api_token=hunter2",
        headers={**AUTH, "X-Client": "t1", "Cookie": "session=abc"},
    )
    await client.get("/api/train_sessions/999999", headers={"Authorization": "Bearer xyz"})
    await client.get("/__mockserver/health")
    body = await (await client.get("/__mockserver/requests")).json()
    first, second = body["requests"]
    assert (first["method"], first["path"], first["status"]) == ("GET", "/api/train_sessions", 200)
    assert first["query"] == "score_eq=80&api_token=[REDACTED]"
    assert first["headers"]["Authorization"] == "Token [REDACTED]"
    assert first["headers"]["Cookie"] == "[REDACTED]"
    assert first["headers"]["X-Client"] == "t1"
    assert (second["status"], second["headers"]["Authorization"]) == (401, "Bearer [REDACTED]")
    text = await (await client.get("/__mockserver/requests")).text()
    assert "dev-token" not in text and "hunter2" not in text and "xyz" not in text


async def test_journal_is_bounded_and_clearable(client: TestClient) -> None:
    """Check that ?limit returns the newest entries and DELETE empties the journal."""
    for n in range(5):
        await client.get(f"/api/train_sessions?score_eq={n}", headers=AUTH)
    body = await (await client.get("/__mockserver/requests?limit=2")).json()
    assert [r["query"] for r in body["requests"]] == ["score_eq=3", "score_eq=4"]
    assert (await client.get("/__mockserver/requests?limit=x")).status == 400
    cleared = await client.delete("/__mockserver/requests", headers=JSON)
    assert (cleared.status, cleared.content_type) == (200, "application/json")
    assert (await cleared.json())["requests"] == []
    assert (await (await client.get("/__mockserver/requests")).json())["requests"] == []


@pytest.mark.parametrize("raw", ["%C2%B2", "%D9%A3", "%EF%BC%91", "1%C2%B2", "-1", "+1", "%201", ""])
async def test_journal_limit_takes_ascii_digits_only(client: TestClient, raw: str) -> None:
    """Check that ?limit with other digits ('²'.isdigit() is True), signs or spaces is a 400
    naming the value, and no bug is kept."""
    from yarl import URL

    response = await client.get(URL(f"/__mockserver/requests?limit={raw}", encoded=True))
    body = await response.json()
    assert response.status == 400 and "ASCII digits" in body["message"], body
    assert (await (await client.get("/__mockserver/health")).json())["errors"] == 0


async def test_journal_limit_past_any_journal_is_all_of_it(client: TestClient) -> None:
    """Check that a limit of 5,000 digits (past int()'s 4,300) answers the whole journal."""
    await client.get("/api/train_sessions", headers=AUTH)
    response = await client.get("/__mockserver/requests?limit=" + "9" * 5000)
    assert response.status == 200 and len((await response.json())["requests"]) == 1
    zero = await client.get("/__mockserver/requests?limit=" + "0" * 5000)
    assert zero.status == 200 and (await zero.json())["requests"] == []


async def test_journal_keeps_undecodable_bytes_readable(client: TestClient) -> None:
    """Check that a request target with invalid UTF-8 is journaled and rendered as JSON."""
    from yarl import URL

    await client.get(URL("/api/train_sessions?full_name_cont=%FF", encoded=True), headers=AUTH)
    body = await (await client.get("/__mockserver/requests")).json()
    assert body["requests"][0]["query"] == "full_name_cont=%FF"
    assert body["requests"][0]["status"] == 400


def test_journal_ring_buffer_drops_oldest() -> None:
    """Check that the journal holds at most its capacity and counts what it dropped."""
    from mockserver.server.journal import Journal

    journal = Journal(3)
    for n in range(5):
        journal.append("GET", f"/p{n}", {}, 200, False)
    assert [e.path for e in journal.entries()] == ["/p2", "/p3", "/p4"]
    assert journal.dropped == 2


def test_redaction_helpers() -> None:
    """Check the redaction of token-like query values and secret headers."""
    assert redact("/a?token=x&b=1") == "/a?token=[REDACTED]&b=1"
    assert redact("/a?API_TOKEN=x") == "/a?API_TOKEN=[REDACTED]"
    assert redact("/a?b=1") == "/a?b=1"
    plain = {"Accept": "*/*"}
    assert redact_headers(plain) is plain  # no copy on the hot path
    assert redact_headers({"Authorization": "garbage"})["Authorization"] == "[REDACTED]"


# --- faults ---------------------------------------------------------------------------------------


async def test_fail_next_n_requests(client: TestClient) -> None:
    """Check that a fault answers the Rails error body for the next N API requests only."""
    response = await client.post("/__mockserver/faults", json={"status": 503, "times": 2})
    assert response.status == 201
    statuses = []
    for _ in range(3):
        r = await client.get("/api/train_sessions", headers={**AUTH, "Accept": "application/json"})
        statuses.append(r.status)
        if r.status == 503:
            assert await r.json() == {"status": 503, "error": "Service Unavailable"}
            assert r.headers["X-Mockserver-Fault"] == "injected"
    assert statuses == [503, 503, 200]
    assert (await (await client.get("/__mockserver/faults")).json()) == {"faults": []}
    journal = (await (await client.get("/__mockserver/requests")).json())["requests"]
    assert [(e["status"], e["fault"]) for e in journal] == [(503, True), (503, True), (200, False)]


async def test_fault_on_path_pattern_until_cleared(client: TestClient) -> None:
    """Check that a path-glob fault with times=null hits only matching paths until deleted."""
    await client.post(
        "/__mockserver/faults", json={"status": 500, "times": None, "path": "/api/train_sessions/*"}
    )
    for _ in range(3):
        assert (await client.get("/api/train_sessions/1", headers=AUTH)).status == 500
    assert (await client.get("/api/train_sessions", headers=AUTH)).status == 200
    assert (await client.get("/__mockserver/health")).status == 200  # control is never faulted
    assert (await client.get("/openapi.json")).status == 200
    removed = await client.delete("/__mockserver/faults", headers=JSON)  # JSON like every answer
    assert (removed.status, removed.content_type, await removed.json()) == (
        200,
        "application/json",
        {"faults": []},
    )
    assert 1 in {r["id"] for r in RECORDS}  # so once the fault is gone, record 1 is shown again
    assert (await client.get("/api/train_sessions/1", headers=AUTH)).status == 200


async def test_injected_401_is_the_rails_one(client: TestClient) -> None:
    """Check that an injected 401 looks exactly like Rails' token-auth refusal."""
    await client.post("/__mockserver/faults", json={"status": 401})
    response = await client.get("/api/train_sessions", headers=AUTH)
    assert response.status == 401
    assert await response.text() == "HTTP Token: Access denied.\n"
    assert response.headers["WWW-Authenticate"] == 'Token realm="Application"'


async def test_delay(client: TestClient) -> None:
    """Check that a delay holds the answer back and a standing delay does not hide fail_next."""
    await client.post("/__mockserver/faults", json={"delay_ms": 150, "times": None})
    await client.post("/__mockserver/faults", json={"status": 502})
    started = time.perf_counter()
    first = await client.get("/api/train_sessions", headers=AUTH)
    second = await client.get("/api/train_sessions", headers=AUTH)
    assert time.perf_counter() - started >= 0.3
    assert (first.status, second.status) == (502, 200)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"status": 200}, "standard HTTP error status"),
        ({"status": 499}, "standard HTTP error status"),
        ({"times": 0, "status": 500}, "times 0"),
        ({"delay_ms": -1}, "delay_ms -1"),
        ({}, "needs a status"),
        ({"status": "500"}, "wrong type"),
        ({"status": True}, "wrong type"),
        ({"statuss": 500}, "unknown key"),
    ],
)
async def test_invalid_faults(client: TestClient, body: dict[str, Any], fragment: str) -> None:
    """Check that an invalid fault is refused with a message naming the problem."""
    response = await client.post("/__mockserver/faults", json=body)
    assert response.status == 422
    assert any(fragment in p for p in (await response.json())["problems"])


def test_faults_take_uses_up_rules() -> None:
    """Check the rule selection: first status rule and first delay rule, each used once."""
    faults = Faults()
    faults.add(FaultRule(delay_ms=10, times=None))
    faults.add(FaultRule(status=500, times=1, path="/x/*"))
    faults.add(FaultRule(status=503, delay_ms=5, times=1))

    def take(path: str) -> tuple[int, int | None]:  # (delay, status): take() returns the rule
        delay, rule = faults.take(path)
        return delay, rule.status if rule else None

    assert take("/y") == (10, 503)
    assert take("/x/1") == (10, 500)
    assert take("/x/1") == (10, None)
    assert len(faults.rules) == 1


async def test_reset_clears_journal_and_faults(client: TestClient) -> None:
    """Check that reset also empties the journal and removes faults."""
    await client.post("/__mockserver/faults", json={"status": 500, "times": None})
    await client.get("/api/train_sessions", headers=AUTH)
    await client.post("/__mockserver/reset", headers=JSON)
    assert (await client.get("/api/train_sessions", headers=AUTH)).status == 200
    journal = (await (await client.get("/__mockserver/requests")).json())["requests"]
    assert len(journal) == 1


async def test_request_in_flight_during_reset_is_not_journaled(client: TestClient) -> None:
    """Check that a request delayed across a reset does not appear in the new journal."""
    import asyncio

    await client.post("/__mockserver/faults", json={"delay_ms": 300})
    slow = asyncio.ensure_future(client.get("/api/train_sessions", headers=AUTH))
    await asyncio.sleep(0.1)
    await client.post("/__mockserver/reset", headers=JSON)
    assert (await slow).status == 200
    journal = (await (await client.get("/__mockserver/requests")).json())["requests"]
    assert journal == []


# --- partial records and 401 reasons (issue 11) --------------------------------------------------


async def test_post_records_fills_what_the_plugin_fills(client: TestClient) -> None:
    """Check that POST records accepts partial records, filled like the plugin's .add()."""
    from mockserver.dataset import validate_records
    from mockserver.model import PUBLIC_FIELDS

    top = max(r["id"] for r in RECORDS)
    response = await client.post("/__mockserver/records", json={"full_name": "Ada Lovelace"})
    assert (response.status, await response.json()) == (201, {"added": 1, "records": len(RECORDS) + 1})
    response = await client.post("/__mockserver/records", json=[{"score": 7}, {"id": 9001}, {}])
    assert response.status == 201
    served = {r["id"]: r for r in await (await client.get("/__mockserver/records")).json()}
    assert served[top + 1]["full_name"] == "Ada Lovelace"
    # ids left out count up from the highest id served or given in the same request
    assert served[9002]["score"] == 7
    assert set(served) - {r["id"] for r in RECORDS} == {top + 1, 9001, 9002, 9003}
    added = [served[i] for i in (top + 1, 9001, 9002, 9003)]
    validate_records(added, "added")  # every filled record is a valid fixture
    assert all(set(PUBLIC_FIELDS) <= set(r) for r in added)
    shown = await client.get(f"/api/train_sessions/{top + 1}", headers=AUTH)
    assert (await shown.json())["full_name"] == "Ada Lovelace"


async def test_post_records_still_names_bad_values(client: TestClient) -> None:
    """Check that a filled-in record with a wrong given value is refused naming that field only."""
    response = await client.post("/__mockserver/records", json={"id": 9001, "score": "high"})
    body = await response.json()
    assert response.status == 422
    assert [(p["id"], p["field"]) for p in body["problems"]] == [(9001, "score")]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "no token"),
        ({"Authorization": "Basic ZGV2LXRva2Vu"}, "scheme not accepted"),
        ({"Authorization": "token dev-token"}, "scheme not accepted"),  # the scheme is case-sensitive
        ({"Authorization": 'Token token="nope"'}, "unknown token"),
        ({"Authorization": "Bearer nope"}, "unknown token"),
    ],
)
async def test_401_names_its_reason(client: TestClient, headers: dict[str, str], reason: str) -> None:
    """Check that a 401 keeps Rails' body and names why in X-Mockserver-Error, never the token."""
    response = await client.get("/api/train_sessions", headers=headers)
    assert response.status == 401
    assert await response.text() == "HTTP Token: Access denied.\n"
    assert response.headers["WWW-Authenticate"] == 'Token realm="Application"'
    assert response.headers["X-Mockserver-Error"].startswith(reason)
    assert "nope" not in response.headers["X-Mockserver-Error"]


async def test_fault_numbers_may_be_integral_floats(client: TestClient) -> None:
    """Check that 503.0 and 1500.0 (integers to JSON Schema, as the document declares them) are
    accepted, and 1.5 still is not (Schemathesis found 15098927.0 refused)."""
    response = await client.post(
        "/__mockserver/faults", json={"status": 503.0, "delay_ms": 1500.0, "times": 2.0}
    )
    assert response.status == 201
    fault = (await response.json())["faults"][0]
    assert {k: fault[k] for k in ("status", "delay_ms", "times", "path")} == {
        "status": 503,
        "delay_ms": 1500,
        "times": 2,
        "path": None,
    }
    assert (await client.post("/__mockserver/faults", json={"delay_ms": 1.5})).status == 422


async def test_fault_numbers_are_bounded(client: TestClient) -> None:
    """Check that a delay beyond an hour or times beyond int4 is a 422, not a stored rule that
    made every later fault answer 500 (Schemathesis sent delay_ms 3122580220130704164164250632192)."""
    for fault in (
        {"delay_ms": 2**100},
        {"status": 503, "times": 2**40},
        {"delay_ms": 3_600_001},
        {"status": 503, "retry_after": 2**70},  # Schemathesis: stored, then every listing a 500
    ):
        response = await client.post("/__mockserver/faults", json=fault)
        assert response.status == 422, fault
    listed = await client.get("/__mockserver/faults")
    assert (listed.status, await listed.json()) == (200, {"faults": []})
    assert (await client.post("/__mockserver/faults", json={"delay_ms": 3_600_000})).status == 201
