"""The aiohttp application: the API's catch-all route, the control API, ``/openapi.json``,
error rendering, the journal and fault injection, and the access log.

Errors are caught here and rendered by ``server/rendering``: a ``RailsError`` becomes the body
Rails' PublicExceptions renders in the request's format (``{"status":404,"error":"Not Found"}``
for JSON), with the mock's reason in an ``X-Mockserver-Error`` header; control and
``/openapi.json`` errors stay JSON. Anything else is a bug in the mock: it is logged with its
traceback, kept in ``ServerState.bugs`` (the pytest plugin re-raises it in the test) and
answered 500 without one. API answers then get Rails' headers (``rendering.decorate``).

Each route's handler is wrapped once, at registration, with error rendering and the access
log; the API route's wrapper also keeps the journal and applies injected faults (control and
``/openapi.json`` requests are neither journaled nor faulted).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from mockserver.errors import RailsError
from mockserver.openapi import build_openapi
from mockserver.revisions import Revision
from mockserver.server.accesslog import AccessLog
from mockserver.server.control import MAX_BODY, add_control_routes
from mockserver.server.cors import cors_middleware
from mockserver.server.faults import NO_ANSWER, misbehave
from mockserver.server.guard import Policy, guard_middleware
from mockserver.server.keys import IGNORED, MEMO_CONTEXT, PAGES, SETTINGS, STATE, TOKENS
from mockserver.server.memo import REQUEST_MEMO
from mockserver.server.redaction import redact
from mockserver.server.rendering import (
    ERROR_HEADER,
    PORTABILITY_HEADER,
    PublicPages,
    decorate,
    denied_response,
    error_response,
    json_response,
    negotiation,
)
from mockserver.server.state import ServerState
from mockserver.server.store import Store
from mockserver.server.views import IGNORED_HEADER, dispatch
from mockserver.server.watch import watch_context
from mockserver.settings import Settings
from mockserver.stacks import DEFAULT_STACK, Stack

error_log = logging.getLogger("mockserver.error")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FAULT_HEADER = "X-Mockserver-Fault"

__all__ = ["ERROR_HEADER", "create_app", "error_response", "redact"]


async def _answer(
    request: web.Request,
    handler: Handler,
    state: ServerState,
    pages: PublicPages | None,
    stack: Stack = DEFAULT_STACK,
) -> web.StreamResponse:
    """Run the handler, turning errors into the answers Rails would give (``pages`` None: JSON)."""
    negotiated = request if pages is not None else None
    try:
        return await handler(request)
    except RailsError as error:
        return error_response(error, negotiated, pages, stack)
    except web.HTTPException as exc:
        if exc.status == 404 or exc.status == 405:
            return error_response(RailsError(404, "no route matches"), negotiated, pages, stack)
        raise
    except Exception as exc:
        state.bugs.append(exc)
        error_log.exception("bug in the mock while serving %s %s", request.method, redact(request.raw_path))
        return error_response(
            RailsError(500, "unexpected error in the mock (see its log)"), negotiated, pages, stack
        )


def fault_response(
    status: int,
    request: web.Request | None = None,
    pages: PublicPages | None = None,
    retry_after: int | None = None,
    stack: Stack = DEFAULT_STACK,
) -> web.Response:
    """What an injected fault answers: the live API's own body for that status."""
    if status == 401:
        response = denied_response(stack, negotiation(request).format if request is not None else None)
    else:
        response = error_response(RailsError(status, "injected fault"), request, pages, stack)
    response.headers[FAULT_HEADER] = "injected"
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _no_route(request: web.Request) -> web.StreamResponse:
    """A target no route matches (``OPTIONS *``, no leading ``/``): Rails' 404 in the request's
    format, not aiohttp's text one. Every routable target reaches a wrapped handler instead."""
    return error_response(RailsError(404, "no route matches"), request, request.app[PAGES])


def _wrapped(
    handler: Handler,
    log: AccessLog | None,
    state: ServerState,
    *,
    api: bool,
    pages: PublicPages | None = None,
    stack: Stack = DEFAULT_STACK,
) -> Handler:
    """``handler`` with faults and journal (API route only), error rendering and the access log.

    A wrapper at registration rather than a middleware: one coroutine layer less per request,
    which is a measurable share of a request this small. A closure over ``state``, and
    nothing but a truth test of the fault list when no fault is set.
    """
    journal = state.journal
    faults = state.faults

    async def wrapped(request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        response: web.StreamResponse | None = None
        injected = False
        status = -1  # the response's, unless an injected fault sent none
        misbehaved = False  # a socket-level fault: the answer is not Rails', or already sent
        generation = journal.generation
        request[REQUEST_MEMO] = state.memo  # what the handlers' pure reads go through
        if api:
            state.request_count += 1
            if faults:
                delay_ms, rule = faults.take(request.raw_path.partition("?")[0])
                if delay_ms:
                    injected = True
                    await asyncio.sleep(delay_ms / 1000)
                if rule is not None and rule.kind is not None:
                    real = functools.partial(_answer, request, handler, state, pages, stack)
                    response, injected = await misbehave(request, rule.kind, real), True
                    misbehaved = True
                    status = 0 if rule.kind in NO_ANSWER else response.status  # 0: nothing answered
                elif rule is not None and rule.status is not None:
                    response = fault_response(rule.status, request, pages, rule.retry_after, stack)
                    injected = True
        if response is None:
            response = await _answer(request, handler, state, pages if api else None, stack)
        if api and not misbehaved:
            response = decorate(request, response, started, time.perf_counter(), stack)
        if status < 0:
            status = response.status
        if api and journal.generation == generation:  # not reset while this was in flight
            journal.append(request.method, request.raw_path, request.headers, status, injected)
        if log is not None:
            elapsed = (time.perf_counter() - started) * 1000
            # the header test first: Mapping.get raises and catches a KeyError when the key is absent
            ignored = response.get(IGNORED, ()) if IGNORED_HEADER in response.headers else ()
            portable = response.headers.get(PORTABILITY_HEADER, "")
            log.request(request.method, request.raw_path, status, elapsed, ignored, portable)
        return response

    return wrapped


def create_app(settings: Settings, store: Store, *, state: ServerState | None = None) -> web.Application:
    """The mock as an aiohttp application, serving ``store`` under ``settings``.

    ``state`` lets the caller (the pytest plugin) keep a handle on the mutable state; by
    default a fresh one is made around ``store``.
    """
    state = state if state is not None else ServerState(store, memo_bytes=settings.memo_mb << 20)
    policy = Policy.build(settings.host, settings.allow_hosts, settings.allow_origins)
    cors = [cors_middleware(settings.cors)] if settings.cors else []  # off: no cost per request
    # CORS (off by default) outside the guard: a preflight reveals nothing, answers still pass the guard
    front = guard_middleware(policy, not_found=_no_route)
    app = web.Application(client_max_size=MAX_BODY, middlewares=[*cors, front])
    app[SETTINGS] = settings
    app[STATE] = state
    app[TOKENS] = settings.effective_tokens()
    app[MEMO_CONTEXT] = state.memo.context(settings, app[TOKENS])
    pages = PublicPages(settings.public_dir)
    app[PAGES] = pages
    log = AccessLog(json=settings.log_format == "json") if settings.access_log else None
    if log is not None:

        async def flush_log(app: web.Application) -> None:
            log.flush()

        app.on_cleanup.append(flush_log)

    def guard(handler: Handler) -> Handler:
        return _wrapped(handler, log, state, api=False)

    add_control_routes(app, guard)
    app.router.add_get("/openapi.json", guard(_openapi_handler(settings.revision)))
    app.router.add_route(
        "*", r"/{tail:[\s\S]*}", _wrapped(dispatch, log, state, api=True, pages=pages, stack=settings.stack)
    )
    if settings.watch and settings.fixtures is not None:
        app.cleanup_ctx.append(watch_context(settings.fixtures))
    return app


def _openapi_handler(revision: Revision) -> Handler:
    """``GET /openapi.json``: the document, built once, with this server as its server URL."""
    document: dict[str, Any] = {}

    async def openapi(request: web.Request) -> web.StreamResponse:
        if not document:
            document.update(build_openapi(revision=revision))
        served = {**document, "servers": [{"url": f"{request.scheme}://{request.host}"}]}
        return json_response(served)

    return openapi
