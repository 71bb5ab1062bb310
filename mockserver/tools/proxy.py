"""``mockserver proxy``: a local validating proxy in front of the live API.

Clients point at the proxy instead of the live API. Each answer is passed through unchanged
(status, body bytes, headers except the hop-by-hop ones) and checked on the side against
``schemas/``: an index answer against ``list``, a show against ``record``, a 4xx/5xx JSON body
against ``error`` (Rails' plain-text 401 is allowed). A violation never changes the answer: it is
logged as one JSON line and counted in the proxy's own ``/__mockserver/health``. When the
upstream cannot be reached or is too slow, the proxy says so (502/504 with the reason) rather
than inventing an answer, and logs it too.

The proxy adds the developer's token, so it must not act for a web page (a confused deputy):
a request with a foreign ``Origin`` or ``Sec-Fetch-Site: cross-site`` is refused with 403
(``guard.origin_middleware``, the control API's rule), and only GET and HEAD are forwarded;
the API revision's one write, ``POST /api/train_sessions/unassign``, only with
``--allow-writes``. Every other method, a CORS preflight ``OPTIONS`` included, is 403 and
reaches nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import errno
import json
import logging
import os
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from multidict import CIMultiDict
from yarl import URL

from mockserver.engine.auth import token_from_header
from mockserver.errors import UsageError
from mockserver.network import is_loopback
from mockserver.server import serving
from mockserver.server.guard import forbidden, host_middleware, origin_middleware
from mockserver.server.redaction import REDACTED, redact
from mockserver.settings import api_token_from_environment
from mockserver.tools.conformance import UncheckedError, check_answer, decoded_body
from mockserver.tools.proxy_record import add_record_options, recorder_from_args
from mockserver.tools.upstream import (
    TOKEN_VARIABLE,
    TargetError,
    add_client_options,
    client_error_reason,
    forward_url,
    origin_url,
    passthrough_session,
    scrub,
    target_problem,
    token_header,
)

__all__ = ["ProxyConfig", "ProxyStats", "create_proxy_app", "register"]

log = logging.getLogger("mockserver.tools.proxy")
HEALTH_PATH = "/__mockserver/health"
DEFAULT_PORT = 3001
# RFC 9110 7.6.1: meaningful for one connection only, never forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
UNASSIGN_PATH = re.compile(r"/api/train_sessions/unassign(?:\.json|\.xml)?\Z")
READS = frozenset({"GET", "HEAD"})
MAX_ANSWER = 64 * 1024 * 1024  # bytes read of one upstream answer; past it: 502


@dataclass
class ProxyStats:
    """Counters served at ``/__mockserver/health``."""

    requests: int = 0
    checked: int = 0  # answers a schema applied to
    violations: int = 0
    upstream_errors: int = 0
    unchecked: int = 0  # answers a schema applied to but that were too large to decode


@dataclass(frozen=True)
class ProxyConfig:
    """What one proxy forwards to, and how."""

    upstream: URL  # origin plus an optional path prefix, no trailing slash
    token: str | None = None  # injected when the client sends no Authorization
    timeout: float = 30.0
    access_log: bool = True
    allow_origins: tuple[str, ...] = ()  # web pages that may use the proxy (loopback ones always may)
    allow_writes: bool = False  # forward POST /api/train_sessions/unassign too


STATS = web.AppKey("proxy_stats", ProxyStats)
CONFIG = web.AppKey("proxy_config", ProxyConfig)
Emit = Callable[[dict[str, Any]], None]
EMIT: web.AppKey[Emit] = web.AppKey("proxy_emit")
SESSION = web.AppKey("proxy_session", aiohttp.ClientSession)
# proxy --record/--har (proxy_record.py): (method, upstream URL, headers sent, status, answer
# headers, decoded body, epoch start, elapsed ms) of each exchange
Observer = Callable[[str, URL, CIMultiDict[str], int, Any, bytes, float, float], None]
OBSERVER: web.AppKey[Observer] = web.AppKey("proxy_observer")


def upstream_base(url: str) -> URL:
    """The origin (and any path prefix) requests are forwarded to; the API path is the client's."""
    return origin_url(url)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _forward_headers(request: web.Request, token: str | None) -> CIMultiDict[str]:
    named = {h.strip().lower() for h in request.headers.get("Connection", "").split(",")}
    headers: CIMultiDict[str] = CIMultiDict(
        (k, v)
        for k, v in request.headers.items()
        if k.lower() not in HOP_BY_HOP and k.lower() not in named and k.lower() != "host"
    )
    if token and "Authorization" not in headers:
        headers["Authorization"] = token_header(token)
    return headers


def _answer_headers(headers: Any) -> CIMultiDict[str]:
    named = {h.strip().lower() for h in headers.get("Connection", "").split(",")}
    return CIMultiDict(
        (k, v)
        for k, v in headers.items()
        if k.lower() not in HOP_BY_HOP and k.lower() not in named and k.lower() != "content-length"
    )


def _undecodable_header(request: web.Request) -> str | None:
    """The name of a header whose bytes are not UTF-8, or None.

    aiohttp decodes header bytes as UTF-8 with surrogate escapes, and its client encodes header
    text as UTF-8: the escaped bytes would be dropped (``X-Foo: caf\\xe9`` reached the upstream
    as ``caf``). Such a request is refused (400) rather than forwarded changed."""
    for name, value in request.raw_headers:
        if not (name.isascii() and value.isascii()):
            try:
                name.decode("utf-8"), value.decode("utf-8")
            except UnicodeDecodeError:
                return repr(name.decode("latin-1"))
    return None


def _bad_request(message: str) -> web.Response:
    body = {"status": 400, "error": "Bad Request", "message": message}
    return web.json_response(body, status=400, headers={"X-Mockserver-Proxy": "refused"})


def _bad_target(reason: str) -> web.Response:
    body = {
        "status": 400,
        "error": "Bad Request",
        "message": f"{reason}; the proxy forwards only origin-form targets (/api/...) to its upstream",
    }
    return web.json_response(body, status=400, headers={"X-Mockserver-Proxy": "refused"})


@web.middleware
async def _origin_form_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse absolute-, authority- and asterisk-form targets before routing (they match no route
    and would get aiohttp's text 404); ``forward_url`` refuses them again when building the URL."""
    problem = target_problem(request.raw_path)
    if problem:
        config = request.app[CONFIG]
        shown = scrub(f"{request.method} {redact(request.raw_path)}", config.token)
        _access(config, shown, 400, time.perf_counter(), "refused: not an origin-form target")
        return _bad_target(problem)
    return await handler(request)


def _gateway_error(status: int, reason: str) -> web.Response:
    phrase = "Bad Gateway" if status == 502 else "Gateway Timeout"
    body = json.dumps(
        {"status": status, "error": phrase, "upstream": reason}, separators=(",", ":")
    ).encode()  # compact, like Rails' own error bodies
    return web.Response(
        status=status,
        body=body,
        content_type="application/json",
        headers={"X-Mockserver-Proxy": "upstream-error"},
    )


def _method_refusal(request: web.Request, config: ProxyConfig) -> web.Response | None:
    """403 for a method the proxy does not forward (see the module docstring), else None."""
    if request.method in READS:
        return None
    if request.method == "POST" and UNASSIGN_PATH.match(request.path):
        if config.allow_writes:
            return None
        return forbidden(
            "method",
            f"POST {request.path} changes data: the proxy forwards it only when started with "
            "--allow-writes (it exists to validate reads)",
        )
    if request.method == "OPTIONS":
        return forbidden(
            "method",
            "OPTIONS (a CORS preflight) is not forwarded: the proxy answers no web page "
            "with the developer's token; it forwards GET and HEAD only",
        )
    return forbidden(
        "method",
        f"{request.method} is not forwarded: the proxy forwards GET and HEAD only "
        "(and POST /api/train_sessions/unassign with --allow-writes)",
    )


def _hider(request: web.Request, config: ProxyConfig) -> Callable[[str], str]:
    """What makes a text safe to log: the proxy's token and the one the client sent scrubbed
    (an upstream may reflect ``Authorization`` in a body, which findings quote)."""
    sent = request.headers.get("Authorization", "")
    client = {token_from_header(sent), sent.strip().partition(" ")[2].strip()}
    secrets = [(config.token, TOKEN_VARIABLE)] + [(token, REDACTED) for token in client if token]

    def hide(text: str) -> str:
        for token, name in secrets:
            text = scrub(text, token, name)
        return text

    return hide


async def forward(request: web.Request) -> web.StreamResponse:
    """Pass one request to the upstream and its answer back, checking the answer on the way."""
    config, stats = request.app[CONFIG], request.app[STATS]
    hide, emit_raw = _hider(request, config), request.app[EMIT]

    def emit(entry: dict[str, Any]) -> None:  # every text field of every log record scrubbed
        emit_raw({key: hide(value) if isinstance(value, str) else value for key, value in entry.items()})

    stats.requests += 1
    started = time.perf_counter()
    shown = scrub(f"{request.method} {redact(request.raw_path)}", config.token)
    refusal = _method_refusal(request, config)
    if refusal is not None:
        _access(config, shown, 403, started, "refused: method not forwarded")
        return refusal
    undecodable = _undecodable_header(request)
    if undecodable is not None:
        _access(config, shown, 400, started, "refused: a header is not UTF-8")
        return _bad_request(
            f"the {undecodable} header holds bytes that are not UTF-8: the proxy could not forward "
            "them unchanged, so it forwards nothing (send the value as UTF-8, or percent-encode it)"
        )
    try:
        target = forward_url(config.upstream, request.raw_path)
    except TargetError as exc:
        _access(config, shown, 400, started, "refused: not an origin-form target")
        return _bad_target(str(exc))
    try:
        async with asyncio.timeout(config.timeout):  # a body trickled in would hold the request
            data = await request.read()
    except TimeoutError:
        _access(config, shown, 408, started, "refused: the body was too slow")
        message = f"the request body did not arrive within {config.timeout:g}s (--timeout)"
        response = web.json_response(
            {"status": 408, "error": "Request Timeout", "message": message}, status=408
        )
        response.force_close()
        return response
    try:
        async with request.app[SESSION].request(
            request.method,
            target,
            headers=_forward_headers(request, config.token),
            data=data or None,
            allow_redirects=False,
        ) as answer:
            body = await _read_bounded(answer)
            status, reason, raw_headers = answer.status, answer.reason, answer.headers
    except (TimeoutError, aiohttp.ClientError, AnswerTooLargeError) as exc:
        stats.upstream_errors += 1
        status = 504 if isinstance(exc, TimeoutError) else 502
        if status == 504:
            why = f"no answer within {config.timeout:g}s"
        elif isinstance(exc, AnswerTooLargeError):
            why = str(exc)
        else:
            why = hide(client_error_reason(exc))
        emit({"time": _now(), "kind": "upstream_error", "request": shown, "status": status, "upstream": why})
        _access(config, shown, status, started, f"upstream error: {why}")
        return _gateway_error(status, why)
    try:
        schema, findings = check_answer(request.method, request.path, status, raw_headers, body, hide)
    except UncheckedError as exc:
        schema, findings = None, []
        stats.unchecked += 1
        emit({"time": _now(), "kind": "unchecked", "request": shown, "status": status, "reason": str(exc)})
    if (observe := request.app.get(OBSERVER)) is not None:
        _observe(observe, request, target, status, raw_headers, body, started)
    if schema is not None:
        stats.checked += 1
    for finding in findings:
        stats.violations += 1
        emit(
            {
                "time": _now(),
                "kind": "violation",
                "request": shown,
                "status": status,
                "schema": schema,
                "pointer": finding.pointer,
                "rule": finding.rule,
                "message": finding.message,
            }
        )
    _access(config, shown, status, started, f"{len(findings)} violation(s) of {schema}" if findings else "")
    headers = _answer_headers(raw_headers)
    if request.method == "HEAD":
        response = web.Response(status=status, reason=reason, headers=headers)
        if "Content-Length" in raw_headers:
            response.headers["Content-Length"] = raw_headers["Content-Length"]
        return response
    return web.Response(status=status, reason=reason, body=body, headers=headers)


def _observe(
    observe: Observer,
    request: web.Request,
    target: URL,
    status: int,
    headers: Any,
    body: bytes,
    started: float,
) -> None:
    elapsed = time.perf_counter() - started
    decoded = decoded_body(body, headers.get("Content-Encoding") or "")  # as sent when unreadable
    sent = _forward_headers(request, request.app[CONFIG].token)
    observe(request.method, target, sent, status, headers, decoded, time.time() - elapsed, elapsed * 1000)


class AnswerTooLargeError(Exception):
    """The upstream's answer is longer than ``MAX_ANSWER``: not read further (502)."""


async def _read_bounded(answer: aiohttp.ClientResponse) -> bytes:
    """The answer's body as sent (still encoded), at most ``MAX_ANSWER`` bytes."""
    declared = answer.content_length if answer.method != "HEAD" else None  # HEAD: the GET's length
    if declared is not None and declared > MAX_ANSWER:
        raise AnswerTooLargeError(f"the answer is {declared} bytes, more than the proxy reads ({MAX_ANSWER})")
    chunks, size = [], 0
    while chunk := await answer.content.readany():
        size += len(chunk)
        if size > MAX_ANSWER:
            raise AnswerTooLargeError(f"the answer is longer than the proxy reads ({MAX_ANSWER} bytes)")
        chunks.append(chunk)
    return b"".join(chunks)


def _access(config: ProxyConfig, shown: str, status: int, started: float, note: str) -> None:
    if config.access_log:
        elapsed = (time.perf_counter() - started) * 1000
        log.info("%s %d %.1fms%s", shown, status, elapsed, f" {note}" if note else "")


async def health(request: web.Request) -> web.Response:
    stats = request.app[STATS]
    return web.json_response(
        {
            "status": "ok",
            "upstream": str(request.app[CONFIG].upstream),
            "requests": stats.requests,
            "checked": stats.checked,
            "violations": stats.violations,
            "upstream_errors": stats.upstream_errors,
            "unchecked": stats.unchecked,
        }
    )


async def _unknown_control(request: web.Request) -> web.Response:
    return web.json_response(
        {"status": 404, "error": "Not Found", "message": f"the proxy serves only {HEALTH_PATH}"}, status=404
    )


def create_proxy_app(
    config: ProxyConfig,
    emit: Callable[[dict[str, Any]], None],
    middlewares: Sequence[Middleware] = (),
    observe: Observer | None = None,
) -> web.Application:
    """The proxy as an aiohttp application; ``emit`` receives each log record (a dict).

    The origin rule always applies. ``middlewares`` is the hook for further request checks that
    run before anything is forwarded (e.g. the server's Host-header check against DNS
    rebinding, which depends on the bind address); ``cmd_proxy`` passes ``guard.host_middleware``.
    """
    front = [_origin_form_only, origin_middleware(config.allow_origins, "the proxy"), *middlewares]
    app = web.Application(client_max_size=16 * 1024 * 1024, middlewares=front)
    app[CONFIG] = config
    app[STATS] = ProxyStats()
    app[EMIT] = emit
    if observe is not None:
        app[OBSERVER] = observe

    async def session(app: web.Application) -> AsyncIterator[None]:
        async with passthrough_session(config.timeout) as client:
            app[SESSION] = client
            yield

    app.cleanup_ctx.append(session)
    app.router.add_get(HEALTH_PATH, health)
    app.router.add_route("*", "/__mockserver/{tail:.*}", _unknown_control)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


def json_lines(stream: TextIO) -> Callable[[dict[str, Any]], None]:
    """An ``emit`` writing one JSON object per line, flushed at once (``tail -f`` friendly)."""

    def emit(entry: dict[str, Any]) -> None:
        stream.write(json.dumps(entry, ensure_ascii=False) + "\n")
        stream.flush()

    return emit


def _append_only(path: Path) -> TextIO:
    """The violations log, opened to append: a log grows, so it cannot be replaced atomically
    as output files are; a symlink at ``path`` is refused instead of followed."""
    flags = (
        os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    )
    try:
        return open(os.open(path, flags, 0o600), "a", encoding="utf-8")
    except OSError as exc:
        why = "a symlink (refused: it would redirect the log)" if exc.errno == errno.ELOOP else exc.strerror
        raise UsageError(f"--violations-log {path}: {why or exc}") from None


def cmd_proxy(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    base = upstream_base(args.upstream)
    if args.timeout <= 0:
        raise UsageError(f"--timeout {args.timeout:g}: expected a positive number of seconds")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: expected 0..65535")
    token = args.api_token or api_token_from_environment()
    recorder = recorder_from_args(args, token)  # --record/--har: checked before binding
    sock = serving.listen(args.host, args.port, backlog=256)
    log_file: TextIO | None = None
    try:
        if args.violations_log is not None:
            log_file = _append_only(args.violations_log)
        config = ProxyConfig(
            base,
            token,
            args.timeout,
            access_log=not args.quiet,
            allow_origins=tuple(args.allow_origins or ()),
            allow_writes=args.allow_writes,
        )
        # the server's DNS-rebinding rule: on loopback, only loopback Host names reach the live API
        observe = recorder.observe if recorder is not None else None
        app = create_proxy_app(config, json_lines(log_file or err), [host_middleware(args.host)], observe)
        host = f"[{args.host}]" if ":" in args.host else args.host
        local = f"http://{host}:{sock.getsockname()[1]}"

        def banner() -> Iterator[str]:
            yield f"mockserver: proxying {local} -> {base}"
            where = args.violations_log or "stderr"
            yield f"mockserver: violations as JSON lines to {where}; counters at {local}{HEALTH_PATH}"
            if token:
                source = "--api-token" if args.api_token else TOKEN_VARIABLE
                yield (
                    f"mockserver: adding the token from {source} to requests that carry no "
                    "Authorization header"
                )
            if args.allow_writes:
                yield "mockserver: warning: --allow-writes: POST .../unassign reaches the live API"
            if not is_loopback(args.host):
                yield f"mockserver: warning: bound to {args.host}, reachable from other machines"

        def ready(port: int) -> None:
            for line in banner():
                print(line, file=out)
            out.flush()

        asyncio.run(serving.serve(app, sock, ready, shutdown_timeout=5.0))
    finally:
        sock.close()
        if log_file is not None:
            log_file.close()
    return recorder.finish(err) if recorder is not None else 0


def register(subparsers: Any) -> None:
    """Add ``proxy`` to the CLI."""
    p = subparsers.add_parser(
        "proxy",
        help="a validating proxy in front of the live API",
        description="Forward GET and HEAD requests to URL and their answers back unchanged, "
        "checking each answer against schemas/. Violations are logged as JSON lines and "
        f"counted at {HEALTH_PATH}; upstream failures answer 502/504 with the reason. Requests "
        "from other sites' pages (Origin, Sec-Fetch-Site) and other methods are refused (403).",
    )
    # a timed-out upstream request answers 504
    add_client_options(p, "timeout", upstream=True, token_use=" added to requests that carry none")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks a free one)"
    )
    p.add_argument(
        "--violations-log",
        type=Path,
        metavar="PATH",
        help="append violation and upstream-error lines here (default: stderr)",
    )
    p.add_argument("--quiet", action="store_true", help="no access log line per request")
    p.add_argument(
        "--allow-origin",
        dest="allow_origins",
        action="append",
        metavar="ORIGIN",
        help="let web pages from ORIGIN use the proxy (repeatable; loopback origins always may)",
    )
    p.add_argument(
        "--allow-writes",
        action="store_true",
        help="also forward POST /api/train_sessions/unassign (default: GET and HEAD only)",
    )
    add_record_options(p)
    p.set_defaults(run=cmd_proxy)
