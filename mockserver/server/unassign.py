"""``POST /api/train_sessions/unassign(.:format)``: the vendor's unassign action, for real.

The order of checks is Rails': the route (POST only; anything else is show or no route), the
query (a malformed one is a 400 before any filter, as for index), a form body Rack cannot
parse (also before the filters), the token (401), then the action: the JSON or XML body's
``ParseError`` (400), ``params.require`` (400), the casts (500 for a hash where a code is
expected), and ``destroy_all`` on the caller's account. Removing is real: the state serves a
new store without those records (``ServerState.remove_records``), which bumps the data
generation and empties the memo, so later index/show answers and ETags change; ``reset``
brings the loaded data back.

With ``--workers N`` (N > 1) each worker process holds its own copy of the data: a session
removed by one would come back from the others, so unassign answers 409 naming the way out.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from mockserver.engine import rack, unassign
from mockserver.engine.mime import Negotiation
from mockserver.engine.routing import Route
from mockserver.engine.xmlparams import Value
from mockserver.errors import BadRequestError, RailsError
from mockserver.server.keys import PAGES, SETTINGS, STATE
from mockserver.server.memo import remembered
from mockserver.server.rendering import (
    ERROR_HEADER,
    NO_CACHE,
    SECURITY_HEADERS,
    VARY_DECIDED,
    error_response,
    etag_of,
    header_safe,
    rendered_headers,
    route_negotiation,
)

__all__ = ["WORKERS_MESSAGE", "unassign_action"]

WORKERS_MESSAGE = (
    "unassign is not available with --workers {n}: each worker process holds its own copy of "
    "the data, so a session removed by one worker would come back from the others. Serve with "
    "--workers 1 (the default) to use unassign"
)
NOT_FOUND_BODY = unassign.NOT_FOUND_TEXT.encode()
BODY_LIMIT = 4 * 1024 * 1024  # Rack's bytesize limit for form bodies; JSON and XML bodies too here
_HEAD_TYPES = {"json": "application/json", "xml": "application/xml", "js": "text/javascript"}
_FORM_TYPES = (unassign.FORM_TYPE, unassign.MULTIPART_TYPE)


def _head_ok(negotiated: Negotiation) -> web.Response:
    """``head :ok``: an empty 200 whose Content-Type is the request's format, and no Vary
    (Rails sets Vary when it renders, and head renders nothing)."""
    content_type = _HEAD_TYPES.get(negotiated.format or "", "text/html")
    headers = {"Content-Type": content_type, "Cache-Control": NO_CACHE, **SECURITY_HEADERS}
    response = web.Response(status=200, body=b"", headers=headers)
    response[VARY_DECIDED] = True
    return response


def _none_found() -> web.Response:
    """``render plain:`` the not-found text, with the ETag Rack gives any rendered 200."""
    headers = rendered_headers(NOT_FOUND_BODY, etag=etag_of(NOT_FOUND_BODY))
    headers["Content-Type"] = "text/plain; charset=utf-8"
    return web.Response(status=200, body=NOT_FOUND_BODY, headers=headers)


def _with_vary(response: web.Response, negotiated: Negotiation) -> web.Response:
    """Rails' Vary for a rendered answer (a 200 or a 401), by this route's negotiation."""
    if negotiated.vary is not None and response.status in (200, 401):
        response.headers["Vary"] = negotiated.vary
    response[VARY_DECIDED] = True
    return response


def _error(request: web.Request, error: RailsError, negotiated: Negotiation) -> web.Response:
    return error_response(error, request, request.app[PAGES], request.app[SETTINGS].stack, negotiated)


def unreadable_answer(
    request: web.Request, error: BadRequestError, denied: web.Response | None, path_format: str | None = None
) -> web.Response:
    """The answer to a request whose body Rails could not parse: ``params[:format]`` cannot be
    read, so Accept alone decides the 400's format and the ``Vary`` of a 401 (``denied``)."""
    unreadable = route_negotiation(request, path_format, params_readable=False)
    if denied is None:
        return _error(request, error, unreadable)
    return _with_vary(denied, unreadable)


async def read_body(request: web.Request) -> bytes:
    """The request body, at most ``BODY_LIMIT`` bytes (a bound of the mock's: parsing a body
    holds the event loop, so a larger one is refused with 413 before it is read)."""
    size = request.content_length
    if size is not None and size > BODY_LIMIT:
        raise RailsError(
            413, f"the request body ({size} bytes) is larger than the mock's {BODY_LIMIT}-byte bound"
        )
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.content.iter_chunked(65536):
        total += len(chunk)
        if total > BODY_LIMIT:
            raise RailsError(413, f"the request body is larger than the mock's {BODY_LIMIT}-byte bound")
        chunks.append(chunk)
    return b"".join(chunks)


async def get_params(request: web.Request, xml: bool) -> tuple[dict[str, Value], BadRequestError | None]:
    """For GET/HEAD with a body: its parameters as Rails merges them into ``params`` (JSON,
    form, multipart and, with the XML parser, XML; none for any other type), or the error
    Rails raises when an action reads ``params`` of a body it cannot parse."""
    content_type = request.headers.get("Content-Type")
    if unassign.media_type(content_type) not in (*unassign.JSON_TYPES, *unassign.XML_TYPES, *_FORM_TYPES):
        return {}, None
    try:
        return unassign.body_params(content_type, await read_body(request), xml), None
    except BadRequestError as error:
        return {}, error


Authenticate = Callable[[], "tuple[str | None, web.Response | None]"]


async def unassign_action(
    request: web.Request, found: Route, raw_query: bytes, authenticate: Authenticate
) -> web.Response:
    """Answer one unassign request; ``authenticate`` gives the caller's account or Rails' 401."""
    try:
        remembered(request, rack.parse_query, raw_query, rack.NO_QUIRKS)  # a malformed query: 400 before auth
    except BadRequestError as error:
        return _error(request, error, route_negotiation(request, None, params_readable=False))
    negotiated = route_negotiation(request, found.format)
    try:
        body = await read_body(request)
    except RailsError as error:
        return _error(request, error, negotiated)
    content_type = request.headers.get("Content-Type")
    deferred: BadRequestError | None = None
    try:
        params = unassign.request_params(content_type, body, raw_query)
    except BadRequestError as error:
        if unassign.media_type(content_type) in _FORM_TYPES:
            # Rack's own parse errors are raised while the request is logged, before auth
            return unreadable_answer(request, error, None, found.format)
        deferred, params = error, {}  # ParseError: raised when the action reads params
    account, denied = authenticate()
    if deferred is not None:
        return unreadable_answer(request, deferred, denied, found.format)
    if denied is not None:
        return _with_vary(denied, negotiated)
    try:
        wanted = unassign.parse_unassign(params)
    except RailsError as error:
        return _error(request, error, negotiated)
    settings = request.app[SETTINGS]
    if settings.workers > 1:
        message = WORKERS_MESSAGE.format(n=settings.workers)
        response = web.Response(status=409, text=message + "\n", content_type="text/plain")
        response.headers[ERROR_HEADER] = header_safe(message)
        return response
    state = request.app[STATE]
    ids = wanted.select(r for r in state.store.records if r.get("account") == account)
    if not ids:
        return _with_vary(_none_found(), negotiated)
    state.remove_records(ids)
    return _head_ok(negotiated)
