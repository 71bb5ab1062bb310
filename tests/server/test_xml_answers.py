"""XML answers of the 2015-08 revision through the app: negotiation, headers, pagination, and
the 2015-02 revision answering JSON whatever the format."""

from __future__ import annotations

import json

import pytest

from mockserver.engine import xml
from mockserver.generate import generate_records
from mockserver.server.rendering import etag_of
from mockserver.stacks import BUILTIN_TO_XML, STACKS, Quirk, stack_named

from ..conftest import AppClientFactory

RECORDS = generate_records(16, 23)
AUTH = {"Authorization": 'Token token="dev-token"'}
XML = "application/xml; charset=utf-8"


@pytest.mark.parametrize(
    ("target", "accept"),
    [
        ("/api/train_sessions.xml", None),
        ("/api/train_sessions?format=xml", "application/json"),
        ("/api/train_sessions", "application/xml"),
        ("/api/train_sessions", "text/*"),
        ("/api/train_sessions.xml?format=json", None),
    ],
)
async def test_xml_requests_get_to_xml(
    app_clients: AppClientFactory, target: str, accept: str | None
) -> None:
    """Check that each way Rails resolves to XML answers the to_xml of every served record."""
    client = await app_clients(RECORDS)
    headers = AUTH | ({"Accept": accept} if accept else {})
    response = await client.get(target, headers=headers)
    body = await response.read()
    assert response.status == 200 and response.headers["Content-Type"] == XML
    ordered = sorted(RECORDS, key=lambda r: -r["id"])
    assert body == xml.array_document(xml.element(r, 1) for r in ordered)


@pytest.mark.parametrize(
    ("accept", "vary"),
    [("application/xml", "Accept, X-Requested-With"), (None, None)],
)
async def test_etag_304_head_and_vary(
    app_clients: AppClientFactory, accept: str | None, vary: str | None
) -> None:
    """Check ETag and If-None-Match (304), HEAD's headers without a body, and Vary only when the
    format came from Accept."""
    client = await app_clients(RECORDS)
    target = "/api/train_sessions/3" if accept else "/api/train_sessions/3.xml"
    headers = AUTH | ({"Accept": accept} if accept else {})
    first = await client.get(target, headers=headers)
    body = await first.read()
    assert body == xml.record_document(next(r for r in RECORDS if r["id"] == 3))
    assert first.headers.get("Vary") == vary
    etag = first.headers["ETag"]
    again = await client.get(target, headers=headers | {"If-None-Match": etag})
    assert again.status == 304 and await again.read() == b""
    head = await client.head(target, headers=headers)
    assert head.status == 200 and head.headers["Content-Type"] == XML and head.headers["ETag"] == etag
    json_answer = await client.get("/api/train_sessions/3.json", headers=headers)
    assert json_answer.headers["ETag"] != etag  # another body, another digest


async def test_missing_show_and_empty_index(app_clients: AppClientFactory) -> None:
    """Check a missing id's XML 404 body and an empty result's nil-classes root."""
    client = await app_clients(RECORDS)
    missing = await client.get("/api/train_sessions/99999.xml", headers=AUTH)
    assert missing.status == 404 and "<error>Not Found</error>" in await missing.text()
    empty = await client.get("/api/train_sessions.xml?id_eq=0", headers=AUTH)
    assert await empty.read() == xml.EMPTY_ARRAY


async def test_pagination_headers_as_for_json(app_clients: AppClientFactory) -> None:
    """Check that --paginate pages the XML index with the same Link, Per-Page and Total as JSON."""
    client = await app_clients(RECORDS, paginate=10)
    as_xml = await client.get("/api/train_sessions.xml?page=2", headers=AUTH)
    as_json = await client.get("/api/train_sessions.json?page=2", headers=AUTH)
    ids = [r["id"] for r in json.loads(await as_json.read())]
    assert len(ids) == 10
    body = await as_xml.read()
    assert body.count(b"<train-session>") == 10
    assert all(f'<id type="integer">{i}</id>'.encode() in body for i in ids)
    for name in ("Per-Page", "Total"):
        assert as_xml.headers[name] == as_json.headers[name]
    assert as_xml.headers["Link"] == as_json.headers["Link"].replace(".json", ".xml")


@pytest.mark.parametrize(
    ("target", "accept"),
    [("/api/train_sessions.xml", None), ("/api/train_sessions/3", "application/xml")],
)
async def test_2015_02_answers_json_whatever_the_format(
    app_clients: AppClientFactory, target: str, accept: str | None
) -> None:
    """Check that the seed's revision answers JSON to an XML request, as it always did."""
    client = await app_clients(RECORDS, api_revision="2015-02")
    response = await client.get(target, headers=AUTH | ({"Accept": accept} if accept else {}))
    assert response.status == 200 and response.headers["Content-Type"] == "application/json; charset=utf-8"
    json.loads(await response.read())


async def test_memo_keeps_formats_apart(app_clients: AppClientFactory) -> None:
    """Check that a remembered JSON answer is never served to the XML request of the same URL."""
    client = await app_clients(RECORDS)
    for accept, kind in [("application/json", "json"), ("application/xml", "xml")] * 2:
        response = await client.get("/api/train_sessions?id_lt=5", headers=AUTH | {"Accept": accept})
        assert response.headers["Content-Type"].startswith(f"application/{kind}")


@pytest.mark.parametrize("stack", [s.name for s in STACKS])
async def test_every_generation_writes_the_same_xml(app_clients: AppClientFactory, stack: str) -> None:
    """Check stacks.TO_XML_SAME: the body is the same bytes under every generation (Rails 4.2's
    built-in to_xml and the gem); only the ETag digest follows the generation's Rack."""
    client = await app_clients(RECORDS, stack=stack_named(stack))
    response = await client.get("/api/train_sessions.xml?id_lt=9", headers=AUTH)
    body = await response.read()
    ordered = sorted((r for r in RECORDS if r["id"] < 9), key=lambda r: -r["id"])
    assert body == xml.array_document(xml.element(r, 1) for r in ordered)
    md5 = stack_named(stack).has(Quirk.MD5_ETAG)
    assert response.headers["ETag"] == etag_of(body, stack_named(stack))
    assert md5 == ("rails4.2" in stack)  # Rack 1.6's MD5 digest there
    assert (stack_named(stack).to_xml == BUILTIN_TO_XML) == (stack == "rails4.2-ransack1.7")


async def test_memo_keeps_xhr_apart(app_clients: AppClientFactory) -> None:
    """Check that an XHR's XML answer for a browser-like Accept is not served to a plain request
    (Rails reads that Accept only for an XHR; measured on the stand-in)."""
    client = await app_clients(RECORDS)
    accept = AUTH | {"Accept": "application/xml, */*"}
    for xhr, kind in [(True, "xml"), (False, "json")] * 2:
        headers = accept | ({"X-Requested-With": "XMLHttpRequest"} if xhr else {})
        response = await client.get("/api/train_sessions?id_lt=5", headers=headers)
        assert response.headers["Content-Type"].startswith(f"application/{kind}")


async def test_repeated_accept_headers_are_joined_not_memoised(app_clients: AppClientFactory) -> None:
    """Check that two Accept headers are read joined (as Rack does), whatever was answered before
    to a request with only the first of them."""
    from multidict import CIMultiDict

    client = await app_clients(RECORDS)
    for _ in range(2):
        single = await client.get("/api/train_sessions?id_lt=5", headers=AUTH | {"Accept": "text/html"})
        assert single.headers["Content-Type"].startswith("application/json")
        both = CIMultiDict(AUTH)
        both.add("Accept", "text/html")
        both.add("Accept", "application/xml")
        joined = await client.get("/api/train_sessions?id_lt=5", headers=both)
        assert joined.headers["Content-Type"].startswith("application/xml")


@pytest.mark.parametrize("revision", ["2015-08", "2015-02"])
@pytest.mark.parametrize(
    ("method", "target", "accept", "media"),
    [
        ("POST", "/api/train_sessions.xml", "application/json", "application/json"),
        ("DELETE", "/api/train_sessions/3.xml", "application/json", "application/json"),
        ("PUT", "/api/train_sessions.xml", "*/*", "text/html"),
        ("PATCH", "/api/train_sessions.json", "application/xml", "application/xml"),
        ("POST", "/api/train_sessions.xml?format=json", "application/xml", "application/json"),
        # three segments: /3/4 is the 2015-08 course player's route (tests/server/test_player.py)
        ("GET", "/api/train_sessions/3/4/5.xml", "application/json", "application/json"),
    ],
)
async def test_no_route_takes_its_format_from_accept_not_the_suffix(
    app_clients: AppClientFactory, revision: str, method: str, target: str, accept: str, media: str
) -> None:
    """Check that a method no route has reads no path format: ?format=, else Accept, decides the
    404's format (measured on the stand-in in both modes)."""
    client = await app_clients(RECORDS, api_revision=revision)
    response = await client.request(method, target, headers=AUTH | {"Accept": accept})
    assert response.status == 404
    assert response.headers["Content-Type"] == f"{media}; charset=UTF-8"
