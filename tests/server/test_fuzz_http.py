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
from xml.etree import ElementTree

import pytest
from aiohttp import web
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from mockserver.dataset import validate_records
from mockserver.server.app import create_app
from mockserver.server.store import Store
from mockserver.settings import Settings

from ..golden import fixtures
from .fuzz_strategies import (
    FILTER_NAMES,
    INDEX,
    encoded,
    good_auth,
    headers,
    methods,
    paths,
    queries,
    query_params,
    values,
)

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
@pytest.mark.slow
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
