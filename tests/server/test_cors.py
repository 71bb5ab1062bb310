"""CORS, opt-in with --cors: preflights and answers on the API routes, never on the control API."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from mockserver.generate import generate_records

from ..conftest import AppClientFactory

RECORDS = generate_records(5, 10)
APP = "http://localhost:5173"
AUTH = {"Authorization": "Token dev-token"}
PREFLIGHT = {
    "Origin": APP,
    "Access-Control-Request-Method": "GET",
    "Access-Control-Request-Headers": "authorization, x-trace-id",
}


def _cors_headers(headers: Iterable[str]) -> list[str]:
    return [h for h in headers if h.lower().startswith("access-control-")]


async def test_off_by_default_like_the_live_api(app_clients: AppClientFactory) -> None:
    """Check that without --cors a preflight gets the live API's 404 (Rails' public 404 page,
    since a preflight's format is not JSON) and no CORS header."""
    client = await app_clients(RECORDS)
    response = await client.options("/api/train_sessions", headers=PREFLIGHT)
    assert response.status == 404
    assert response.content_type == "text/html"
    assert _cors_headers(response.headers) == []
    answer = await client.get("/api/train_sessions", headers={**AUTH, "Origin": APP})
    assert answer.status == 200 and _cors_headers(answer.headers) == []


async def test_listed_origin_gets_preflight_and_answers(app_clients: AppClientFactory) -> None:
    """Check the preflight (methods, Authorization and the requested headers) and that answers,
    errors included, carry Access-Control-Allow-Origin for a listed origin only."""
    client = await app_clients(RECORDS, cors=(APP,))
    response = await client.options("/api/train_sessions?score_eq=1", headers=PREFLIGHT)
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    allowed = [h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")]
    assert "authorization" in allowed and "x-trace-id" in allowed
    assert response.headers["Vary"] == "Origin"
    for headers, status in ((AUTH, 200), ({}, 401)):
        answer = await client.get("/api/train_sessions", headers={**headers, "Origin": APP})
        assert answer.status == status
        assert answer.headers["Access-Control-Allow-Origin"] == APP
        assert "X-Mockserver-Ignored" in answer.headers["Access-Control-Expose-Headers"]
    other = await client.get("/api/train_sessions", headers={**AUTH, "Origin": "http://localhost:5174"})
    assert other.status == 200 and _cors_headers(other.headers) == []
    refused = await client.options(
        "/api/train_sessions", headers={**PREFLIGHT, "Origin": "http://localhost:5174"}
    )
    assert refused.status == 404 and _cors_headers(refused.headers) == []


async def test_any_origin(app_clients: AppClientFactory) -> None:
    """Check that --cors '*' answers every origin with '*'."""
    client = await app_clients(RECORDS, cors=("*",))
    preflight = await client.options(
        "/api/train_sessions/1", headers={**PREFLIGHT, "Origin": "https://x.test"}
    )
    assert preflight.status == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    answer = await client.get("/api/train_sessions", headers={**AUTH, "Origin": "https://x.test"})
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("origin", [APP, "*"])
async def test_never_on_the_control_api(app_clients: AppClientFactory, origin: str) -> None:
    """Check that the control API sends no CORS header, preflight or not, whatever --cors says."""
    client = await app_clients(RECORDS, cors=(origin,))
    for method, path in (("OPTIONS", "/__mockserver/records"), ("GET", "/__mockserver/health")):
        response = await client.request(method, path, headers=PREFLIGHT)
        assert response.status != 204
        assert _cors_headers(response.headers) == [], (method, path)
