"""``mockserver proxy``: a local validating proxy in front of the live API.

Clients point at the proxy instead of the live API. Each answer is passed through unchanged
(status, body bytes, headers except the hop-by-hop ones) and checked on the side against
``schemas/``: an index answer against ``list``, a show against ``record``, a 4xx/5xx JSON body
against ``error`` (Rails' plain-text 401 is allowed). A violation never changes the answer: it is
logged as one JSON line and counted in the proxy's own ``/__mockserver/health``. When the
upstream cannot be reached or is too slow, the proxy says so (502/504 with the reason) rather
than inventing an answer, and logs it too.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import logging
import re
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from multidict import CIMultiDict
from yarl import URL

from mockserver.errors import UsageError
from mockserver.network import is_loopback
from mockserver.schemas import iter_violations
from mockserver.server import serving
from mockserver.server.guard import host_middleware
from mockserver.server.redaction import redact
from mockserver.settings import api_token_from_environment
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

__all__ = ["ProxyConfig", "ProxyStats", "check_answer", "create_proxy_app", "register"]

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
INDEX_PATH = re.compile(r"/api/train_sessions(?:\.json)?/?\Z")
SHOW_PATH = re.compile(r"/api/train_sessions/[^/]+?(?:\.json)?\Z")
XML_PATH = re.compile(r"/api/train_sessions(?:/[^/]+)?\.xml\Z")


@dataclass
class ProxyStats:
    """Counters served at ``/__mockserver/health``."""

    requests: int = 0
    checked: int = 0  # answers a schema applied to
    violations: int = 0
    upstream_errors: int = 0


@dataclass(frozen=True)
class ProxyConfig:
    """What one proxy forwards to, and how."""

    upstream: URL  # origin plus an optional path prefix, no trailing slash
    token: str | None = None  # injected when the client sends no Authorization
    timeout: float = 30.0
    access_log: bool = True


@dataclass(frozen=True)
class Finding:
    """One schema violation (or unreadable body) in one answer."""

    pointer: str
    rule: str
    message: str


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


def _schema_for(method: str, path: str, status: int, content_type: str) -> str | None:
    """Which schema an answer must follow (None: not checked)."""
    if method == "HEAD" or status in (204, 304) or XML_PATH.match(path):
        return None
    if status >= 400:
        if status == 401 and content_type.startswith("text/plain"):
            return None  # Rails' "HTTP Token: Access denied." is plain text by design
        return "error"
    if 200 <= status < 300:
        if INDEX_PATH.match(path):
            return "list"
        if SHOW_PATH.match(path):
            return "record"
    return None


def _decoded(body: bytes, encoding: str) -> bytes:
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompress(body, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:
            return zlib.decompress(body, -zlib.MAX_WBITS)
    return body


def check_answer(
    method: str, path: str, status: int, headers: Any, body: bytes
) -> tuple[str | None, list[Finding]]:
    """The schema an answer must follow and how it breaks it (empty when it conforms)."""
    content_type = (headers.get("Content-Type") or "").lower()
    schema = _schema_for(method, path, status, content_type)
    if schema is None:
        return None, []
    findings = []
    if not content_type.startswith("application/json"):
        findings.append(
            Finding("", "content-type", f"expected application/json, got {content_type or 'none'!r}")
        )
    encoding = (headers.get("Content-Encoding") or "identity").strip().lower()
    try:
        instance = json.loads(_decoded(body, encoding))
    except (ValueError, zlib.error) as exc:
        excerpt = body[:60].decode("utf-8", "replace")
        findings.append(Finding("", "json", f"the body is not JSON ({exc}); starts {excerpt!r}"))
        return schema, findings
    for violation in iter_violations(instance, schema):
        findings.append(Finding(violation.json_pointer, violation.rule, violation.message))
    return schema, findings


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


async def forward(request: web.Request) -> web.StreamResponse:
    """Pass one request to the upstream and its answer back, checking the answer on the way."""
    config, stats, emit = request.app[CONFIG], request.app[STATS], request.app[EMIT]
    stats.requests += 1
    started = time.perf_counter()
    shown = scrub(f"{request.method} {redact(request.raw_path)}", config.token)
    try:
        target = forward_url(config.upstream, request.raw_path)
    except TargetError as exc:
        _access(config, shown, 400, started, "refused: not an origin-form target")
        return _bad_target(str(exc))
    data = await request.read()
    try:
        async with request.app[SESSION].request(
            request.method,
            target,
            headers=_forward_headers(request, config.token),
            data=data or None,
            allow_redirects=False,
        ) as answer:
            body = await answer.read()
            status, reason, raw_headers = answer.status, answer.reason, answer.headers
    except (TimeoutError, aiohttp.ClientError) as exc:
        stats.upstream_errors += 1
        status = 504 if isinstance(exc, TimeoutError) else 502
        why = (
            f"no answer within {config.timeout:g}s"
            if status == 504
            else scrub(client_error_reason(exc), config.token)
        )
        emit({"time": _now(), "kind": "upstream_error", "request": shown, "status": status, "upstream": why})
        _access(config, shown, status, started, f"upstream error: {why}")
        return _gateway_error(status, why)
    schema, findings = check_answer(request.method, request.path, status, raw_headers, body)
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
    encoding = (headers.get("Content-Encoding") or "identity").strip().lower()
    try:
        decoded = _decoded(body, encoding)
    except zlib.error:
        decoded = body
    sent = _forward_headers(request, request.app[CONFIG].token)
    observe(request.method, target, sent, status, headers, decoded, time.time() - elapsed, elapsed * 1000)


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

    ``middlewares`` is the hook for request checks that run before anything is forwarded
    (e.g. the server's Host-header check against DNS rebinding, so a rebinding page cannot
    reach the live API with the proxy's token); ``cmd_proxy`` passes ``guard.host_middleware``.
    """
    app = web.Application(client_max_size=16 * 1024 * 1024, middlewares=[_origin_form_only, *middlewares])
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
            try:
                log_file = open(args.violations_log, "a", encoding="utf-8")  # noqa: SIM115
            except OSError as exc:
                raise UsageError(f"--violations-log {args.violations_log}: {exc.strerror or exc}") from None
        config = ProxyConfig(base, token, args.timeout, access_log=not args.quiet)
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
        description="Forward every request to URL and its answer back unchanged, checking "
        "each answer against schemas/. Violations are logged as JSON lines and "
        f"counted at {HEALTH_PATH}; upstream failures answer 502/504 with the reason.",
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
    add_record_options(p)
    p.set_defaults(run=cmd_proxy)
