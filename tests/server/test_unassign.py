"""Unassign in-process: removal is real (index, show, ETag, memo, journal), reset restores it,
--workers refuses it, the 2015-02 revision has no such route."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from mockserver.generate import generate_records
from mockserver.server.unassign import WORKERS_MESSAGE

RECORDS = generate_records(16, 60)
AUTH = {"Authorization": 'Token token="dev-token"'}
UNASSIGN = "/api/train_sessions/unassign"
MakeClient = Callable[..., Awaitable[TestClient]]


def _pair() -> tuple[int, str, list[int]]:
    """A login id and one of its course codes, with the ids of every record they match."""
    record = next(r for r in RECORDS if r["assignee_login_id"] is not None)
    login, code = record["assignee_login_id"], record["course_code"]
    ids = [r["id"] for r in RECORDS if r["assignee_login_id"] == login and r["course_code"] == code]
    return login, code, ids


async def _index(client: TestClient) -> tuple[list[int], str]:
    response = await client.get("/api/train_sessions", headers=AUTH)
    assert response.status == 200
    return [r["id"] for r in await response.json()], response.headers["ETag"]


async def test_unassign_removes_from_index_and_show(app_clients: MakeClient) -> None:
    """Check that removed sessions leave the index and show, the ETag changes, and reset restores them."""
    client = await app_clients(RECORDS)
    login, code, ids = _pair()
    before, etag = await _index(client)
    assert (await client.get(f"/api/train_sessions/{ids[0]}", headers=AUTH)).status == 200
    response = await client.post(UNASSIGN, json={"course_codes": [code], "login_id": login}, headers=AUTH)
    assert response.status == 200 and await response.read() == b""
    assert "Vary" not in response.headers and "ETag" not in response.headers
    after, etag_after = await _index(client)
    assert after == [i for i in before if i not in ids] and etag_after != etag
    assert (await client.get(f"/api/train_sessions/{ids[0]}", headers=AUTH)).status == 404
    again = await client.post(UNASSIGN, json={"course_codes": [code], "login_id": login}, headers=AUTH)
    assert await again.text() == "Could not find any corresponding train sessions."
    journal = await (await client.get("/__mockserver/requests")).json()
    posts = [e for e in journal["requests"] if e["method"] == "POST"]
    assert [e["status"] for e in posts] == [200, 200]
    reset = await client.post("/__mockserver/reset", headers={"Content-Type": "application/json"})
    assert reset.status == 200
    assert (await _index(client)) == (before, etag)


async def test_memo_forgets_after_unassign(app_clients: MakeClient) -> None:
    """Check that a remembered show answer is not served after its record is removed."""
    client = await app_clients(RECORDS)
    login, code, ids = _pair()
    for _ in range(2):  # the second answer comes from the memo
        assert (await client.get(f"/api/train_sessions/{ids[0]}", headers=AUTH)).status == 200
    await client.post(UNASSIGN, data={"course_codes[]": code, "login_id": str(login)}, headers=AUTH)
    assert (await client.get(f"/api/train_sessions/{ids[0]}", headers=AUTH)).status == 404


async def test_xml_body_in_content(app_clients: MakeClient) -> None:
    """Check that the documented <content> XML body removes, and answers head :ok as XML."""
    client = await app_clients(RECORDS)
    login, code, ids = _pair()
    body = (
        "<?xml version='1.0' encoding='UTF-8'?>\n<content><course-codes type='array'>"
        f"<course-code>{code}</course-code></course-codes>"
        f"<login-id type='integer'>{login}</login-id></content>"
    )
    headers = {**AUTH, "Content-Type": "application/xml"}
    response = await client.post(UNASSIGN + ".xml", data=body, headers=headers)
    assert response.status == 200 and response.headers["Content-Type"] == "application/xml"
    assert not set(ids) & set((await _index(client))[0])


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"course_codes": ["X"]}, 400),
        ({"login_id": 1}, 400),
        ({"course_codes": [], "login_id": 1}, 400),
        ({"course_codes": [None], "login_id": 1}, 400),
        ({"course_codes": {"a": 1}, "login_id": 1}, 500),
        ({"content": "x"}, 500),
        ({"course_codes": ["X"], "login_id": False}, 200),
    ],
)
async def test_parameter_errors(app_clients: MakeClient, body: dict[str, Any], status: int) -> None:
    """Check ParameterMissing (400), the casts' 500s, and false passing require, as the stand-in answers."""
    client = await app_clients(RECORDS)
    response = await client.post(UNASSIGN + ".json", json=body, headers=AUTH)
    assert response.status == status
    if status != 200:
        assert response.headers["Content-Type"].startswith("application/json")


async def test_wrong_token_is_401_before_a_bad_json_body(app_clients: MakeClient) -> None:
    """Check that the token is checked before the JSON body is parsed (and the body's 400 after it)."""
    client = await app_clients(RECORDS)
    bad = {"Content-Type": "application/json"}
    denied = await client.post(UNASSIGN, data=b'{"a":', headers={**bad, "Authorization": 'Token token="no"'})
    assert denied.status == 401
    refused = await client.post(UNASSIGN, data=b'{"a":', headers={**bad, **AUTH})
    assert refused.status == 400


async def test_workers_refuse_unassign(app_clients: MakeClient) -> None:
    """Check that with --workers 2 unassign answers 409 naming reason and way out, removing nothing."""
    client = await app_clients(RECORDS, workers=2)
    login, code, _ = _pair()
    before = await _index(client)
    response = await client.post(UNASSIGN, json={"course_codes": [code], "login_id": login}, headers=AUTH)
    assert response.status == 409
    assert await response.text() == WORKERS_MESSAGE.format(n=2) + "\n"
    assert "--workers 1" in response.headers["X-Mockserver-Error"]
    assert await _index(client) == before


async def test_2015_02_has_no_unassign(app_clients: MakeClient) -> None:
    """Check that the 2015-02 revision answers 404 and removes nothing."""
    client = await app_clients(RECORDS, api_revision="2015-02")
    login, code, _ = _pair()
    before = await _index(client)
    response = await client.post(UNASSIGN, json={"course_codes": [code], "login_id": login}, headers=AUTH)
    assert response.status == 404
    assert await _index(client) == before


async def test_get_unassign_is_show(app_clients: MakeClient) -> None:
    """Check that GET /unassign is show with id 'unassign' (404), PUT and DELETE have no route."""
    client = await app_clients(RECORDS)
    for method in ("GET", "PUT", "DELETE", "PATCH"):
        response = await client.request(method, UNASSIGN, headers=AUTH)
        assert response.status == 404, method


async def test_docs_examples(app_clients: MakeClient) -> None:
    """Check unassign-and-player.md's two curl examples on the packaged data: removed, then none found."""
    from mockserver.dataset import load_records
    from mockserver.resources import default_fixtures_path

    client = await app_clients(load_records(default_fixtures_path()))
    headers = {**AUTH, "Content-Type": "application/json", "Accept": "*/*"}
    removed = await client.post(UNASSIGN, data='{"course_codes": ["FP"], "login_id": 39}', headers=headers)
    assert removed.status == 200 and await removed.read() == b""
    assert removed.headers["Content-Type"] == "text/html" and removed.headers["Cache-Control"] == "no-cache"
    body = (
        "<content><course-codes type='array'><course-code>FP</course-code></course-codes>"
        "<login-id type='integer'>39</login-id></content>"
    )
    again = await client.post(
        UNASSIGN + ".xml", data=body, headers={**headers, "Content-Type": "application/xml"}
    )
    assert await again.text() == "Could not find any corresponding train sessions."


async def test_a_body_beyond_the_bound_is_refused(app_clients: MakeClient) -> None:
    """Check that a body over 4 MiB is a 413 naming the bound (declared or chunked), removing nothing."""
    from mockserver.server.unassign import BODY_LIMIT

    client = await app_clients(RECORDS)
    before = await _index(client)
    huge = b'{"course_codes": ["' + b"x" * BODY_LIMIT + b'"], "login_id": 1}'
    headers = {**AUTH, "Content-Type": "application/json", "Accept": "application/json"}
    declared = await client.post(UNASSIGN, data=io.BytesIO(huge), headers=headers)
    assert declared.status == 413 and "bound" in declared.headers["X-Mockserver-Error"]

    async def chunks():
        for start in range(0, len(huge), 1 << 20):
            yield huge[start : start + (1 << 20)]

    chunked = await client.post(UNASSIGN, data=chunks(), headers=headers)
    assert chunked.status == 413
    assert await _index(client) == before
