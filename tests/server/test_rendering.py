"""Error formats, 406, conditional GET and Rails' headers, in-process.

Every expected value here was read from the Rails 6.1 stand-in (``../shared/tools/rails-standin``)
with ``curl -si``: the bodies, content types (errors say ``charset=UTF-8``, rendered answers
``charset=utf-8``), the failsafe page and the header set.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import orjson
import pytest
from yarl import URL

from mockserver.errors import UsageError
from mockserver.generate import generate_records
from mockserver.server.rendering import MAX_PAGE, PublicPages

RECORDS = generate_records(5, 30)
AUTH = {"Authorization": 'Token token="dev-token"'}
JSON_ERROR = "application/json; charset=UTF-8"
HTML_ERROR = "text/html; charset=UTF-8"
XML_404 = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<hash>\n  <status type="integer">404</status>\n'
    b"  <error>Not Found</error>\n</hash>\n"
)
RAILS_404_TITLE = b"<title>The page you were looking for doesn't exist (404)</title>"
SECURITY = {
    "X-Frame-Options": "SAMEORIGIN",
    "X-XSS-Protection": "1; mode=block",
    "X-Content-Type-Options": "nosniff",
    "X-Download-Options": "noopen",
    "X-Permitted-Cross-Domain-Policies": "none",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
MISSING = "/api/train_sessions/999999"


@pytest.fixture
def make_client(app_clients):
    def make(**overrides: object):
        return app_clients(RECORDS, **overrides)

    return make


@pytest.mark.parametrize(
    ("target", "accept", "content_type", "body"),
    [
        (MISSING, "application/json", JSON_ERROR, b'{"status":404,"error":"Not Found"}'),
        (MISSING + "?format=json", "text/html", JSON_ERROR, b'{"status":404,"error":"Not Found"}'),
        (MISSING + ".json?format=xml", "application/json", JSON_ERROR, b'{"status":404,"error":"Not Found"}'),
        (MISSING, "text/x-json", JSON_ERROR, b'{"status":404,"error":"Not Found"}'),
        (MISSING + ".xml", "application/json", "application/xml; charset=UTF-8", XML_404),
        (MISSING, "text/xml", "application/xml; charset=UTF-8", XML_404),
        (MISSING + ".yaml", "application/json", "application/x-yaml; charset=UTF-8", None),
        (MISSING, "text/html;q=0.9, application/json", JSON_ERROR, b'{"status":404,"error":"Not Found"}'),
    ],
)
async def test_error_body_follows_the_request_format(
    make_client, target: str, accept: str, content_type: str, body: bytes | None
) -> None:
    """Check the path suffix, then ?format=, then Accept pick JSON, XML or YAML error bodies."""
    client = await make_client()
    response = await client.get(URL(target, encoded=True), headers={**AUTH, "Accept": accept})
    assert response.status == 404
    assert response.headers["Content-Type"] == content_type
    expected = body if body is not None else b"---\n:status: 404\n:error: Not Found\n"
    assert await response.read() == expected


@pytest.mark.parametrize(
    ("target", "accept"),
    [
        (MISSING, "*/*"),
        (MISSING, None),
        (MISSING, "application/json, text/plain, */*"),  # axios: browser-like, not JSON
        (MISSING, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        (MISSING, "application/vnd.api+json"),
        (MISSING + ".csv", "application/json"),
        (MISSING + ".JSON", "application/json"),
        (MISSING + "?format=", "application/json"),
        ("/api/nothing", "foo"),  # no controller: the bad Accept is not read, the page is
    ],
)
async def test_other_formats_get_the_public_page(make_client, target: str, accept: str | None) -> None:
    """Check any other format gets a new Rails 6.1 app's public/404.html as text/html."""
    client = await make_client()
    headers = {**AUTH, **({"Accept": accept} if accept is not None else {})}
    if accept is None:
        headers["Accept"] = ""  # aiohttp's default */* would otherwise be sent
    response = await client.get(URL(target, encoded=True), headers=headers)
    assert response.status == 404
    assert response.headers["Content-Type"] == HTML_ERROR
    page = await response.read()
    assert RAILS_404_TITLE in page
    assert hashlib.sha256(page).hexdigest().startswith("41e6541b07f9c3b3")  # railties 6.1.7.10's file


async def test_statuses_without_a_page_are_empty_html(make_client) -> None:
    """Check a 400 for */* is an empty text/html (a new app has no 400.html), a 500 gets 500.html."""
    client = await make_client()
    bad = await client.get(URL("/api/train_sessions?x=%ZZ", encoded=True), headers={"Accept": "*/*"})
    assert (bad.status, bad.headers["Content-Type"], await bad.read()) == (400, HTML_ERROR, b"")
    crash = await client.get("/api/train_sessions?score_eq[]=1", headers={**AUTH, "Accept": "*/*"})
    assert crash.status == 500 and crash.headers["Content-Type"] == HTML_ERROR
    assert b"We're sorry, but something went wrong." in await crash.read()


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [("application/json", JSON_ERROR), ("*/*", HTML_ERROR), (None, "application/xml; charset=UTF-8")],
)
async def test_unreadable_query_falls_back_to_accept(
    make_client, accept: str | None, content_type: str
) -> None:
    """Check a 400 from an unreadable query ignores .xml's format param: Accept, then the path."""
    client = await make_client()
    headers = {"Accept": accept if accept is not None else ""}
    response = await client.get(URL("/api/train_sessions.xml?x=%ZZ", encoded=True), headers=headers)
    assert (response.status, response.headers["Content-Type"]) == (400, content_type)


async def test_public_dir_serves_a_teams_pages(make_client, tmp_path: Path) -> None:
    """Check --public-dir pages replace the defaults, and a status without a page is empty."""
    (tmp_path / "404.html").write_bytes(b"<p>our 404</p>")
    client = await make_client(public_dir=tmp_path)
    missing = await client.get(MISSING, headers={**AUTH, "Accept": "*/*"})
    assert await missing.read() == b"<p>our 404</p>"
    crash = await client.get("/api/train_sessions?score_eq[]=1", headers={**AUTH, "Accept": "*/*"})
    assert (crash.status, await crash.read()) == (500, b"")


def test_public_dir_reads_regular_files_with_ascii_digit_names(tmp_path: Path) -> None:
    """Check that only <ASCII digits>.html regular files are pages: '².html' (isdigit() is
    True) and other names are not statuses and are left alone."""
    (tmp_path / "422.html").write_bytes(b"<p>422</p>")
    for name in ("\u00b2.html", "\u0664\u0660\u0664.html", "index.html", "4o4.html"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "\u00b2\u00b2.html").mkdir()
    assert PublicPages(tmp_path).pages == {422: b"<p>422</p>"}


@pytest.mark.parametrize("kind", ["directory", "fifo", "too-large", "socket-link"])
def test_public_dir_refuses_pages_that_are_not_small_regular_files(kind: str, tmp_path: Path) -> None:
    """Check that a directory, a FIFO (which would block start-up) or a page over 1 MiB named
    like a status is a usage error naming each, read without blocking."""
    import os
    import socket

    page = tmp_path / "404.html"
    if kind == "directory":
        page.mkdir()
    elif kind == "fifo":
        os.mkfifo(page)
    elif kind == "too-large":
        page.write_bytes(b"x" * (MAX_PAGE + 1))
    else:  # a symlink to a socket: stat follows the link
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(tmp_path / "s"))
            page.symlink_to(tmp_path / "s")
    (tmp_path / "500.html").mkdir()
    with pytest.raises(UsageError) as caught:
        PublicPages(tmp_path)
    message = str(caught.value)
    expected = {
        "directory": "a directory",
        "fifo": "a FIFO",
        "too-large": f"larger than {MAX_PAGE} bytes",
        "socket-link": "a socket",
    }[kind]
    assert "404.html: " in message and expected in message and "500.html: not a regular file" in message
    assert "\n" not in message


@pytest.mark.process
def test_serve_with_a_fifo_page_exits_2_at_once(tmp_path: Path) -> None:
    """Check the CLI end to end: a FIFO named 404.html is one error line and exit 2 (it hung)."""
    import os
    import subprocess
    import sys

    os.mkfifo(tmp_path / "404.html")
    command = [sys.executable, "-m", "mockserver", "serve", "--port", "0", "--public-dir", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("mockserver: error: --public-dir")


@pytest.mark.parametrize("accept", ["foo", "json", "application/json ; charset=utf-8"])
@pytest.mark.parametrize(
    "target", ["/api/train_sessions", "/api/train_sessions/1", MISSING, "/api/train_sessions?score_eq[]=1"]
)
async def test_unparseable_accept_is_406_before_auth(make_client, accept: str, target: str) -> None:
    """Check an Accept Mime::Type cannot parse is an empty text/html 406, with or without a token."""
    client = await make_client()
    for headers in (AUTH, {}):
        response = await client.get(target, headers={**headers, "Accept": accept})
        assert (response.status, response.headers["Content-Type"]) == (406, HTML_ERROR)
        assert await response.read() == b""
    remembered = await client.get("/api/train_sessions", headers={**AUTH, "Accept": "application/json"})
    assert remembered.status == 200
    again = await client.get("/api/train_sessions", headers={**AUTH, "Accept": accept})
    assert again.status == 406  # a remembered 200 does not skip the check


async def test_bad_accept_loses_to_route_query_and_format(make_client) -> None:
    """Check no route (404), a bad query (400) and a format parameter come before the 406."""
    client = await make_client()
    foo = {**AUTH, "Accept": "foo"}
    assert (await client.get("/api/nothing", headers=foo)).status == 404
    bad = await client.get(URL("/api/train_sessions?x=%ZZ", encoded=True), headers=foo)
    assert (bad.status, bad.headers["Content-Type"]) == (400, HTML_ERROR)
    assert (await client.get("/api/train_sessions.json", headers=foo)).status == 200
    assert (await client.get("/api/train_sessions?format=json", headers=foo)).status == 200
    xml = await client.get(MISSING + ".xml", headers=foo)
    assert xml.headers["Content-Type"] == "application/xml; charset=UTF-8"


async def test_rendered_answers_carry_rails_headers(make_client) -> None:
    """Check a 200's ETag (Rack 2.2: W/ + SHA-256[:32]), Cache-Control, Vary and security headers."""
    client = await make_client()
    response = await client.get("/api/train_sessions/1", headers={**AUTH, "Accept": "application/json"})
    body = await response.read()
    assert response.headers["ETag"] == f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'
    assert response.headers["Cache-Control"] == "max-age=0, private, must-revalidate"
    assert response.headers["Vary"] == "Accept, X-Requested-With"
    assert {k: response.headers[k] for k in SECURITY} == SECURITY
    assert re.fullmatch(r"\d+\.\d{6}", response.headers["X-Runtime"])
    suffixed = await client.get("/api/train_sessions/1.json", headers=AUTH)
    assert "Vary" not in suffixed.headers  # the format came from a parameter
    xhr = await client.get(
        "/api/train_sessions/1", headers={**AUTH, "Accept": "", "X-Requested-With": "XMLHttpRequest"}
    )
    assert xhr.headers["Vary"] == "Accept, Content-Type, X-Requested-With"
    denied = await client.get("/api/train_sessions/1")
    assert denied.headers["Cache-Control"] == "no-cache" and "ETag" not in denied.headers
    assert denied.headers["X-Frame-Options"] == "SAMEORIGIN"


async def test_error_pages_lack_controller_headers(make_client) -> None:
    """Check an error page has X-Request-Id and X-Runtime but no security, cache or Vary header."""
    client = await make_client()
    response = await client.get(MISSING, headers={**AUTH, "Accept": "application/json"})
    assert "X-Request-Id" in response.headers and "X-Runtime" in response.headers
    assert not {"X-Frame-Options", "Cache-Control", "Vary", "ETag"} & set(response.headers)


async def test_if_none_match_answers_304(make_client) -> None:
    """Check Rack::ConditionalGet: an exactly equal If-None-Match is a bodiless 304, else a 200."""
    client = await make_client()
    for target in ("/api/train_sessions", "/api/train_sessions/1"):
        first = await client.get(target, headers=AUTH)
        etag = first.headers["ETag"]
        again = await client.get(target, headers={**AUTH, "If-None-Match": etag})
        assert again.status == 304 and await again.read() == b""
        assert again.headers["ETag"] == etag and "Content-Type" not in again.headers
        assert again.headers["Cache-Control"] == "max-age=0, private, must-revalidate"
        head = await client.head(target, headers={**AUTH, "If-None-Match": etag})
        assert head.status == 304
        for other in (etag.removeprefix("W/"), f'"x", {etag}', "*"):  # measured: all 200
            assert (await client.get(target, headers={**AUTH, "If-None-Match": other})).status == 200


@pytest.mark.parametrize(
    ("sent", "echoed"),
    [("abc-123_x", "abc-123_x"), ("ab c!@#$%^&*()", "abc@"), ("a" * 300, "a" * 255)],
)
async def test_request_id_is_echoed_sanitised(make_client, sent: str, echoed: str) -> None:
    """Check ActionDispatch::RequestId keeps [\\w-@] of an incoming id, at most 255 characters."""
    client = await make_client()
    response = await client.get("/api/train_sessions/1", headers={**AUTH, "X-Request-Id": sent})
    assert response.headers["X-Request-Id"] == echoed


async def test_request_id_is_a_new_uuid_by_default(make_client) -> None:
    """Check each request without an id gets a fresh UUID."""
    client = await make_client()
    ids = {
        (await client.get("/api/train_sessions/1", headers=AUTH)).headers["X-Request-Id"] for _ in range(3)
    }
    assert len(ids) == 3
    assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", i) for i in ids)


@pytest.mark.parametrize("query", ["a" + "[b]" * 100 + "=1", "&" * 4096 + "a=1"])
@pytest.mark.parametrize("accept", ["application/json", "application/xml", "*/*"])
async def test_rack_query_limits_end_in_the_failsafe_500(make_client, query: str, accept: str) -> None:
    """Check Rack's depth and parameter-count limits give Rails' failsafe text/plain 500, any format."""
    client = await make_client()
    response = await client.get(URL("/api/train_sessions?" + query, encoded=True), headers={"Accept": accept})
    assert (response.status, response.headers["Content-Type"]) == (500, "text/plain")
    assert await response.read() == (
        b"500 Internal Server Error\nIf you are the administrator of this website, then please read "
        b"this web application's log file and/or the web server's log file to find out what went wrong."
    )
    ok = await client.get(URL("/api/train_sessions?" + "&" * 4095 + "a=1", encoded=True), headers=AUTH)
    assert ok.status == 200


async def test_control_api_stays_json(make_client) -> None:
    """Check the control API answers JSON whatever the Accept header, with the one JSON type."""
    client = await make_client()
    response = await client.get("/__mockserver/nothing", headers={"Accept": "text/html"})
    assert response.status == 404
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert orjson.loads(await response.read())["status"] == 404
