"""Raw non-ASCII request targets (what curl sends for ``?full_name_cont=Côté``), byte for byte
over a socket, and the parser's smuggling checks that must still hold for them."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from mockserver.pytest_plugin import TrainSessionsAPI, start_train_sessions_api
from mockserver.server.limits import _HeaderDeadlineHandler
from mockserver.server.rawtarget import RawTargetHandler, raw_request_line

NAMES = ["Zoë Côté", "Élise Côté", "Marc Cote", "Ana Lúcia"]


@pytest.fixture(scope="module")
def api() -> Iterator[TrainSessionsAPI]:
    from mockserver.templates import template

    records = [{**template(i), "id": i + 1, "full_name": name} for i, name in enumerate(NAMES)]
    server = start_train_sessions_api(records=records, tokens={"t": None})
    yield server
    server.stop()


def _send(api: TrainSessionsAPI, request: bytes) -> tuple[int, bytes, bytes]:
    """Send ``request`` on a fresh connection; (status, head, body) of the first answer."""
    port = int(api.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), head, body


def _get(target: bytes, *extra: bytes) -> bytes:
    lines = [b"GET " + target + b" HTTP/1.1", b"Host: 127.0.0.1", b'Authorization: Token token="t"', *extra]
    return b"\r\n".join([*lines, b"Connection: close", b"", b""])


@pytest.mark.parametrize("needle", ["Côté", "côté", "ú"])
def test_a_raw_utf8_query_answers_as_its_percent_encoded_form(api: TrainSessionsAPI, needle: str) -> None:
    """Check that raw UTF-8 bytes in the query get the answer of their percent-encoded spelling."""
    raw = _send(api, _get(b"/api/train_sessions?full_name_cont=" + needle.encode()))
    encoded = _send(api, _get(b"/api/train_sessions?full_name_cont=" + quote(needle).encode()))
    assert raw[0] == encoded[0] == 200
    assert raw[2] == encoded[2]
    expected = [n for n in NAMES if needle.lower() in n.lower()]
    assert expected and all(name.encode() in raw[2] for name in expected)


def test_raw_invalid_utf8_is_rails_400(api: TrainSessionsAPI) -> None:
    """Check that a raw byte that is not UTF-8 reaches Rails' own 400, not the parser's."""
    status, head, _ = _send(api, _get(b"/api/train_sessions?full_name_cont=\xff"))
    assert status == 400 and b"X-Request-Id" in head  # rendered by the app, as Rails does


@pytest.mark.parametrize(
    "request_bytes",
    [
        # a control character in the target
        _get(b"/api/train_sessions?full_name_cont=C\xc3\xb4t\xc3\xa9\x01"),
        # Content-Length and Transfer-Encoding together (request smuggling)
        _get(b"/api/train_sessions?q=\xc3\xa9", b"Content-Length: 5", b"Transfer-Encoding: chunked"),
        # two Content-Length values
        _get(b"/api/train_sessions?q=\xc3\xa9", b"Content-Length: 0", b"Content-Length: 7"),
        # a header line folded onto the next (obs-fold)
        _get(b"/api/train_sessions?q=\xc3\xa9", b"X-A: 1", b" folded"),
        # a NUL in a header value
        _get(b"/api/train_sessions?q=\xc3\xa9", b"X-A: a\x00b"),
    ],
    ids=["ctl-in-target", "cl-and-te", "two-cl", "obs-fold", "nul-header"],
)
def test_a_raw_target_keeps_the_parser_checks(api: TrainSessionsAPI, request_bytes: bytes) -> None:
    """Check that the parser taking raw targets still refuses what could smuggle a request."""
    status, head, _ = _send(api, request_bytes)
    assert status == 400 and b"X-Request-Id" not in head  # the HTTP parser's refusal


def test_first_line_test_and_serve_handler() -> None:
    """Check which first bytes switch parsers, and that serve's protocol takes raw targets."""
    assert raw_request_line(b"GET /?a=\xc3\xa9 HTTP/1.1\r\nHost: x\r\n")
    assert not raw_request_line(b"GET /?a=%C3%A9 HTTP/1.1\r\nX-Name: \xc3\xa9\r\n")
    assert issubclass(_HeaderDeadlineHandler, RawTargetHandler)
