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
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from mockserver.errors import RailsError
from mockserver.openapi import build_openapi
from mockserver.server.control import MAX_BODY, add_control_routes
from mockserver.server.cors import cors_middleware
from mockserver.server.guard import Policy, guard_middleware
from mockserver.server.keys import PAGES, SETTINGS, STATE, TOKENS
from mockserver.server.rendering import (
    ERROR_HEADER,
    PORTABILITY_HEADER,
    PublicPages,
    decorate,
    denied_response,
    error_response,
    header_safe,
    json_response,
    negotiation,
)
from mockserver.server.state import ServerState, redact
from mockserver.server.store import Store
from mockserver.server.views import IGNORED_HEADER, dispatch
from mockserver.settings import Settings
from mockserver.stacks import DEFAULT_STACK, Stack

access_log = logging.getLogger("mockserver.access")
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
    stack: Stack = DEFAULT_STACK,
) -> web.Response:
    """What an injected fault answers: the live API's own body for that status."""
    if status == 401:
        response = denied_response(stack, negotiation(request).format if request is not None else None)
    else:
        response = error_response(RailsError(status, "injected fault"), request, pages, stack)
    response.headers[FAULT_HEADER] = "injected"
    return response


@web.middleware
async def _no_route(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A target no route matches (``OPTIONS *``, no leading ``/``): Rails' JSON 404, not
    aiohttp's text one. Every routable target reaches a wrapped handler instead."""
    try:
        return await handler(request)
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
        stack = request.app[SETTINGS].stack
        return error_response(RailsError(404, "no route matches"), request, request.app[PAGES], stack)


def _wrapped(
    handler: Handler, settings: Settings, state: ServerState, *, api: bool, pages: PublicPages | None = None
) -> Handler:
    """``handler`` with faults and journal (API route only), error rendering and the access log.

    A wrapper at registration rather than a middleware: one coroutine layer less per request,
    which is a measurable share of a request this small. A closure over ``state``, and
    nothing but a truth test of the fault list when no fault is set.
    """
    journal = state.journal
    faults = state.faults
    log = settings.access_log
    stack = settings.stack

    async def wrapped(request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        response: web.StreamResponse | None = None
        injected = False
        generation = journal.generation
        if api:
            state.request_count += 1
            if faults:
                delay_ms, status = faults.take(request.raw_path.partition("?")[0])
                if delay_ms:
                    injected = True
                    await asyncio.sleep(delay_ms / 1000)
                if status is not None:
                    response, injected = fault_response(status, request, pages, stack), True
        if response is None:
            response = await _answer(request, handler, state, pages if api else None, stack)
        if api:
            response = decorate(request, response, started, time.perf_counter(), stack)
        if api and journal.generation == generation:  # not reset while this was in flight
            journal.append(request.method, request.raw_path, request.headers, response.status, injected)
        if log:
            elapsed = (time.perf_counter() - started) * 1000
            ignored = response.headers.get(IGNORED_HEADER)
            portable = response.headers.get(PORTABILITY_HEADER)
            access_log.info(
                "%s %s %d %.1fms%s%s",
                request.method,
                header_safe(redact(request.raw_path), 500),
                response.status,
                elapsed,
                f" ignored: {ignored}" if ignored else "",
                f" differs on: {portable}" if portable else "",
            )
        return response

    return wrapped


def create_app(settings: Settings, store: Store, *, state: ServerState | None = None) -> web.Application:
    """The mock as an aiohttp application, serving ``store`` under ``settings``.

    ``state`` lets the caller (the pytest plugin) keep a handle on the mutable state; by
    default a fresh one is made around ``store``.
    """
    state = state if state is not None else ServerState(store)
    policy = Policy.build(settings.host, settings.allow_hosts, settings.allow_origins)
    cors = [cors_middleware(settings.cors)] if settings.cors else []  # off: no cost per request
    app = web.Application(client_max_size=MAX_BODY, middlewares=[guard_middleware(policy), *cors, _no_route])
    app[SETTINGS] = settings
    app[STATE] = state
    app[TOKENS] = settings.effective_tokens()
    pages = PublicPages(settings.public_dir)
    app[PAGES] = pages

    def guard(handler: Handler) -> Handler:
        return _wrapped(handler, settings, state, api=False)

    add_control_routes(app, guard)
    app.router.add_get("/openapi.json", guard(_openapi_handler()))
    app.router.add_route("*", r"/{tail:[\s\S]*}", _wrapped(dispatch, settings, state, api=True, pages=pages))
    return app


def _openapi_handler() -> Handler:
    """``GET /openapi.json``: the document, built once, with this server as its server URL."""
    document: dict[str, Any] = {}

    async def openapi(request: web.Request) -> web.StreamResponse:
        if not document:
            document.update(build_openapi())
        served = {**document, "servers": [{"url": f"{request.scheme}://{request.host}"}]}
        return json_response(served)

    return openapi
