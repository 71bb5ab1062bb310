"""The course player page and its test aid through the control API and the plugin."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Awaitable, Callable

from aiohttp.test_utils import TestClient

from mockserver.generate import generate_records
from mockserver.pytest_plugin import start_train_sessions_api
from tests.server.player_paths import is_player_target

RECORDS = generate_records(16, 60)
JSON = {"Content-Type": "application/json"}
MakeClient = Callable[..., Awaitable[TestClient]]
OPEN = next(
    r for r in RECORDS if r["assignee_login_id"] is not None and r["status"] in ("Assigned", "In Progress")
)
PLAYER = f"/api/train_sessions/{OPEN['assignee_login_id']}/{OPEN['course_code']}"


async def test_player_page_is_embeddable(app_clients: MakeClient) -> None:
    """Check the page: the session shown, no X-Frame-Options, a frame-ancestors policy, no referrer."""
    client = await app_clients(RECORDS)
    response = await client.get(PLAYER + "?token=dev-token")
    assert response.status == 200
    text = await response.text()
    assert OPEN["full_name"].split()[0] in text and "Test aid of the mock server" in text
    assert "X-Frame-Options" not in response.headers
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' http://localhost:*" in policy and "script-src 'self'" in policy
    assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_player_authentication_error(app_clients: MakeClient) -> None:
    """Check that a wrong or missing token shows the documented 'Authentication error' (401)."""
    client = await app_clients(RECORDS)
    for query in ("?token=wrong", "", "?token[]=dev-token"):
        response = await client.get(PLAYER + query)
        assert response.status == 401
        assert "<h1>Authentication error</h1>" in await response.text()
        assert OPEN["full_name"] not in await response.text()


async def test_player_unknown_session_and_2015_02(app_clients: MakeClient) -> None:
    """Check that an unknown login or course is a 404 page, and 2015-02 has no player route."""
    client = await app_clients(RECORDS)
    for path in ("/api/train_sessions/999999/FP", "/api/train_sessions/abc/FP", PLAYER + "X"):
        assert (await client.get(path + "?token=dev-token")).status == 404
    old = await app_clients(RECORDS, api_revision="2015-02")
    response = await old.get(PLAYER + "?token=dev-token")
    assert response.status == 404 and "Test aid" not in await response.text()


async def test_control_actions_update_the_served_record(app_clients: MakeClient) -> None:
    """Check that complete through the control API changes what show answers."""
    client = await app_clients(RECORDS)
    url = f"/__mockserver/sessions/{OPEN['id']}/complete"
    answer = await client.post(url, json={"score": 95, "hours": 1.5}, headers=JSON)
    assert answer.status == 200 and (await answer.json())["status"] == "Completed"
    shown = await client.get(
        f"/api/train_sessions/{OPEN['id']}", headers={"Authorization": 'Token token="dev-token"'}
    )
    body = await shown.json()
    assert body["status"] == "Completed" and body["score"] == 95 and body["percent_complete"] == 100
    refused = await client.post(url.replace("complete", "fail_quiz"), json={"score": 1}, headers=JSON)
    assert refused.status == 422 and "Completed" in (await refused.json())["message"]
    assert (
        await client.post("/__mockserver/sessions/999999/complete", json={"score": 90}, headers=JSON)
    ).status == 404


async def test_control_actions_obey_the_guard(app_clients: MakeClient) -> None:
    """Check that a form post (no JSON) or a foreign Origin cannot use the test aid, and workers refuse it."""
    client = await app_clients(RECORDS)
    url = f"/__mockserver/sessions/{OPEN['id']}/complete"
    form = await client.post(url, data={"score": "95"})
    assert form.status == 403
    foreign = await client.post(url, json={"score": 95}, headers={**JSON, "Origin": "https://evil.example"})
    assert foreign.status == 403
    workers = await app_clients(RECORDS, workers=2)
    assert (await workers.post(url, json={"score": 95}, headers=JSON)).status == 409
    script = await client.get("/__mockserver/player.js")
    assert script.status == 200 and "fetch(url" in await script.text()


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status, answer.read().decode()


def test_plugin_actions() -> None:
    """Check api.progress, api.fail_quiz and api.complete through the plugin, and the player URL."""
    api = start_train_sessions_api(records=RECORDS)
    try:
        progressed = api.progress(OPEN["id"], 40, hours=0.5)
        assert progressed["status"] == "In Progress" and progressed["percent_complete"] == 40
        failed = api.fail_quiz(OPEN["id"], 10)
        assert failed["failed_attempts"] == OPEN["failed_attempts"] + 1
        api.complete(OPEN["id"], 100)
        status, page = _get(api.player_url(OPEN["assignee_login_id"], OPEN["course_code"]))
        assert status == 200 and "<dd>Completed</dd>" in page
        show = api.url_for(f"/api/train_sessions/{OPEN['id']}")
        shown = json.loads(_get(show, api.headers)[1])
        assert shown["status"] == "Completed"
        api.reset()
        assert json.loads(_get(show, api.headers)[1]) == {k: OPEN[k] for k in shown}
    finally:
        api.stop()


def test_seed7_two_segment_paths_are_the_player() -> None:
    """Check that the seed-7 requests the stand-in (no player) answers 404 reach the player under
    2015-08: every one of them without ?token= gets the Authentication error page."""
    from tests.server.rails_replay import load, replay
    from tests.server.test_rails_differential import CASES, _is_class_s

    cases = [c for c in load(CASES) if not _is_class_s(c) and is_player_target(c["target"])]
    assert len(cases) >= 10
    assert all(c["rails"]["status"] == 404 for c in cases)
    run = replay(cases, api_revision="2015-08")
    assert run.bugs == []
    for case in cases:
        expected = 401 if "token=" not in case["target"] and case["method"] in ("GET", "HEAD") else 404
        assert run.answers[case["n"]]["status"] == expected, case["target"]


async def test_docs_control_api_examples(app_clients: MakeClient) -> None:
    """Check the control-api.md examples: complete session 1 (packaged data), then fail it (422)."""
    from mockserver.dataset import load_records
    from mockserver.resources import default_fixtures_path

    client = await app_clients(load_records(default_fixtures_path()))
    done = await client.post(
        "/__mockserver/sessions/1/complete", json={"score": 95, "hours": 1.5}, headers=JSON
    )
    record = await done.json()
    assert (record["status"], record["score"], record["time_spent"], record["assignee_login_id"]) == (
        "Completed",
        95,
        "5.1",
        39,
    )
    refused = await client.post("/__mockserver/sessions/1/fail_quiz", json={"score": 10}, headers=JSON)
    assert (await refused.json())["message"] == (
        "session 1 is Completed: it cannot be progressed or failed (assign a new one)"
    )


def test_docs_plugin_example() -> None:
    """Check the pytest-plugin.md example: an added Assigned session completed through the handle."""
    api = start_train_sessions_api(records=RECORDS)
    try:
        session = api.add(status="Assigned", course_code="WHMIS", assignee_login_username="ada")
        api.complete(session["id"], score=92)
        _, body = _get(api.url_for(f"/api/train_sessions/{session['id']}"), api.headers)
        assert json.loads(body)["status"] == "Completed"
    finally:
        api.stop()
