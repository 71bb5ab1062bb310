"""Every case real Ransack 4.1 + Rails 6.1 answered, replayed through the pure engine and HTTP."""

from __future__ import annotations

import datetime
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from mockserver.dataset import validate_records
from mockserver.engine.rack import parse_query
from mockserver.engine.rows import ID
from mockserver.engine.search import compile_search
from mockserver.errors import RailsError
from mockserver.server.app import create_app
from mockserver.server.store import Store
from mockserver.settings import Settings

from .golden import GOLDEN_PATH, SHARED_GOLDEN, IndexCase, ShowCase, fixtures, index_cases, show_cases

TODAY = datetime.date(2026, 11, 17)  # the engine's clock is an argument: a fixed day

INDEX = index_cases()

JSON = {"Accept": "application/json"}  # the golden bodies are the answers to a JSON request


@pytest.fixture(scope="module")
def store() -> Store:
    return Store(validate_records(fixtures(), "golden fixtures"))


def _engine_answer(store: Store, query: str) -> tuple[int, list[int] | None]:
    try:
        search = compile_search(parse_query(query.encode("latin-1")), TODAY)
        rows = store.partition(None).search(search)
    except RailsError as error:
        return error.status, None
    return 200, [row[ID] for row in rows]


@pytest.mark.parametrize("case", INDEX, ids=[c.query[:80] for c in INDEX])
def test_index_case_pure_engine(store: Store, case: IndexCase) -> None:
    """Check that the pure engine returns Ransack's ids in Ransack's order, or its status."""
    status, ids = _engine_answer(store, case.query)
    assert status == case.status, case.note
    if case.ids is not None:
        assert ids == list(case.ids), case.note


@pytest.fixture
async def client(store: Store) -> TestClient:
    settings = Settings(auth=False, access_log=False)
    async with TestClient(TestServer(create_app(settings, store))) as client:
        yield client


async def test_index_cases_over_http(client: TestClient) -> None:
    """Check that every documented case gives the same status and ids through the HTTP layer."""
    mismatches = []
    for case in INDEX:
        url = (
            URL("/api/train_sessions?" + case.query, encoded=True)
            if case.query
            else URL("/api/train_sessions")
        )
        response = await client.get(url, headers=JSON)
        body = await response.json()
        got_ids = [r["id"] for r in body] if response.status == 200 else None
        if response.status != case.status or (case.ids is not None and got_ids != list(case.ids)):
            mismatches.append((case.query, response.status, case.status))
        if case.status != 200:
            assert body == {"status": case.status, "error": response.reason}
    assert mismatches == []


@pytest.mark.parametrize("case", show_cases(), ids=[repr(c.path_id) for c in show_cases()])
async def test_show_case(client: TestClient, case: ShowCase) -> None:
    """Check that show routes, casts and finds ids exactly as Rails did."""
    path = "/api/train_sessions/" + quote(case.path_id, safe=".")
    response = await client.get(URL(path, encoded=True), headers=JSON)
    assert response.status == case.status
    body = await response.json()
    if case.status == 200:
        assert body["id"] == case.id
    else:
        assert body == {"status": 404, "error": "Not Found"}


@pytest.mark.skipif(not SHARED_GOLDEN.exists(), reason="shared/spec is not beside this checkout")
def test_vendored_golden_copy_matches_the_shared_spec() -> None:
    """Check that tests/data's copy of the golden file is the shared spec's, byte for byte."""
    assert GOLDEN_PATH.read_bytes() == SHARED_GOLDEN.read_bytes()
