"""The index and show handlers: thin glue between the raw request and the pure modules.

Order of checks follows the Rails stack: routing (404), query parsing (400, Rails parses
params to log them before any filter runs), token auth (401), then the action (Ransack's 500s,
ActiveRecord's 404).
"""

from __future__ import annotations

import datetime
import functools
from typing import cast

from aiohttp import web

from mockserver.engine import auth, rack, routing
from mockserver.engine.exposure import touched_error
from mockserver.engine.rows import ID, Row
from mockserver.engine.search import Search, compile_search, search_key
from mockserver.engine.xmlparams import Value
from mockserver.errors import BadRequestError, NotAcceptableError, NotFoundError, RailsError
from mockserver.revisions import Feature, Revision
from mockserver.server import pagination
from mockserver.server.keys import BODY_PARAMS, IGNORED, MEMO_CONTEXT, SETTINGS, STATE, TOKENS
from mockserver.server.memo import remembered
from mockserver.server.player import player_page
from mockserver.server.rendering import (
    ERROR_HEADER,
    PORTABILITY_HEADER,
    XML_TYPE,
    denied_response,
    etag_of,
    header_safe,
    negotiation,
    rendered_headers,
    use_body_format,
)
from mockserver.server.store import Partition
from mockserver.server.unassign import get_params, unassign_action, unreadable_answer
from mockserver.stacks import Quirk, Stack, portability

IGNORED_HEADER = "X-Mockserver-Ignored"
__all__ = ["IGNORED_HEADER", "dispatch", "raw_target"]


def raw_target(request: web.Request) -> tuple[bytes, bytes]:
    """The raw path and query bytes exactly as sent (aiohttp keeps non-ASCII as surrogates)."""
    target = request.raw_path.encode("utf-8", "surrogateescape")
    path, _, query = target.partition(b"?")
    return path.partition(b"#")[0], query.partition(b"#")[0]


def _acceptable(request: web.Request, stack: Stack) -> None:
    """Rails reads ``request.format`` before any filter: an unparseable Accept is a 406 (from
    Rails 6.0; before, BAD_ACCEPT_IGNORED, the type is looked up leniently and the action runs)."""
    if negotiation(request).invalid and not stack.has(Quirk.BAD_ACCEPT_IGNORED):
        accept = request.headers.get("Accept", "")
        error = NotAcceptableError(f"Accept {accept!r} is not a MIME type Rails can parse")
        raise touched_error(error, Quirk.BAD_ACCEPT_IGNORED, stack)


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


Account = tuple[Partition, str | None]  # the records a caller may see, and whose they are


def _account(request: web.Request, stack: Stack) -> tuple[str | None, web.Response | None, bool]:
    """The caller's account, or Rails' 401 answer; and whether the header is one Rails 4.2
    would refuse (STRICT_TOKEN_SCHEME)."""
    if not request.app[SETTINGS].auth:
        return None, None, False
    authorization = request.headers.get("Authorization")
    read = functools.partial(remembered, request, auth.read_token)
    ok, account, touched = auth.account_and_touched(authorization, request.app[TOKENS], stack, read)
    if not ok:
        denied = denied_response(stack, negotiation(request).format)
        denied.headers[ERROR_HEADER] = denial_reason(authorization)
        return None, denied, False
    return account, None, touched


def _partition(request: web.Request, stack: Stack) -> tuple[Account | web.Response, bool]:
    """The records the caller's token may see (and the account), or Rails' 401 answer; and
    whether the header is one Rails 4.2 would refuse (STRICT_TOKEN_SCHEME)."""
    account, denied, touched = _account(request, stack)
    if denied is not None:
        return denied, False
    store = request.app[STATE].store  # read per request: the control API may replace it
    return (store.partition(account), account), touched


async def dispatch(request: web.Request) -> web.StreamResponse:
    """Every request lands here; Rails has no other routes, so anything else is a 404.

    A successful answer is remembered in the server state's memo (``memo.py``), keyed by
    everything it depends on (Accept included, so a remembered 200 passed negotiation), so a
    repeated request costs a dict lookup. Journal, faults and the per-request headers
    (``rendering.decorate``) still apply: they wrap this handler.
    """
    if request.method == "POST" and request.app[SETTINGS].revision.has(Feature.UNASSIGN):
        raw_path, raw_query = raw_target(request)
        found = routing.unassign_route(raw_path)
        if found is not None:
            stack = request.app[SETTINGS].stack
            return await unassign_action(request, found, raw_query, lambda: _account(request, stack)[:2])
    in_body: dict[str, Value] = {}
    if request.body_exists and request.method in ("GET", "HEAD"):
        settings = request.app[SETTINGS]
        in_body, problem = await get_params(request, settings.revision.has(Feature.XML))
        if problem is not None:
            return _answer(request, settings.stack, settings.revision, problem)
        if in_body:
            request[BODY_PARAMS] = in_body
            fmt = in_body.get("format")
            if fmt is not None:
                use_body_format(request, fmt if isinstance(fmt, str) else repr(fmt))
    state = request.app[STATE]
    memo = state.memo
    # the memo is keyed by the target: an answer that depends on a body's params is not kept
    key = None if in_body else memo.key(request.app[MEMO_CONTEXT], state.generation, request)
    if key is not None:
        remembered = memo.get(key)
        if remembered is not None:
            body, headers, ignored = remembered
            response = web.Response(body=body, headers=headers)
            if ignored:
                response[IGNORED] = ignored
            return response
    settings = request.app[SETTINGS]
    response = _answer(request, settings.stack, settings.revision)
    if key is not None and response.status == 200 and isinstance(response.body, bytes):
        memo.put(key, response.body, response.headers, response.get(IGNORED, ()))
    return response


def _answer(
    request: web.Request, stack: Stack, revision: Revision, body_problem: BadRequestError | None = None
) -> web.Response:
    """Route, parse, authenticate and act, in the Rails stack's order, for the API ``revision``
    (``body_problem``: the body's parameters cannot be parsed, a 400 once authenticated)."""
    raw_path, raw_query = raw_target(request)
    found = remembered(request, routing.route, raw_path)
    if found.action is None and revision.has(Feature.PLAYER):
        player = routing.player_route(raw_path)
        if player is not None and player.allows(request.method):
            remembered(request, rack.parse_query, raw_query, stack.quirks)  # a malformed query is a 400
            return player_page(request, player, raw_query)
    if not found.allows(request.method):
        raise NotFoundError(f"no route matches {request.method} {raw_path.decode('latin-1')}")
    # a malformed query is a 400 before auth
    params = remembered(request, rack.parse_query, raw_query, stack.quirks)
    in_body = request.get(BODY_PARAMS)
    if in_body:  # Rails' params: the body's, the query's over them (a shallow merge)
        params = cast(rack.Params, {**in_body, **params})
    _acceptable(request, stack)
    account, scheme_touched = _partition(request, stack)
    if body_problem is not None:
        return unreadable_answer(
            request, body_problem, account if isinstance(account, web.Response) else None
        )
    if isinstance(account, web.Response):
        return account
    touched: frozenset[str] = frozenset({Quirk.STRICT_TOKEN_SCHEME}) if scheme_touched else frozenset()
    xml = revision.has(Feature.XML) and negotiation(request).xml
    try:
        return _act(request, stack, found, params, account, touched, xml)
    except RailsError as error:
        error.touched |= touched  # a Bearer header makes any answer differ on Rails 4.2
        raise


def _search(
    request: web.Request, stack: Stack, params: rack.Params, account: Account
) -> tuple[Search, list[Row]]:
    """The compiled search and the rows it selects: from the server's cache when an equal
    search (same params, day and quirks, whatever the spelling) already ran on this data."""
    state = request.app[STATE]
    today = datetime.date.today()  # the server owns the clock
    key = search_key(params, today, stack)
    found = state.memo.search(state.generation, account[1], key)
    if found is not None:
        return found
    search = compile_search(params, today, stack)
    rows = account[0].search(search)
    state.memo.searches += 1
    if not Partition.trivial(search):
        state.memo.put_search(state.generation, account[1], search, rows)
    return search, rows


def _act(
    request: web.Request,
    stack: Stack,
    found: routing.Route,
    params: rack.Params,
    account: Account,
    touched: frozenset[str],
    xml: bool = False,
) -> web.Response:
    """The index or show action, for a caller already authenticated; ``xml``: ``respond_to``
    picked ``format.xml`` (``render xml:``, Rails' ``to_xml``)."""
    partition = account[0]
    if found.action == "index":
        search, rows = _search(request, stack, params, account)
        touched |= search.touched
        per_page = request.app[SETTINGS].paginate
        notices = [str(n) for n in search.notices if not (per_page and n.param == pagination.PAGE_KEY)]
        if notices and request.app[SETTINGS].strict:
            raise BadRequestError("strict mode: " + "; ".join(notices), notices)
        page_headers: dict[str, str] = {}
        if per_page:
            rows, page = pagination.paginate(rows, params, per_page)  # a body's page too
            url = f"{request.scheme}://{request.host}{request.raw_path.partition('?')[0]}"
            page_headers = pagination.headers(page, url, raw_target(request)[1])
        if xml:
            body = partition.render_xml(rows)
            headers = rendered_headers(body, stack, content_type=XML_TYPE) | page_headers
        else:
            body = partition.render(rows)
            etag = None
            if body is partition.full_body:  # the unfiltered index: its digest is kept with it
                md5 = stack.has(Quirk.MD5_ETAG)
                etag = partition.full_etags.get(md5) or partition.full_etags.setdefault(
                    md5, etag_of(body, stack)
                )
            headers = rendered_headers(body, stack, etag) | page_headers
        if notices:
            headers[IGNORED_HEADER] = header_safe("; ".join(notices))
    else:
        notices = []
        ident = routing.cast_id(found.id or "")
        row = partition.by_id.get(ident) if ident is not None else None
        if row is None:
            raise NotFoundError(f"Couldn't find TrainSession with 'id'={found.id}")
        if xml:
            body = partition.record_xml(row)
            headers = rendered_headers(body, stack, content_type=XML_TYPE)
        else:
            body = partition.bytes_of[row[ID]]
            headers = rendered_headers(body, stack)
    if touched and (note := portability(frozenset(Quirk(q) for q in touched), stack)):
        headers[PORTABILITY_HEADER] = note
    response = web.Response(body=body, headers=headers)
    if notices:
        response[IGNORED] = tuple(notices)
    return response
