"""The index and show handlers: thin glue between the raw request and the pure modules.

Order of checks follows the Rails stack: routing (404), query parsing (400, Rails parses
params to log them before any filter runs), token auth (401), then the action (Ransack's 500s,
ActiveRecord's 404).
"""

from __future__ import annotations

from aiohttp import web

from mockserver.engine import auth, rack, routing
from mockserver.engine.rows import ID
from mockserver.engine.search import compile_query
from mockserver.errors import BadRequestError, NotFoundError
from mockserver.server.keys import IGNORED, MEMO_CONTEXT, SETTINGS, STATE, TOKENS
from mockserver.server.store import Partition

JSON_TYPE = "application/json; charset=utf-8"
IGNORED_HEADER = "X-Mockserver-Ignored"


def raw_target(request: web.Request) -> tuple[bytes, bytes]:
    """The raw path and query bytes exactly as sent (aiohttp keeps non-ASCII as surrogates)."""
    target = request.raw_path.encode("utf-8", "surrogateescape")
    path, _, query = target.partition(b"?")
    return path.partition(b"#")[0], query.partition(b"#")[0]


def header_safe(text: str, limit: int = 2000) -> str:
    """A header value that cannot break the response: ASCII, no control characters."""
    if text.isascii() and text.isprintable():  # the common case, without a pass per character
        return text[:limit]
    cleaned = text.encode("ascii", "backslashreplace").decode("ascii")
    cleaned = "".join(c if " " <= c <= "~" else f"\\x{ord(c):02x}" for c in cleaned)
    return cleaned[:limit]


def _partition(request: web.Request) -> Partition | web.Response:
    """The records the caller's token may see, or Rails' 401 answer."""
    store = request.app[STATE].store  # read per request: the control API may replace it
    if not request.app[SETTINGS].auth:
        return store.partition(None)
    ok, account = auth.account_for(request.headers.get("Authorization"), request.app[TOKENS])
    if not ok:
        return web.Response(
            status=401,
            body=auth.DENIED_BODY,
            headers={"WWW-Authenticate": auth.CHALLENGE, "Content-Type": "text/plain; charset=utf-8"},
        )
    return store.partition(account)


async def dispatch(request: web.Request) -> web.StreamResponse:
    """Every request lands here; Rails has no other routes, so anything else is a 404.

    A successful answer is remembered in the server state's memo (``memo.py``), keyed by
    everything it depends on, so a repeated request costs a dict lookup. Journal and faults
    still apply: they wrap this handler.
    """
    state = request.app[STATE]
    memo = state.memo
    key = memo.key(request.app[MEMO_CONTEXT], state.generation, request)
    if key is not None:
        remembered = memo.get(key)
        if remembered is not None:
            body, headers, ignored = remembered
            response = web.Response(body=body, headers=headers)
            if ignored:
                response[IGNORED] = ignored
            return response
    response = _answer(request)
    if key is not None and response.status == 200 and isinstance(response.body, bytes):
        memo.put(key, response.body, response.headers, response.get(IGNORED, ()))
    return response


def _answer(request: web.Request) -> web.Response:
    """Route, parse, authenticate and act, in the Rails stack's order."""
    raw_path, raw_query = raw_target(request)
    found = routing.route(raw_path)
    if found.action is None or request.method not in ("GET", "HEAD"):
        raise NotFoundError(f"no route matches {request.method} {raw_path.decode('latin-1')}")
    rack.parse_query_cached(raw_query)  # a malformed query is a 400 before auth, as in Rails
    partition = _partition(request)
    if isinstance(partition, web.Response):
        return partition
    if found.action == "index":
        search = compile_query(raw_query)
        notices = [str(n) for n in search.notices]
        if notices and request.app[SETTINGS].strict:
            raise BadRequestError("strict mode: " + "; ".join(notices), notices)
        body = partition.render(partition.search(search))
        headers = {"Content-Type": JSON_TYPE}
        if notices:
            headers[IGNORED_HEADER] = header_safe("; ".join(notices))
        response = web.Response(body=body, headers=headers)
        if notices:
            response[IGNORED] = tuple(notices)
        return response
    ident = routing.cast_id(found.id or "")
    row = partition.by_id.get(ident) if ident is not None else None
    if row is None:
        raise NotFoundError(f"Couldn't find TrainSession with 'id'={found.id}")
    return web.Response(body=partition.bytes_of[row[ID]], headers={"Content-Type": JSON_TYPE})
