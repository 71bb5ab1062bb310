"""The control API under ``/__mockserver/``: health, reset, records, journal, faults, and its
own OpenAPI document.

Rails has no route under ``/__mockserver/`` (the live API serves only ``/api/train_sessions``),
so the prefix cannot shadow an API answer. Control requests skip the API's token auth, the
journal and fault injection; they are guarded instead by ``_refusal``: allowed to local clients
when the server listens on loopback only (``guard.py`` has already refused foreign Hosts and
Origins and writes without a JSON Content-Type), refused (403) when it listens on another
interface unless ``--admin-token`` is set, and when that token is set it is always required, in
the ``X-Mockserver-Admin-Token`` header. Every answer, errors included, is JSON.
"""

from __future__ import annotations

import asyncio
import datetime
import hmac
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from mockserver import __version__
from mockserver.dataset import validate_records
from mockserver.errors import FixtureError, FixtureProblem, reason_phrase
from mockserver.model import INT4_MAX
from mockserver.network import is_loopback
from mockserver.openapi import FAULT_MAX_DELAY_MS, build_control_openapi
from mockserver.server.faults import FaultRule
from mockserver.server.keys import SETTINGS, STATE
from mockserver.server.player import PLAYER_SCRIPT, session_action
from mockserver.server.rendering import json_response
from mockserver.server.state import ADMIN_TOKEN_HEADER, ServerState
from mockserver.settings import Settings
from mockserver.templates import complete_all

__all__ = ["CONTROL_PREFIX", "ENDPOINTS", "add_control_routes", "is_loopback"]

CONTROL_PREFIX = "/__mockserver/"
# A control write's body: 16 MiB holds about 40,000 records (~420 bytes each). Parsing is what
# costs: 14 MiB of `[{},{},...]` takes 460 MB to parse, 256 MiB took gigabytes. Larger data
# sets load at start (--fixtures, --count), where no request can send them.
MAX_BODY = 16 * 1024 * 1024
MAX_LISTED = 100  # problems listed in a 422/409 body; problem_count says how many were found

ControlHandler = Callable[[web.Request, ServerState], Awaitable[web.Response]]


class ControlError(Exception):
    """A refused control request: rendered as ``{"status", "error", "message", "problems"}``."""

    def __init__(
        self,
        status: int,
        message: str,
        problems: list[Any] | None = None,
        headers: dict[str, str] | None = None,
        problem_count: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems
        self.headers = headers or {}
        self.problem_count = problem_count

    def response(self) -> web.Response:
        body: dict[str, Any] = {
            "status": self.status,
            "error": reason_phrase(self.status),
            "message": self.message,
        }
        if self.problems is not None:
            body["problems"] = self.problems[:MAX_LISTED]
            body["problem_count"] = len(self.problems) if self.problem_count is None else self.problem_count
        response = _json(body, self.status, self.headers)
        if self.status == 408:  # the rest of the body may still come: the connection cannot be reused
            response.force_close()
        return response


_json = json_response  # the one JSON renderer (server/rendering)


def _refusal(request: web.Request, settings: Settings) -> ControlError | None:
    """Why this control request may not run, or None."""
    expected = settings.admin_token
    if expected is not None:
        sent = request.headers.get(ADMIN_TOKEN_HEADER)
        if sent is None or not hmac.compare_digest(
            sent.encode("utf-8", "surrogateescape"), expected.encode()
        ):
            which = "is missing" if sent is None else "is wrong"
            return ControlError(
                403,
                f"the {ADMIN_TOKEN_HEADER} header {which}: this server "
                "was started with --admin-token, send that token",
            )
        return None
    if not is_loopback(settings.host):
        return ControlError(
            403,
            f"the control API is disabled because the server listens on {settings.host}, "
            "not loopback: anyone on the network could replace its data. Restart with "
            "--admin-token TOKEN (or MOCKSERVER_ADMIN_TOKEN) and send the token as "
            f"{ADMIN_TOKEN_HEADER}, or listen on 127.0.0.1",
        )
    return None


def _single_worker(settings: Settings) -> None:
    if settings.workers > 1:
        raise ControlError(
            409,
            f"this server runs {settings.workers} worker processes, each "
            "with its own data: a change would reach only the one that "
            "answers. Use --workers 1 to change data or faults at run time",
        )


async def _body(request: web.Request) -> object:
    # a deadline as for headers (limits.py): a body sent a byte a second would hold the
    # connection as long as the client liked (the API route reads no body: aiohttp discards
    # it for at most 10 s after the answer, then closes)
    deadline = request.app[SETTINGS].header_timeout
    try:
        async with asyncio.timeout(deadline):
            raw = await request.read()
    except TimeoutError:
        raise ControlError(
            408, f"the request body did not arrive within {deadline:g}s (--header-timeout); send it at once"
        ) from None
    except web.HTTPRequestEntityTooLarge:
        raise ControlError(413, f"the request body is larger than {MAX_BODY} bytes") from None
    except (ConnectionError, HttpProcessingError) as exc:
        # the client went away mid-body (or sent a broken chunked body): its error, not a bug
        # of the mock, so it is answered (to nobody) and logged as a 400, never kept in bugs
        raise ControlError(400, f"the request body was cut short: {exc or type(exc).__name__}") from None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ControlError(400, f"the request body is not valid JSON: {exc}") from None


def _problem_json(problem: FixtureProblem) -> dict[str, Any]:
    return {
        "index": problem.index,
        "id": problem.record_id,
        "field": problem.field,
        "message": problem.message,
    }


def _validated(data: object, source: str, served: Sequence[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    try:
        return validate_records(data, source, served)
    except FixtureError as exc:
        # ids that clash are a conflict between valid records (409), not a broken record: a
        # schema cannot say "unique across the array", so schema-driven clients send them
        clash_only = all(p.clash for p in exc.problems)
        count = f"{len(exc.problems)} problem(s)"
        if not exc.complete:
            count = f"at least {count}: checking stopped there"
        listed = f", the first {MAX_LISTED} listed" if len(exc.problems) > MAX_LISTED else ""
        raise ControlError(
            409 if clash_only else 422,
            f"the records break the fixture format ({count}{listed}); nothing was changed",
            [_problem_json(p) for p in exc.problems[:MAX_LISTED]],
            problem_count=len(exc.problems),
        ) from None


# --- handlers -------------------------------------------------------------------------------------


async def health(request: web.Request, state: ServerState) -> web.Response:
    settings = request.app[SETTINGS]
    return _json(
        {
            "status": "ok",
            "version": __version__,
            "records": len(state.store),
            "accounts": len(state.store.accounts),
            "uptime_seconds": round(state.uptime, 3),
            "requests": state.request_count,
            "journal": {
                "entries": len(state.journal),
                "capacity": state.journal.capacity,
                "dropped": state.journal.dropped,
            },
            "faults": len(state.faults.rules),
            "cache": state.memo.stats(),
            "errors": len(state.bugs),
            "workers": settings.workers,
        }
    )


async def reset(request: web.Request, state: ServerState) -> web.Response:
    _single_worker(request.app[SETTINGS])
    state.reset()
    return _json({"records": len(state.store)})


async def get_records(request: web.Request, state: ServerState) -> web.Response:
    return _json(state.store.records)


async def put_records(request: web.Request, state: ServerState) -> web.Response:
    _single_worker(request.app[SETTINGS])
    records = _validated(await _body(request), "request body")
    state.replace_records(records)
    return _json({"records": len(state.store)})


async def post_records(request: web.Request, state: ServerState) -> web.Response:
    _single_worker(request.app[SETTINGS])
    data = await _body(request)
    served = {record["id"] for record in state.store.records}
    partials = [data] if isinstance(data, dict) else data
    if isinstance(partials, list):  # fields left out are filled as the plugin's .add() fills them
        partials = complete_all(partials, served)
    records = _validated(partials, "request body", state.store.records)  # foreign keys join the served
    clashes = [
        _problem_json(FixtureProblem(i, r["id"], "id", "duplicate id: already served", clash=True))
        for i, r in enumerate(records)
        if r["id"] in served
    ]
    if clashes:
        raise ControlError(
            409, "some ids are already served (PUT replaces every record); nothing was changed", clashes
        )
    state.add_records(records)
    return _json({"added": len(records), "records": len(state.store)}, 201)


async def get_requests(request: web.Request, state: ServerState) -> web.Response:
    raw_limit = request.query.get("limit")
    limit = None
    if raw_limit is not None:
        if not (raw_limit.isascii() and raw_limit.isdigit()):  # '²'.isdigit() is True
            raise ControlError(
                400, f"limit={raw_limit[:40]!r}: expected a non-negative integer (ASCII digits)"
            )
        digits = raw_limit.lstrip("0")
        limit = int(digits or "0") if len(digits) <= 18 else None  # past any journal: all of it
    return _json(_journal_json(state, limit))


def _journal_json(state: ServerState, limit: int | None = None) -> dict[str, Any]:
    return {
        "requests": [e.to_json() for e in state.journal.entries(limit)],
        "dropped": state.journal.dropped,
        "capacity": state.journal.capacity,
    }


async def delete_requests(request: web.Request, state: ServerState) -> web.Response:
    """200 with the (now empty) journal: every control answer is JSON, as documented."""
    state.journal.clear()
    return _json(_journal_json(state))


async def get_faults(request: web.Request, state: ServerState) -> web.Response:
    return _json({"faults": [rule.to_json() for rule in state.faults.rules]})


_FAULT_FIELDS = {
    "status": (int, type(None)),
    "delay_ms": (int,),
    "times": (int, type(None)),
    "path": (str, type(None)),
    "retry_after": (int, type(None)),
    "kind": (str, type(None)),
}


def _integral(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


async def post_faults(request: web.Request, state: ServerState) -> web.Response:
    _single_worker(request.app[SETTINGS])
    data = await _body(request)
    if not isinstance(data, dict):
        raise ControlError(
            400, 'expected a JSON object like {"status": 503, "times": 1, "path": "/api/*", "delay_ms": 0}'
        )
    # JSON Schema's integer includes 5.0 (the document says integer): accept what it allows
    data = {k: _integral(v) for k, v in data.items()}
    problems = [
        f"unknown key {key!r} (allowed: {', '.join(_FAULT_FIELDS)})"
        for key in data
        if key not in _FAULT_FIELDS
    ]
    problems += [
        f"{key}: {value!r} has the wrong type"
        for key, value in data.items()
        if key in _FAULT_FIELDS and (isinstance(value, bool) or not isinstance(value, _FAULT_FIELDS[key]))
    ]
    if isinstance(data.get("delay_ms"), int) and data["delay_ms"] > FAULT_MAX_DELAY_MS:
        problems.append(f"delay_ms: {data['delay_ms']} is more than {FAULT_MAX_DELAY_MS} (an hour)")
    if isinstance(data.get("times"), int) and data["times"] > INT4_MAX:
        problems.append(f"times: {data['times']} is more than {INT4_MAX} (use null: until removed)")
    if isinstance(data.get("retry_after"), int) and data["retry_after"] > INT4_MAX:
        problems.append(f"retry_after: {data['retry_after']} is more than {INT4_MAX} seconds")
    if not problems:
        try:
            rule = FaultRule(**data)
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise ControlError(422, "invalid fault", problems)
    state.faults.add(rule)
    return _json({"faults": [r.to_json() for r in state.faults.rules]}, 201)


async def delete_faults(request: web.Request, state: ServerState) -> web.Response:
    """200 with the (now empty) fault list: every control answer is JSON, as documented."""
    state.faults.clear()
    return _json({"faults": [r.to_json() for r in state.faults.rules]})


async def post_session_action(request: web.Request, state: ServerState) -> web.Response:
    """The course player's test aid: advance one session (``progress.py``), answer the record."""
    _single_worker(request.app[SETTINGS])
    data = await _body(request)
    try:
        record = session_action(
            state, request.match_info["id"], request.match_info["action"], data, datetime.date.today()
        )
    except KeyError as exc:
        raise ControlError(404, str(exc.args[0])) from None
    except ValueError as exc:
        raise ControlError(422, str(exc)) from None
    return _json(record)


async def get_player_script(request: web.Request, state: ServerState) -> web.Response:
    """The script of the player's test aid (served here so the page's policy allows only 'self')."""
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    return web.Response(body=PLAYER_SCRIPT, content_type="text/javascript", headers=headers)


_DOCUMENT: dict[str, Any] = {}


async def get_openapi(request: web.Request, state: ServerState) -> web.Response:
    """This API's own OpenAPI document (built once), naming this server."""
    if not _DOCUMENT:
        _DOCUMENT.update(build_control_openapi())
    return _json({**_DOCUMENT, "servers": [{"url": f"{request.scheme}://{request.host}"}]})


ENDPOINTS: dict[str, dict[str, ControlHandler]] = {
    "health": {"GET": health},
    "reset": {"POST": reset},
    "records": {"GET": get_records, "PUT": put_records, "POST": post_records},
    "requests": {"GET": get_requests, "DELETE": delete_requests},
    "faults": {"GET": get_faults, "POST": post_faults, "DELETE": delete_faults},
    "openapi.json": {"GET": get_openapi},
    "sessions/{id}/{action}": {"POST": post_session_action},
    "player.js": {"GET": get_player_script},
}
"""Every control endpoint: name under the prefix -> method -> handler."""


def _endpoint(methods: dict[str, ControlHandler]) -> Callable[[web.Request], Awaitable[web.Response]]:
    allow = ", ".join(sorted({*methods, "HEAD"} if "GET" in methods else methods))

    async def handle(request: web.Request) -> web.Response:
        method = "GET" if request.method == "HEAD" else request.method
        try:
            refusal = _refusal(request, request.app[SETTINGS])
            if refusal is not None:
                raise refusal
            handler = methods.get(method)
            if handler is None:
                raise ControlError(
                    405, f"{request.method} is not allowed here (allowed: {allow})", headers={"Allow": allow}
                )
            return await handler(request, request.app[STATE])
        except ControlError as error:
            return error.response()

    return handle


async def _unknown(request: web.Request) -> web.Response:
    refusal = _refusal(request, request.app[SETTINGS])
    if refusal is not None:
        return refusal.response()
    known = ", ".join(CONTROL_PREFIX + name for name in ENDPOINTS)
    return ControlError(404, f"no control endpoint {request.path!r} (known: {known})").response()


def add_control_routes(
    app: web.Application,
    wrap: Callable[
        [Callable[[web.Request], Awaitable[web.StreamResponse]]],
        Callable[[web.Request], Awaitable[web.StreamResponse]],
    ] = lambda h: h,
) -> None:
    """Route every control endpoint (each handler passed through ``wrap``); call before the
    API's catch-all route is added."""
    for name, methods in ENDPOINTS.items():
        app.router.add_route("*", CONTROL_PREFIX + name, wrap(_endpoint(methods)))
    app.router.add_route("*", CONTROL_PREFIX + r"{tail:[\s\S]*}", wrap(_unknown))
