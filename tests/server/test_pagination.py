"""``serve --paginate N``: api-pagination's ``?page=N`` with ``Link``, ``Per-Page`` and ``Total``."""

from __future__ import annotations

import re
from typing import Any

import pytest

from mockserver.generate import generate_records

from ..conftest import AppClientFactory

RECORDS = generate_records(5, 23)
AUTH = {"Authorization": 'Token token="dev-token"', "Accept": "application/json"}
LINK = re.compile(r'<([^>]*)>; rel="(\w+)"')


def _links(header: str | None) -> dict[str, str]:
    return {rel: url for url, rel in LINK.findall(header or "")}


async def _get(
    app_clients: AppClientFactory, target: str, **settings: Any
) -> tuple[int, dict[str, str], Any]:
    client = await app_clients(RECORDS, **settings)
    response = await client.get(target, headers=AUTH)
    return response.status, dict(response.headers), await response.json()


async def test_off_by_default(app_clients: AppClientFactory) -> None:
    """Check that without --paginate every row comes back and no pagination header is sent."""
    status, headers, body = await _get(app_clients, "/api/train_sessions?page=2")
    assert status == 200 and len(body) == len(RECORDS)
    assert not {"Link", "Per-Page", "Total"} & set(headers)


async def test_pages_concatenate_to_the_whole_index(app_clients: AppClientFactory) -> None:
    """Check that following rel="next" from the first page reads every row once, in id DESC order,
    with Per-Page and Total on every page."""
    client = await app_clients(RECORDS, paginate=10)
    everything = sorted((r["id"] for r in RECORDS), reverse=True)
    seen: list[int] = []
    target: str | None = "/api/train_sessions"
    pages = 0
    while target:
        response = await client.get(target, headers=AUTH)
        assert response.status == 200
        assert response.headers["Per-Page"] == "10" and response.headers["Total"] == str(len(RECORDS))
        seen += [r["id"] for r in await response.json()]
        links = _links(response.headers.get("Link"))
        pages += 1
        if pages == 1:
            assert set(links) == {"last", "next"} and links["last"].endswith("page=3")
        target = links["next"].split("://", 1)[1].partition("/")[2] if "next" in links else None
        target = "/" + target if target else None
    assert seen == everything and pages == 3
    assert set(links) == {"first", "prev"}  # the last page links back only


@pytest.mark.parametrize(("page", "first_index"), [("0", 0), ("-3", 0), ("abc", 0), ("2", 10), ("2x", 10)])
async def test_page_is_read_with_to_i(app_clients: AppClientFactory, page: str, first_index: int) -> None:
    """Check that page is Kaminari's to_i, at least 1."""
    status, _, body = await _get(app_clients, f"/api/train_sessions?page={page}", paginate=10)
    everything = sorted((r["id"] for r in RECORDS), reverse=True)
    assert status == 200 and [r["id"] for r in body] == everything[first_index : first_index + 10]


async def test_past_the_last_page_is_empty_and_filters_count(app_clients: AppClientFactory) -> None:
    """Check that a page past the end is [] linking back, and Total counts the filtered rows."""
    status, headers, body = await _get(app_clients, "/api/train_sessions?page=9", paginate=10)
    assert status == 200 and body == [] and set(_links(headers["Link"])) == {"first", "prev"}
    score = RECORDS[0]["score"]
    matching = [r for r in RECORDS if r["score"] == score]
    status, headers, body = await _get(
        app_clients, f"/api/train_sessions?score_eq={score}&page=1", paginate=10
    )
    assert headers["Total"] == str(len(matching)) and len(body) == min(10, len(matching))
    for url in _links(headers.get("Link")).values():
        assert f"score_eq={score}" in url and url.count("page=") == 1


async def test_page_is_not_an_ignored_key_when_paginating(app_clients: AppClientFactory) -> None:
    """Check that strict mode refuses page=2 without pagination and accepts it with."""
    status, _, _ = await _get(app_clients, "/api/train_sessions?page=2", strict=True)
    assert status == 400
    status, _, body = await _get(app_clients, "/api/train_sessions?page=2", strict=True, paginate=10)
    assert status == 200 and len(body) == 10


def test_paginate_zero_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """Check that --paginate 0 is one error line naming the flag, exit 2."""
    from mockserver.cli import main

    assert main(["serve", "--paginate", "0", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mockserver: error: --paginate 0") and err.count("\n") == 1
