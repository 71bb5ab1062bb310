"""The index and show handlers: thin glue between the raw request and the pure modules.

Order of checks follows the Rails stack: routing (404), query parsing (400, Rails parses
params to log them before any filter runs), token auth (401), then the action (Ransack's 500s,
ActiveRecord's 404).
"""

from __future__ import annotations

import datetime

from aiohttp import web

from mockserver.engine import auth, rack, routing
from mockserver.engine.rows import ID
from mockserver.engine.search import compile_query
from mockserver.errors import BadRequestError, NotAcceptableError, NotFoundError
from mockserver.server import pagination
from mockserver.server.keys import SETTINGS, STATE, TOKENS
from mockserver.server.rendering import (
    ERROR_HEADER,
    JSON_TYPE,
    denied_response,
    header_safe,
    negotiation,
    rendered_headers,
)
from mockserver.server.store import Partition

IGNORED_HEADER = "X-Mockserver-Ignored"
__all__ = ["IGNORED_HEADER", "JSON_TYPE", "dispatch", "header_safe", "raw_target"]


def raw_target(request: web.Request) -> tuple[bytes, bytes]:
    """The raw path and query bytes exactly as sent (aiohttp keeps non-ASCII as surrogates)."""
    target = request.raw_path.encode("utf-8", "surrogateescape")
    path, _, query = target.partition(b"?")
    return path.partition(b"#")[0], query.partition(b"#")[0]


def _acceptable(request: web.Request) -> None:
    """Rails reads ``request.format`` before any filter: an unparseable Accept is a 406."""
    if negotiation(request).invalid:
        accept = request.headers.get("Accept", "")
        raise NotAcceptableError(f"Accept {accept!r} is not a MIME type Rails can parse")


def denial_reason(authorization: str | None) -> str:
    """Why Rails refused this ``Authorization`` header, for ``X-Mockserver-Error`` (Rails' own
    body says only "Access denied"); never echoes the token."""
    if authorization is None:
        return 'no token: send Authorization: Token token="..." (or Bearer ...)'
    if auth.token_from_header(authorization) is None:
        return (
            "scheme not accepted: the Authorization header carries no token Rails reads "
            '(expected Token token="..." or Bearer ..., case-sensitive)'
        )
    return "unknown token: the server does not accept this token (see --token / MOCKSERVER_TOKENS)"


def _partition(request: web.Request) -> Partition | web.Response:
    """The records the caller's token may see, or Rails' 401 answer."""
    store = request.app[STATE].store  # read per request: the control API may replace it
    if not request.app[SETTINGS].auth:
        return store.partition(None)
    authorization = request.headers.get("Authorization")
    ok, account = auth.account_for(authorization, request.app[TOKENS], request.app[SETTINGS].stack)
    if not ok:
        denied = denied_response()
        denied.headers[ERROR_HEADER] = denial_reason(authorization)
        return denied
    return store.partition(account)


_MEMO_TARGET = 2048  # longer targets are answered afresh every time
_MEMO_BODY = 1 << 20  # bodies up to 1 MiB are remembered
_MEMO_ENTRIES = 4096


async def dispatch(request: web.Request) -> web.StreamResponse:
    """Every request lands here; Rails has no other routes, so anything else is a 404.

    A successful answer is remembered per store, keyed by everything it depends on (raw
    target, Authorization header and today's date, which lenient dates may read): the
    store never changes (the control API swaps in a new one), so a repeated request costs a
    dict lookup. Journal and faults still apply: they wrap this handler.
    """
    store = request.app[STATE].store
    key = (request.method, request.raw_path, request.headers.get("Authorization"), datetime.date.today())
    remembered = store.responses.get(key) if len(request.raw_path) <= _MEMO_TARGET else None
    if remembered is not None:
        _acceptable(request)  # not in the memo's key: a remembered 200 passed route and parse
        body, headers = remembered
        return web.Response(body=body, headers=headers)
    response = _answer(request)
    if (
        response.status == 200
        and isinstance(response.body, bytes)
        and len(response.body) <= _MEMO_BODY
        and len(request.raw_path) <= _MEMO_TARGET
    ):
        store.responses[key] = (response.body, dict(response.headers))
        if len(store.responses) > _MEMO_ENTRIES:
            store.responses.pop(next(iter(store.responses)))
    return response


def _answer(request: web.Request) -> web.Response:
    """Route, parse, authenticate and act, in the Rails stack's order."""
    raw_path, raw_query = raw_target(request)
    found = routing.route(raw_path)
    if found.action is None or request.method not in ("GET", "HEAD"):
        raise NotFoundError(f"no route matches {request.method} {raw_path.decode('latin-1')}")
    rack.parse_query_cached(raw_query)  # a malformed query is a 400 before auth, as in Rails
    _acceptable(request)
    partition = _partition(request)
    if isinstance(partition, web.Response):
        return partition
    if found.action == "index":
        search = compile_query(raw_query, datetime.date.today())  # the server owns the clock
        per_page = request.app[SETTINGS].paginate
        notices = [str(n) for n in search.notices if not (per_page and n.param == pagination.PAGE_KEY)]
        if notices and request.app[SETTINGS].strict:
            raise BadRequestError("strict mode: " + "; ".join(notices), notices)
        rows = partition.search(search)
        page_headers: dict[str, str] = {}
        if per_page:
            params = rack.parse_query_cached(raw_query)
            rows, page = pagination.paginate(rows, params, per_page)
            url = f"{request.scheme}://{request.host}{raw_path.decode('latin-1')}"
            page_headers = pagination.headers(page, url, raw_query)
        body = partition.render(rows)
        headers = rendered_headers(body) | page_headers
        if notices:
            headers[IGNORED_HEADER] = header_safe("; ".join(notices))
        return web.Response(body=body, headers=headers)
    ident = routing.cast_id(found.id or "")
    row = partition.by_id.get(ident) if ident is not None else None
    if row is None:
        raise NotFoundError(f"Couldn't find TrainSession with 'id'={found.id}")
    body = partition.bytes_of[row[ID]]
    return web.Response(body=body, headers=rendered_headers(body))
