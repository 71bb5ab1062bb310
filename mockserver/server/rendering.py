"""Every body and header the server writes around an answer, in one place.

Rails renders an error through ``PublicExceptions`` in the format the request negotiated
(``engine.mime``): ``{"status":N,"error":"…"}`` for JSON, ``Hash#to_xml`` for XML,
``Hash#to_yaml`` for YAML, and for any other format the application's ``public/<status>.html``
as ``text/html`` (an empty ``text/html`` body when the app has no page for that status, e.g.
400 and 406). An exception that escapes even that (Rack's query limits) ends in Rails'
failsafe plain-text 500. Rendered answers (200, 304, 401) carry Rails 6.1's default security
headers, ``Vary`` and Rack's ``Cache-Control``; every API answer carries ``X-Request-Id`` and
``X-Runtime``. The mock's own APIs (control, ``/openapi.json``) always answer JSON.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import orjson
from aiohttp import web

from mockserver.engine import auth, mime, rack, routing
from mockserver.errors import QueryLimitError, RailsError, UsageError
from mockserver.server.memo import REQUEST_MEMO, remembered
from mockserver.stacks import DEFAULT_STACK, Quirk, Stack, portability

__all__ = [
    "JSON_TYPE",
    "PORTABILITY_HEADER",
    "XML_TYPE",
    "PublicPages",
    "decorate",
    "denied_response",
    "error_response",
    "etag_of",
    "header_safe",
    "json_response",
    "negotiation",
    "rendered_headers",
]

JSON_TYPE = "application/json; charset=utf-8"  # a rendered answer (ActionDispatch::Response)
XML_TYPE = "application/xml; charset=utf-8"  # render xml: (the 2015-08 revision's XML answers)
ERROR_CHARSET = "UTF-8"  # PublicExceptions writes the charset in upper case (measured)
ERROR_HEADER = "X-Mockserver-Error"
PORTABILITY_HEADER = "X-Mockserver-Portability"  # generations that would answer otherwise, and how
VARY_DECIDED = web.ResponseKey("vary_decided", bool)  # the handler set Vary (or none) itself
CACHE_CONTROL = "max-age=0, private, must-revalidate"  # Rack::ETag, for a 200 with a digest
NO_CACHE = "no-cache"  # Rack::ETag as Rails configures it, for any other rendered answer
SECURITY_HEADERS: Mapping[str, str] = {  # action_dispatch.default_headers, Rails 5.2-6.1
    "X-Frame-Options": "SAMEORIGIN",
    "X-XSS-Protection": "1; mode=block",
    "X-Content-Type-Options": "nosniff",
    "X-Download-Options": "noopen",
    "X-Permitted-Cross-Domain-Policies": "none",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
# Rails < 5.2 (before rails@5d7b70f4336, rails@428939be9f9): FEWER_SECURITY_HEADERS
OLD_SECURITY_HEADERS: Mapping[str, str] = {
    k: SECURITY_HEADERS[k] for k in ("X-Frame-Options", "X-XSS-Protection", "X-Content-Type-Options")
}
FAILSAFE_BODY = (
    b"500 Internal Server Error\n"
    b"If you are the administrator of this website, then please read this web application's "
    b"log file and/or the web server's log file to find out what went wrong."
)
PAGE_STATUSES = (404, 422, 500)  # the pages `rails new` puts in public/
_REQUEST_ID = re.compile(r"[^\w\-@]", re.ASCII)
_BLANK = re.compile(r"\s*\Z")


def header_safe(text: str, limit: int = 2000) -> str:
    """A header value that cannot break the response: ASCII, no control characters."""
    if text.isascii() and text.isprintable():  # the common case, without a pass per character
        return text[:limit]
    cleaned = text.encode("ascii", "backslashreplace").decode("ascii")
    cleaned = "".join(c if " " <= c <= "~" else f"\\x{ord(c):02x}" for c in cleaned)
    return cleaned[:limit]


class PublicPages:
    """The application's ``public/<status>.html`` pages, read once.

    By default the pages a freshly generated Rails 6.1 application has (``mockserver/public``);
    ``--public-dir DIR`` serves a team's own. A status without a page gets an empty body.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self.pages: dict[int, bytes] = {}
        if directory is None:
            base = resources.files("mockserver") / "public"
            for status in PAGE_STATUSES:
                self.pages[status] = (base / f"{status}.html").read_bytes()
            return
        if not directory.is_dir():
            raise UsageError(f"--public-dir {directory}: not a directory")
        problems: list[str] = []
        for page in sorted(directory.glob("*.html")):
            stem = page.name.removesuffix(".html")
            if not (stem.isascii() and stem.isdigit()):  # '²'.isdigit() is True: not a status
                continue
            try:
                self.pages[int(stem)] = _page_bytes(page)
            except (OSError, ValueError) as exc:
                problems.append(f"{page.name}: {exc.strerror if isinstance(exc, OSError) else exc}")
        if problems:
            raise UsageError(f"--public-dir {directory}: {'; '.join(problems[:10])}")

    def page(self, status: int) -> bytes:
        return self.pages.get(status, b"")


MAX_PAGE = 1 << 20  # bytes of one --public-dir page: read once, kept, sent with every such error


def _page_bytes(path: Path) -> bytes:
    """A page's bytes: a regular file of at most ``MAX_PAGE`` bytes, else ``ValueError`` (a
    directory would raise at read, a FIFO would block start-up: opened non-blocking, checked
    on the descriptor so a swap after the check changes nothing)."""
    status = os.stat(path)
    if not stat.S_ISREG(status.st_mode):
        raise ValueError(f"not a regular file ({_file_kind(status.st_mode)})")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as fh:
        status = os.fstat(fh.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise ValueError(f"not a regular file ({_file_kind(status.st_mode)})")
        data = fh.read(MAX_PAGE + 1)
    if len(data) > MAX_PAGE:
        raise ValueError(f"larger than {MAX_PAGE} bytes")
    return data


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "a device or special file")


def json_response(data: object, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    """A JSON answer of the mock's own APIs (control, ``/openapi.json``)."""
    response = web.Response(body=orjson.dumps(data), status=status, headers=headers)
    response.headers["Content-Type"] = JSON_TYPE
    return response


_DENIED_HEADERS = {
    "WWW-Authenticate": auth.CHALLENGE,
    "Content-Type": "text/plain; charset=utf-8",
    "Cache-Control": NO_CACHE,
    **SECURITY_HEADERS,
}


# Rails 4.2's ``render :text`` takes the request format (UNAUTHORIZED_AS_FORMAT)
_FORMAT_TYPES = {"json": "application/json", "xml": "application/xml", "js": "text/javascript"}
_MODERN_DENIED_NOTE = portability(frozenset({Quirk.UNAUTHORIZED_AS_FORMAT}))


def denied_response(stack: Stack = DEFAULT_STACK, fmt: str | None = None) -> web.Response:
    """Rails' token-auth 401 (``request_http_token_authentication``): plain text, any format.

    Rails <= 4.2 (before rails@8cb8ce98d90) sends it as the request format ``fmt``: HTML for a
    plain request, JSON for a JSON one, with the same text body.
    """
    if not stack.quirks:
        response = web.Response(status=401, body=auth.DENIED_BODY, headers=_DENIED_HEADERS)
        response.headers[PORTABILITY_HEADER] = _MODERN_DENIED_NOTE
        return response
    headers = {k: v for k, v in _DENIED_HEADERS.items() if k not in SECURITY_HEADERS}
    headers.update(_security_headers(stack))
    if stack.has(Quirk.UNAUTHORIZED_AS_FORMAT):
        headers["Content-Type"] = f"{_FORMAT_TYPES.get(fmt or '', 'text/html')}; charset=utf-8"
    elif note := portability(frozenset({Quirk.UNAUTHORIZED_AS_FORMAT}), stack):
        headers[PORTABILITY_HEADER] = note
    return web.Response(status=401, body=auth.DENIED_BODY, headers=headers)


def _security_headers(stack: Stack) -> Mapping[str, str]:
    return OLD_SECURITY_HEADERS if stack.has(Quirk.FEWER_SECURITY_HEADERS) else SECURITY_HEADERS


def etag_of(body: bytes, stack: Stack = DEFAULT_STACK) -> str:
    """Rack 2.2's ``Rack::ETag``: weak, the first 32 hex digits of the body's SHA-256; Rack <= 1.6
    (before rack@7b66d2cd, MD5_ETAG) the body's whole MD5."""
    if stack.has(Quirk.MD5_ETAG):
        return f'W/"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'
    return f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'


def rendered_headers(
    body: bytes, stack: Stack = DEFAULT_STACK, etag: str | None = None, content_type: str = JSON_TYPE
) -> dict[str, str]:
    """The headers of a rendered 200 that depend only on its body: built once per remembered
    answer (the memo keeps them), so a repeated request pays for none of them. ``etag``: one
    the caller already knows for this body."""
    return {
        "Content-Type": content_type,
        "ETag": etag if etag is not None else etag_of(body, stack),
        "Cache-Control": CACHE_CONTROL,
        **_security_headers(stack),
    }


def _format_param(
    request: web.Request | None, raw_path: bytes, raw_query: bytes, method: str = "GET"
) -> tuple[str | None, bool, bool]:
    """``params[:format]`` (path suffix over ``?format=``), whether the params are readable,
    and whether reading them hits Rack's limits (the failsafe). A path no route matches for
    ``method`` has no path parameters: only ``?format=`` counts."""
    try:
        found = remembered(request, routing.route, raw_path)
        params = remembered(request, rack.parse_query, raw_query, rack.NO_QUIRKS)
    except QueryLimitError:
        return None, False, True
    except RailsError:
        return None, False, False
    if found.format is not None and found.allows(method):
        return found.format, True, False
    value = params.get("format")
    return (value if isinstance(value, str) or value is None else repr(value)), True, False


_NEGOTIATION = web.RequestKey("negotiation", mime.Negotiation)


BODY_FORMAT = web.RequestKey("body_format", str)
"""A GET/HEAD body's ``format`` parameter (views.py sets it): ``params[:format]`` when
neither the path nor the query gives one, as Rails merges body parameters under them."""


def negotiation(request: web.Request) -> mime.Negotiation:
    """What Rails' ``request.formats`` decides for this request (asked twice per request:
    the 406 check, then ``Vary``; kept on the request)."""
    found = request.get(_NEGOTIATION)
    if found is None:
        body_format = request.get(BODY_FORMAT)
        found = _negotiation(request) if body_format is None else _body_negotiation(request, body_format)
        request[_NEGOTIATION] = found
    return found


def use_body_format(request: web.Request, body_format: str) -> None:
    """Let a GET/HEAD body's ``format`` count in ``negotiation`` from now on."""
    request[BODY_FORMAT] = body_format
    request.pop(_NEGOTIATION, None)


def _body_negotiation(request: web.Request, body_format: str) -> mime.Negotiation:
    """``negotiation`` when the body gives ``format``: the path's or the query's wins."""
    target = request.raw_path.encode("utf-8", "surrogateescape")
    path, _, query = target.partition(b"?")
    path, query = path.partition(b"#")[0], query.partition(b"#")[0]
    fmt, readable, _ = _format_param(request, path, query, request.method)
    if readable and fmt is None:
        fmt = body_format
    accept, requested_with = joined_accept(request.headers), request.headers.get("X-Requested-With")
    return remembered(request, mime.negotiate, fmt, readable, accept, path.decode("latin-1"), requested_with)


def joined_accept(headers: Mapping[str, str]) -> str | None:
    """The Accept value Rails reads: repeated headers joined by ``", "`` as Rack does."""
    accept = headers.get("Accept")
    if accept is not None and len(values := headers.getall("Accept")) > 1:  # type: ignore[attr-defined]
        accept = ", ".join(values)
    return accept


def route_negotiation(
    request: web.Request, path_format: str | None, params_readable: bool = True
) -> mime.Negotiation:
    """``request.formats`` for a request a route other than index/show matched (unassign): its
    ``:format`` is ``path_format``, else ``?format=``; ``params_readable`` False: the body could
    not be parsed, so ``params[:format]`` cannot be read and Accept decides."""
    path, _, query = request.raw_path.partition("#")[0].partition("?")
    fmt: str | None = None
    if params_readable:
        value = (
            path_format
            if path_format is not None
            else remembered(
                request, rack.parse_query, query.encode("utf-8", "surrogateescape"), rack.NO_QUIRKS
            ).get("format")
        )
        fmt = value if isinstance(value, str) or value is None else repr(value)
    accept, requested_with = joined_accept(request.headers), request.headers.get("X-Requested-With")
    return remembered(request, mime.negotiate, fmt, params_readable, accept, path, requested_with)


def _negotiation(request: web.Request) -> mime.Negotiation:
    """``negotiation`` by the raw target and the headers it reads, through the server's memo
    (so a repeated request pays one lookup; a new one reads each part through it too)."""
    memo = request.get(REQUEST_MEMO)
    args = (request.raw_path, joined_accept(request.headers), request.headers.get("X-Requested-With"))
    found: mime.Negotiation | None = (
        memo.recall(_negotiation, (*args, request.method)) if memo is not None else None
    )
    if found is not None:
        return found
    target = request.raw_path.encode("utf-8", "surrogateescape")
    path, _, query = target.partition(b"?")
    path, query = path.partition(b"#")[0], query.partition(b"#")[0]
    fmt, readable, _ = _format_param(request, path, query, request.method)
    found = remembered(request, mime.negotiate, fmt, readable, args[1], path.decode("latin-1"), args[2])
    if memo is not None:
        memo.remember(_negotiation, (*args, request.method), found)
    return found


def _xml(status: int | str, error: str) -> bytes:
    text = error.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    typed = ' type="integer"' if isinstance(status, int) else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<hash>\n'
        f"  <status{typed}>{status}</status>\n  <error>{text}</error>\n</hash>\n"
    ).encode()


def _yaml(status: int | str, error: str) -> bytes:
    shown = status if isinstance(status, int) else f"'{status}'"  # Psych quotes a numeric string
    return f"---\n:status: {shown}\n:error: {error}\n".encode()


def error_response(
    error: RailsError,
    request: web.Request | None = None,
    pages: PublicPages | None = None,
    stack: Stack = DEFAULT_STACK,
    negotiated: mime.Negotiation | None = None,
) -> web.Response:
    """The body Rails renders for ``error`` in the request's format; JSON without a request.

    The mock's reason goes in ``X-Mockserver-Error``; strict-mode problems are listed in a
    JSON body. Rails <= 4.2 (before rails@0b81b3094a1, STRING_ERROR_STATUS) writes the status
    as the string it took from the path. With a request, the generations that would answer
    otherwise (``error.touched``, and the status string) are named in ``X-Mockserver-Portability``.
    """
    response = _error_response(error, request, pages, stack, negotiated)
    if request is not None:
        touched = error.touched
        if response.content_type in ("application/json", "application/xml", "application/x-yaml"):
            touched = touched | {Quirk.STRING_ERROR_STATUS}
        if touched and (note := portability(frozenset(Quirk(q) for q in touched), stack)):
            response.headers[PORTABILITY_HEADER] = note
    return response


def _error_response(
    error: RailsError,
    request: web.Request | None,
    pages: PublicPages | None,
    stack: Stack,
    negotiated: mime.Negotiation | None = None,
) -> web.Response:
    headers: dict[str, str] = {}
    if error.detail:
        headers[ERROR_HEADER] = header_safe(error.detail)
    status, phrase = error.status, error.reason
    if isinstance(error, QueryLimitError):
        headers["Content-Type"] = "text/plain"
        return web.Response(status=500, body=FAILSAFE_BODY, headers=headers)
    if negotiated is not None:
        fmt = negotiated.format
    else:
        fmt = "json" if request is None else negotiation(request).format
    shown: int | str = str(status) if stack.has(Quirk.STRING_ERROR_STATUS) else status
    if fmt == "json":
        data: dict[str, object] = {"status": shown, "error": phrase}
        if error.problems:
            data["problems"] = error.problems
        headers["Content-Type"] = f"application/json; charset={ERROR_CHARSET}"
        return web.Response(status=status, body=orjson.dumps(data), headers=headers)
    if fmt == "xml":
        headers["Content-Type"] = f"application/xml; charset={ERROR_CHARSET}"
        return web.Response(status=status, body=_xml(shown, phrase), headers=headers)
    if fmt == "yaml":
        headers["Content-Type"] = f"application/x-yaml; charset={ERROR_CHARSET}"
        return web.Response(status=status, body=_yaml(shown, phrase), headers=headers)
    headers["Content-Type"] = f"text/html; charset={ERROR_CHARSET}"
    return web.Response(status=status, body=(pages or _DEFAULT_PAGES).page(status), headers=headers)


def request_id(request: web.Request) -> str:
    """``ActionDispatch::RequestId``: the incoming id stripped to ``[\\w\\-@]{,255}``, else a UUID."""
    sent = request.headers.get("X-Request-Id")
    if sent is None or _BLANK.match(sent):
        return _uuid4()
    return _REQUEST_ID.sub("", sent)[:255]


_RANDOM_HEX: list[str] = []  # 32 hex digits each, from one os.urandom call per 256 ids
os.register_at_fork(after_in_child=_RANDOM_HEX.clear)  # --workers: no two processes share one


def _uuid4() -> str:
    """``SecureRandom.uuid``: a random version-4 UUID. The OS randomness is read 4 KiB at a
    time (a system call per request was a tenth of a remembered answer's cost)."""
    if not _RANDOM_HEX:
        block = os.urandom(16 * 256).hex()
        _RANDOM_HEX.extend(block[i : i + 32] for i in range(0, len(block), 32))
    h = _RANDOM_HEX.pop()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def decorate(
    request: web.Request,
    response: web.StreamResponse,
    started: float,
    now: float,
    stack: Stack = DEFAULT_STACK,
) -> web.StreamResponse:
    """Add the per-request headers Rails' middleware adds to an API answer; a 304 for a
    matching ETag.

    A rendered 200 or 401 already carries its body-only headers (``rendered_headers``,
    ``denied_response``); here it gets ``Vary`` when the format was not a parameter, and
    ``Rack::ConditionalGet`` turns a 200 whose ``ETag`` equals ``If-None-Match`` exactly
    into a bodiless 304.
    """
    status = response.status
    if (
        (status == 200 or status == 401)
        and not stack.has(Quirk.NO_VARY_ACCEPT)  # rails@5745a3c0928
        and VARY_DECIDED not in response
    ):
        vary = negotiation(request).vary
        if vary is not None:
            response.headers["Vary"] = vary
    if status == 200:  # Rack::ConditionalGet, in every generation
        match = request.headers.get("If-None-Match")
        if match is not None and match == response.headers.get("ETag"):
            kept = {k: v for k, v in response.headers.items() if k not in ("Content-Type", "Content-Length")}
            response = web.Response(status=304, headers=kept)
    headers = response.headers
    headers["X-Request-Id"] = request_id(request)
    headers["X-Runtime"] = f"{now - started:.6f}"
    return response


_DEFAULT_PAGES = PublicPages()
