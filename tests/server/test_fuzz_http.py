"""Fuzz the HTTP surface with raw requests: whatever arrives, the answer is clean and prompt.

The mock runs in process (an aiohttp runner on a thread with its own loop) and requests are
written as raw bytes on a socket, so invalid percent-encoding, invalid UTF-8, broken headers
and malformed request lines reach the server exactly as drawn. For every answer:

* it comes within the timeout (no hang), with a status in {200, 400, 401, 404, 500};
* no traceback in it; a 200 is JSON, or well-formed XML for an XML request (the 2015-08
  revision); every JSON error body is exactly ``{"status": N, "error": reason}``
  (strict mode may add ``"problems"``);
* a 500 is one of the deliberate Rails-faithful ones (its ``X-Mockserver-Error`` header says
  which rule); the mock's own bug ("unexpected error in the mock") is a failure, and nothing is
  logged on the ``mockserver.error`` logger.

aiohttp rejects some malformed request lines itself with a plain-text 400, which is accepted.
The control API (``/__mockserver/``) is not the live API's surface and is left out.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import quote, quote_plus
from xml.etree import ElementTree

import pytest
from aiohttp import web
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from mockserver.dataset import validate_records
from mockserver.model import FILTERS
from mockserver.server.app import create_app
from mockserver.server.store import Store
from mockserver.settings import Settings

from ..golden import fixtures

INDEX = "/api/train_sessions"
TOKENS = {"tok": None, "acct-tok": "other"}
ALLOWED = {200, 304, 400, 401, 404, 406, 500}  # 304: If-None-Match; 406: an unparseable Accept
TIMEOUT = 10.0
LINE_LIMIT = 8190  # aiohttp's max_line_size: longer request lines are refused
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --- the server ----------------------------------------------------------------------------------


class _BugLog(logging.Handler):
    """Collects what the mock logs as its own bugs."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(self.format(record))


@dataclass
class Servers:
    ports: dict[str, int]  # "lenient" / "strict" -> port
    bugs: _BugLog


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    """The mock over the golden fixtures, lenient and strict, on a thread with its own loop."""
    store = Store(validate_records(fixtures(), "golden fixtures"))
    loop = asyncio.new_event_loop()
    runners: list[web.AppRunner] = []
    ports: dict[str, int] = {}

    async def start() -> None:
        for name, strict in (("lenient", False), ("strict", True)):
            settings_ = Settings(tokens=TOKENS, strict=strict, access_log=False)
            runner = web.AppRunner(create_app(settings_, store), access_log=None, handler_cancellation=False)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            runners.append(runner)
            server = site._server
            assert isinstance(server, asyncio.Server)
            ports[name] = server.sockets[0].getsockname()[1]

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(30)
    bugs = _BugLog()
    error_log = logging.getLogger("mockserver.error")
    error_log.addHandler(bugs)
    try:
        yield Servers(ports, bugs)
    finally:
        error_log.removeHandler(bugs)

        async def stop() -> None:
            for runner in runners:
                await runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


# --- raw HTTP ----------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def exchange(port: int, request: bytes) -> Answer | None:
    """Send ``request`` (which asks for Connection: close) and read the whole answer.

    None when the server dropped the connection without an answer (aiohttp does that to a
    request line far over its limit while it is still being sent).
    """
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        chunks = []
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)  # on failure it may still have answered: read what is there
        try:
            while chunk := sock.recv(65536):  # socket.timeout here is a hang: the test fails
                chunks.append(chunk)
        except ConnectionResetError:
            if not chunks:
                return None
    data = b"".join(chunks)
    head, sep, body = data.partition(b"\r\n\r\n")
    assert sep, f"no complete answer: {data[:300]!r}"
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(int(status_line.split()[1]), headers, body)


def check(answer: Answer | None, servers: Servers, method: bytes = b"GET", request: bytes = b"") -> None:
    """The properties every answer must have (see the module docstring)."""
    if answer is None:  # dropped unanswered: only for requests over aiohttp's 8 KB line limit
        assert len(request) > LINE_LIMIT, "connection dropped without an answer"
        if currently_in_test_context():
            event("dropped unanswered")
        return
    if currently_in_test_context():
        note(f"answer: {answer.status} {answer.headers} {answer.body[:300]!r}")
        event(f"status {answer.status} {answer.headers.get('x-mockserver-error', '')[:40]}")
    assert answer.status in ALLOWED, answer
    assert b"Traceback" not in answer.body and b'File "' not in answer.body
    bugs = list(servers.bugs.messages)
    servers.bugs.messages.clear()
    assert bugs == [], bugs[-1]
    is_json = answer.headers.get("content-type", "").startswith("application/json")
    if "content-length" in answer.headers and method != b"HEAD":
        if not is_json and answer.status == 400 and len(request) > LINE_LIMIT:
            # aiohttp's own refusal of a request it could not parse echoes the request line and
            # closes while the client is still sending: the reset may cut the echo short
            assert len(answer.body) <= int(answer.headers["content-length"])
        else:
            assert len(answer.body) == int(answer.headers["content-length"])
    if (
        answer.headers.get("content-type") == "text/html; charset=utf-8"
        and "content-security-policy" in answer.headers
    ):
        # the 2015-08 course player's own page (401 Authentication error, 404, or the player)
        assert (
            answer.status in (200, 401, 404)
            and "frame-ancestors" in answer.headers["content-security-policy"]
        )
        return
    if answer.status == 200:
        is_xml = answer.headers.get("content-type") == "application/xml; charset=utf-8"
        assert is_json or is_xml, answer  # XML: the 2015-08 revision's to_xml
        if method != b"HEAD":
            json.loads(answer.body) if is_json else ElementTree.fromstring(answer.body)
        return
    reason = answer.headers.get("x-mockserver-error", "")
    assert "unexpected error in the mock" not in reason, reason
    if answer.status == 401:
        assert answer.body == (b"" if method == b"HEAD" else b"HTTP Token: Access denied.\n")
        assert answer.headers["www-authenticate"] == 'Token realm="Application"'
        return
    if not is_json and reason:  # a Rails error in the request's format (server/rendering)
        media = answer.headers.get("content-type", "").split(";")[0]
        assert media in ("text/html", "application/xml", "application/x-yaml", "text/plain"), answer
        return
    if not is_json:  # aiohttp's own answer to a request line or header it cannot parse
        assert answer.status == 400, answer
        return
    if answer.status == 500:
        assert reason, "a deliberate 500 names its rule in X-Mockserver-Error"
    if method == b"HEAD":
        return
    body = json.loads(answer.body)
    expected = {"status": answer.status, "error": HTTPStatus(answer.status).phrase}
    if "problems" in body:
        assert isinstance(body.pop("problems"), list)
    assert body == expected


def request_bytes(
    method: bytes, target: bytes, headers: list[tuple[bytes, bytes]], version: bytes = b"HTTP/1.1"
) -> bytes:
    lines = [method + b" " + target + b" " + version, b"Host: 127.0.0.1"]
    lines += [name + b": " + value for name, value in headers]
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


# --- strategies -------------------------------------------------------------------------------

FILTER_NAMES = [f.name for f in FILTERS]
OTHER_KEYS = [
    "s",
    "sorts",
    "m",
    "g",
    "c",
    "q",
    "page",
    "per_page",
    "format",
    "controller",
    "action",
    "token",
    "id",
    "id_eq",
    "id_in",
    "score_in",
    "score_not_eq",
    "score_eq_any",
    "score_gt",
    "score_lteq",
    "score_null",
    "score_present",
    "score_cont",
    "score_start",
    "full_name_start",
    "full_name_eq",
    "full_name_in",
    "full_name_matches",
    "status_eq",
    "status_cont",
    "time_spent_eq",
    "time_spent_gt",
    "course_name_cont",
    "course_code_eq",
    "account_eq",
    "completion_date_eq",
    "completion_date_gt",
    "completion_date_null",
    "cert_expiry_present",
    "last_attempt_eq",
    "assignee_login_username_cont",
    "distinct",
    "combinator",
    "score_or_id_eq",
    "full_name_or_course_code_cont",
    "full_name_and_status_cont",
    "utf8",
    "_method",
]
BRACKETS = [
    "",
    "",
    "",
    "[]",
    "[x]",
    "[0]",
    "[]",
    "[][a]",
    "[a][b][c]",
    "[0][score_eq]",
    "[0][a][]",
    "[",
    "]",
    "[[",
    "]]",
    "[x",
    "[]]",
    "[][]",
]
SPECIAL_VALUES = [
    "",
    " ",
    "  ",
    "\t",
    "\n",
    "true",
    "false",
    "null",
    "nil",
    "[]",
    "{}",
    "0",
    "-0",
    "+1",
    "1e5",
    "1.5e3",
    "0x10",
    "0b1",
    "1_000",
    "80.9",
    "99999999999999999999",
    "-99999999999999999999",
    "2147483648",
    "٣",
    "３",
    "Ⅻ",
    "2015-01-05",
    "2015-13-45",
    "0000-01-01",
    "-0001-01-01",
    "Jan 5 2015",
    "5 Jan 2015",
    "2015/01/05",
    "20150105",
    "5.1.2015",
    "H27.01.05",
    "today",
    "id asc",
    "id desc",
    "full_name desc",
    "score",
    "score asc, id desc",
    "or",
    "and",
    "OR",
    "\u0130",
    "\u03a3",
    "ß",
    "ﬁ",
    "a%b",
    "a_b",
    "a\\b",
    "a.b",
    "O'Brien",
    "\x00",
    "a\x00b",
    "\u2028",
    "<script>",
    "&amp;",
    "😀",
]
RAW_FRAGMENTS = [
    b"%",
    b"%Z",
    b"%ZZ",
    b"%FF",
    b"%C3",
    b"%C3%28",
    b"%E2%82",
    b"%00",
    b"%2",
    b"\xff",
    b"\xc3\x28",
    b"\xe2\x82",
    b"\xc3\xa9",
    b"+",
    b"&",
    b";",
    b"=",
    b"==",
    b"&&",
    b"%26",
    b"%3D",
    b"%5B",
    b"%5D",
    b"[",
    b"]",
    b"\x7f",
    b"%%",
    b"%u0041",
    b"'",
    b'"',
    b"<",
]

values = st.one_of(
    st.sampled_from(SPECIAL_VALUES),
    st.integers(-(2**70), 2**70).map(str),
    st.floats().map(repr),
    st.dates().map(lambda d: d.isoformat()),
    st.text(max_size=20),
    st.builds(lambda c, n: c * n, st.sampled_from(["a", "9", "%", " ", "é", "["]), st.integers(100, 3000)),
)


@st.composite
def encoded(draw: st.DrawFn, text: str) -> bytes:
    """``text`` percent-encoded one of several ways, or sent raw (UTF-8 bytes)."""
    how = draw(st.sampled_from(["quote", "quote_plus", "raw", "partial"]))
    if how == "quote":
        return quote(text, safe="").encode()
    if how == "quote_plus":
        return quote_plus(text).encode()
    if how == "raw":  # raw UTF-8 (non-ASCII bytes as sent by careless clients); only the
        # bytes that would end the request line are escaped, so the request reaches the mock
        raw = text.encode("utf-8", "surrogatepass")
        return b"".join(b"%%%02X" % c if c < 0x21 or c == 0x7F else bytes([c]) for c in raw)
    return quote(text, safe="[]%&=;+").encode()


@st.composite
def query_params(draw: st.DrawFn) -> bytes:
    """One ``key=value`` (or a bare key, or a raw fragment)."""
    key = draw(st.one_of(st.sampled_from(FILTER_NAMES), st.sampled_from(OTHER_KEYS), st.text(max_size=12)))
    key += draw(st.sampled_from(BRACKETS))
    shape = draw(st.sampled_from(["pair", "pair", "pair", "bare", "raw", "empty"]))
    if shape == "raw":
        return draw(st.sampled_from(RAW_FRAGMENTS))
    key_bytes = draw(encoded(key))
    if shape == "bare":
        return key_bytes
    if shape == "empty":
        return key_bytes + b"="
    value = draw(encoded(draw(values)))
    if draw(st.integers(0, 9)) == 0:  # splice a raw fragment into the value
        cut = draw(st.integers(0, len(value)))
        value = value[:cut] + draw(st.sampled_from(RAW_FRAGMENTS)) + value[cut:]
    return key_bytes + b"=" + value


queries = st.builds(
    lambda params, sep: sep.join(params),
    st.lists(query_params(), max_size=8),
    st.sampled_from([b"&", b"&", b";", b"&&"]),
)

ids = st.one_of(
    st.integers(-(2**40), 2**40).map(lambda i: str(i).encode()),
    st.sampled_from(
        [
            b"3",
            b"03",
            b"+3",
            b"3abc",
            b"3.json",
            b"3.",
            b"3.0.0",
            b"%33",
            b"3%2F4",
            b"%FF",
            b"%C3%28",
            b"%00",
            b"abc",
            b"%20",
            b"1e2",
            b"0x3",
            b"1_2",
            b"2147483647",
            b"2147483648",
            b"..",
            b".",
            b"%2E",
            b"3;x",
            b"3%",
        ]
    ),
    st.text(max_size=10).map(lambda t: quote(t, safe="").encode()),
    st.binary(max_size=8).map(lambda b: b.replace(b" ", b"%20").replace(b"?", b"").replace(b"#", b"")),
)

paths = st.one_of(
    st.just(INDEX.encode()),
    st.builds(lambda i: INDEX.encode() + b"/" + i, ids),
    st.sampled_from(
        [
            b"/",
            b"/api",
            b"/api/",
            b"/api/train_sessions/",
            b"/api/train_sessions.json",
            b"/api/train_sessions.xml",
            b"//api//train_sessions",
            b"/API/train_sessions",
            b"/api/train_sessions/3/extra",
            b"/api/train_sessions%2F3",
            b"/api/train_sessions/%2F",
            b"/api/train_sessions/3.json/x",
            b"*",
            b"/openapi.json",
            b"/favicon.ico",
        ]
    ),
    st.text(min_size=1, max_size=20).map(lambda t: b"/" + quote(t).encode()),
).filter(lambda p: b"__mockserver" not in p)

AUTH_VALUES = [
    b'Token token="tok"',
    b"Token token=tok",
    b"Token tok",
    b"Bearer tok",
    b"Token token=acct-tok",
    b"Token",
    b"Token ",
    b"Token token=",
    b'Token token="',
    b'Token token="tok',
    b"token tok",
    b"Basic dG9rOg==",
    b"Token token='tok'",
    b'Token foo="tok", token="x"',
    b"Token token=tok\xff",
    b"Token \xc3\x28",
    b'Token token="' + b"a" * 5000 + b'"',
    b"Token ,,,",
    b"Token =",
    b"Token token==tok",
]

_no_newline = lambda b: b"\r" not in b and b"\n" not in b  # noqa: E731 - a line holds one header
_printable = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
# mostly well-formed values (so requests reach the mock), some arbitrary text and bytes
header_values = st.one_of(
    st.sampled_from(AUTH_VALUES),
    st.sampled_from(AUTH_VALUES),
    _printable.map(str.encode),
    _printable.map(lambda t: b"Token " + t.encode()),
    st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")).filter(_no_newline),
    st.binary(max_size=40).filter(_no_newline),
)
header_names = st.one_of(
    st.sampled_from(
        [
            b"Authorization",
            b"authorization",
            b"Accept",
            b"Accept-Encoding",
            b"Accept-Language",
            b"Cookie",
            b"X-Forwarded-For",
            b"X-Requested-With",
            b"If-None-Match",
            b"Range",
            b"Content-Type",
            b"User-Agent",
            b"Origin",
        ]
    ),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz-_.!#$%&'*+^`|~0123456789", min_size=1, max_size=15).map(
        str.encode
    ),
)
headers = st.lists(st.tuples(header_names, header_values), max_size=3)
methods = st.sampled_from(
    [b"GET"] * 12
    + [b"HEAD", b"HEAD", b"POST", b"PUT", b"DELETE", b"OPTIONS", b"PATCH", b"TRACE", b"get", b"BREW"]
)
good_auth = st.sampled_from(
    [(b"Authorization", b'Token token="tok"'), (b"Authorization", b"Bearer acct-tok")]
)


# --- properties --------------------------------------------------------------------------------


@settings(FUZZ, max_examples=800)
@given(
    method=methods,
    path=paths,
    query=st.one_of(st.none(), queries),
    extra=headers,
    auth=st.one_of(st.none(), good_auth),
    strict=st.booleans(),
    version=st.sampled_from([b"HTTP/1.1", b"HTTP/1.1", b"HTTP/1.0"]),
)
def test_arbitrary_requests_get_clean_answers(
    servers: Servers,
    method: bytes,
    path: bytes,
    query: bytes | None,
    extra: list[tuple[bytes, bytes]],
    auth: tuple[bytes, bytes] | None,
    strict: bool,
    version: bytes,
) -> None:
    """Check that any method, path, query and headers get a prompt, clean, allowed answer."""
    target = path if query is None else path + b"?" + query
    request = request_bytes(method, target, ([auth] if auth else []) + extra, version)
    note(f"request: {request!r}")
    check(exchange(servers.ports["strict" if strict else "lenient"], request), servers, method, request)


@settings(FUZZ, max_examples=600)
@given(
    name=st.sampled_from(FILTER_NAMES),
    form=st.sampled_from(["", "[]", "[x]", "[][y]", "[0]"]),
    value=values,
    data=st.data(),
)
def test_every_filter_with_every_kind_of_value(
    servers: Servers, name: str, form: str, value: str, data: st.DataObject
) -> None:
    """Check that each documented filter, in each Rack form, with any value, answers cleanly."""
    query = data.draw(encoded(name + form)) + b"=" + data.draw(encoded(value))
    others = data.draw(st.lists(query_params(), max_size=2))
    target = b"&".join([INDEX.encode() + b"?" + query, *others])
    request = request_bytes(b"GET", target, [(b"Authorization", b"Token tok")])
    note(f"request: {request!r}")
    check(exchange(servers.ports["lenient"], request), servers, request=request)


@settings(FUZZ, max_examples=25)
@given(count=st.integers(500, 4000), param=query_params(), numbered=st.booleans())
def test_thousands_of_parameters(servers: Servers, count: int, param: bytes, numbered: bool) -> None:
    """Check that thousands of parameters (beyond aiohttp's 8 KB line limit or not) answer
    cleanly and promptly."""
    key, _, value = param[:200].partition(b"=")
    params = [key + (str(i).encode() if numbered else b"") + b"=" + value for i in range(count)]
    target = INDEX.encode() + b"?" + b"&".join(params)
    note(f"{count} params like {params[0][:100]!r}, {len(target)} bytes")
    request = request_bytes(b"GET", target, [(b"Authorization", b"Token tok")])
    check(exchange(servers.ports["lenient"], request), servers, request=request)


def test_thousands_of_parameters_within_the_line_limit(servers: Servers) -> None:
    """Check that ~2,000 short parameters, which aiohttp passes to the mock, answer 200."""
    for key in (b"x", b"score_eq", b"a[]", b"g[][score_eq]"):
        params = b"&".join(key + b"=" + str(i % 10).encode() for i in range(8000 // (len(key) + 3)))
        request = request_bytes(b"GET", INDEX.encode() + b"?" + params, [(b"Authorization", b"Token tok")])
        answer = exchange(servers.ports["lenient"], request)
        check(answer, servers, request=request)


LONG = [
    (kind, size)
    for kind in ("cont", "eq", "show", "auth")
    for size in (100, 2_000, 4_300, 7_000, 8_200, 60_000)
]


@pytest.mark.parametrize(("kind", "size"), LONG)
def test_long_values_and_headers(servers: Servers, kind: str, size: int) -> None:
    """Check that long filter values, ids and Authorization headers answer cleanly."""
    target, auth = {
        "cont": (f"{INDEX}?full_name_cont={'a' * size}".encode(), b"Token tok"),
        "eq": (f"{INDEX}?score_eq={'9' * size}".encode(), b"Token tok"),
        "show": (f"{INDEX}/{'1' * size}".encode(), b"Token tok"),
        "auth": (INDEX.encode(), b"Token token=" + b"t" * size),
    }[kind]
    request = request_bytes(b"GET", target, [(b"Authorization", auth)])
    check(exchange(servers.ports["lenient"], request), servers, request=request)


@pytest.mark.parametrize(
    "query", ["time_spent_gt=1e999999", "time_spent_eq=-1e1000000", "time_spent_lt=1E%2B1000000"]
)
def test_decimal_values_with_huge_exponents(servers: Servers, query: str) -> None:
    """Check that a decimal value too large for Python's decimal context answers cleanly."""
    request = request_bytes(b"GET", f"{INDEX}?{query}".encode(), [(b"Authorization", b"Token tok")])
    check(exchange(servers.ports["lenient"], request), servers, request=request)
