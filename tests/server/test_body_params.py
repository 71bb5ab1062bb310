"""GET/HEAD bodies: Rails merges their parameters into ``params``, under the query's."""

from __future__ import annotations

import io

import orjson
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from mockserver.generate import generate_records
from mockserver.server.unassign import BODY_LIMIT

RECORDS = generate_records(9, 80)
INDEX = "/api/train_sessions"
AUTH = {"Authorization": 'Token token="t"'}
JSON = {**AUTH, "Content-Type": "application/json"}
FORM = {**AUTH, "Content-Type": "application/x-www-form-urlencoded"}


async def _ids(client, path: str, **kw: object) -> list[int]:  # type: ignore[no-untyped-def]
    response = await client.get(path, **{"headers": AUTH, **kw})
    assert response.status == 200, await response.text()
    return [r["id"] for r in orjson.loads(await response.read())]


@pytest.fixture
async def client(app_clients):  # type: ignore[no-untyped-def]
    return await app_clients(RECORDS, tokens={"t": None})


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key=st.sampled_from(["full_name_cont", "score_gt", "completion_date_gteq", "status_eq"]),
    value=st.sampled_from(["a", "on", "50", "2015-03-01", "Completed", ""]),
)
async def test_a_body_filters_as_the_query_does(client, key: str, value: str) -> None:  # type: ignore[no-untyped-def]
    """Check that a JSON or form body's filter gives the ids the same query gives."""
    note(f"{key}={value}")
    expected = await _ids(client, INDEX, params={key: value})
    assert await _ids(client, INDEX, data=orjson.dumps({key: value}), headers=JSON) == expected
    assert await _ids(client, INDEX, data=f"{key}={value}", headers=FORM) == expected


async def test_the_query_wins_over_the_body(client) -> None:  # type: ignore[no-untyped-def]
    """Check request_parameters.merge(query_parameters): the query's value of a key wins."""
    queried = await _ids(client, INDEX, params={"score_gt": "90"})
    body = orjson.dumps({"score_gt": "10", "score_lt": "95"})
    both = await _ids(client, INDEX + "?score_gt=90", data=body, headers=JSON)
    assert both == [i for i in queried if next(r for r in RECORDS if r["id"] == i)["score"] < 95]


async def test_answers_to_bodies_are_not_memoised_by_target(client) -> None:  # type: ignore[no-untyped-def]
    """Check the memo (keyed by target) neither serves nor keeps an answer that read a body."""
    everything = await _ids(client, INDEX)
    filtered = await _ids(client, INDEX, data=orjson.dumps({"score_gt": "90"}), headers=JSON)
    assert filtered != everything and set(filtered) < set(everything)
    assert await _ids(client, INDEX) == everything
    assert await _ids(client, INDEX, data=b"score_lt=50", headers=FORM) != filtered


async def test_format_in_the_body_picks_xml_unless_the_query_has_one(client) -> None:  # type: ignore[no-untyped-def]
    """Check params[:format] from the body, under the query's and the path's."""
    response = await client.get(INDEX, data=b"format=xml", headers=FORM)
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    response = await client.get(INDEX + "?format=json", data=b"format=xml", headers=FORM)
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    response = await client.get(INDEX + ".json", data=b"format=xml", headers=FORM)
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"


async def test_a_body_past_the_bound_is_413_unread(client) -> None:  # type: ignore[no-untyped-def]
    """Check a GET body larger than the unassign body bound is refused before it is parsed."""
    response = await client.get(INDEX, data=io.BytesIO(b"a=" + b"x" * BODY_LIMIT), headers=FORM)
    assert response.status == 413


async def test_a_body_page_turns_the_page(app_clients) -> None:  # type: ignore[no-untyped-def]
    """Check that with --paginate a body's page reads as params[:page] does, under the query's."""
    client = await app_clients(RECORDS, tokens={"t": None}, paginate=10)
    second = await _ids(client, INDEX, params={"page": "2"})
    assert second != await _ids(client, INDEX)
    assert await _ids(client, INDEX, data=b"page=2", headers=FORM) == second
    assert await _ids(client, INDEX + "?page=2", data=b"page=3", headers=FORM) == second
