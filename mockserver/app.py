"""The aiohttp application: one catch-all route, error rendering and the access log.

Errors are translated to HTTP here and only here: a ``RailsError`` becomes the body Rails'
PublicExceptions renders for JSON (``{"status":404,"error":"Not Found"}``), with the mock's
reason in an ``X-Mockserver-Error`` header. Anything else is a bug in the mock: it is logged
with its traceback and answered 500 without one.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable

import orjson
from aiohttp import web

from .errors import RailsError
from .keys import SETTINGS, STORE, TOKENS
from .settings import Settings
from .store import Store
from .views import IGNORED_HEADER, JSON_TYPE, dispatch, header_safe

access_log = logging.getLogger("mockserver.access")
error_log = logging.getLogger("mockserver.error")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ERROR_HEADER = "X-Mockserver-Error"
# Query values whose key mentions a token are never logged (a client may misplace one there).
_SECRET_QUERY = re.compile(r"((?:^|[?&;])[^=&;]*token[^=&;]*=)[^&;]*", re.I)


def error_response(error: RailsError) -> web.Response:
    """Rails' JSON error body for ``error.status``; strict-mode problems are listed too."""
    body: dict[str, object] = {"status": error.status, "error": error.reason}
    if error.problems:
        body["problems"] = error.problems
    headers = {"Content-Type": JSON_TYPE}
    if error.detail:
        headers[ERROR_HEADER] = header_safe(error.detail)
    return web.Response(status=error.status, body=orjson.dumps(body), headers=headers)


def redact(target: str) -> str:
    """The request target with token-like query values replaced, for logs and journals."""
    return _SECRET_QUERY.sub(r"\1[REDACTED]", target)


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except RailsError as error:
        return error_response(error)
    except web.HTTPException as exc:
        if exc.status == 404 or exc.status == 405:
            return error_response(RailsError(404, "no route matches"))
        raise
    except Exception:
        error_log.exception("bug in the mock while serving %s %s", request.method,
                            redact(request.raw_path))
        return error_response(RailsError(500, "unexpected error in the mock (see its log)"))


@web.middleware
async def access_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """One line per request: method, target, status, milliseconds (and what was ignored)."""
    started = time.perf_counter()
    response = await handler(request)
    if request.app[SETTINGS].access_log:
        elapsed = (time.perf_counter() - started) * 1000
        ignored = response.headers.get(IGNORED_HEADER)
        access_log.info(
            "%s %s %d %.1fms%s", request.method, header_safe(redact(request.raw_path), 500),
            response.status, elapsed, f" ignored: {ignored}" if ignored else "",
        )
    return response


def create_app(settings: Settings, store: Store) -> web.Application:
    """The mock as an aiohttp application, serving ``store`` under ``settings``."""
    app = web.Application(middlewares=[access_middleware, errors_middleware])
    app[SETTINGS] = settings
    app[STORE] = store
    app[TOKENS] = settings.effective_tokens()
    app.router.add_route("*", "/{tail:.*}", dispatch)
    return app
