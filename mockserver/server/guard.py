"""Who may talk to a mock on a developer's laptop: the Host, Origin and Content-Type rules.

A web page the developer visits can send requests to ``127.0.0.1`` (a form posting
``text/plain`` needs no CORS preflight), and a DNS-rebinding page can even read the answers,
because the browser believes ``evil.example`` now lives on loopback. Two rules close both:

* **Host** (every route, when bound to loopback): the ``Host`` header must name a loopback
  address or name (``127.0.0.0/8``, ``localhost``, ``*.localhost``, ``[::1]``; any port) or one
  listed with ``--allow-host``. A rebinding page always sends its own name, so it is refused.
  A request with no Host header at all (HTTP/1.0) comes from no browser and is let through.
* **Origins** (``/__mockserver/`` only, whatever the bind; every route of ``mockserver proxy``):
  a request that carries ``Origin`` must come from a loopback origin or one listed with
  ``--allow-origin``; one without ``Origin`` must not say ``Sec-Fetch-Site: cross-site`` (an
  ``<img>``, a link or a no-cors ``fetch`` from another site sends no ``Origin``).
* **Control writes** (``/__mockserver/`` only): anything but GET/HEAD must be
  ``Content-Type: application/json``, which no form can send and which makes ``fetch`` ask a
  CORS preflight this server never grants (the control API sends no CORS headers).

Refusals are 403 with a JSON body naming the rule and the flag that widens it. The Host check
is on the hot path of the API route, so its verdict is memoised per Host header value (in a
small bounded dict: an attacker sending many distinct Host values only evicts the memo).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import orjson
from aiohttp import web
from aiohttp.typedefs import Middleware

from mockserver.network import is_loopback
from mockserver.server.control import CONTROL_PREFIX

__all__ = [
    "HostCheck",
    "Policy",
    "cross_site_refusal",
    "forbidden",
    "guard_middleware",
    "host_middleware",
    "origin_middleware",
]

MEMO_SIZE = 256
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def host_of(header: str) -> str:
    """The host part of a ``Host`` header or origin authority, lower-cased, port removed."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[: header.find("]") + 1] if "]" in header else header
    name, colon, port = header.rpartition(":")
    digits = port.isascii() and port.isdigit()  # '²'.isdigit() is True
    return name if colon and digits and ":" not in name else header


class HostCheck:
    """Whether a ``Host`` header value may reach a server bound to loopback; memoised."""

    __slots__ = ("_allowed", "_any", "_memo")

    def __init__(self, allowed: Iterable[str] = ()) -> None:
        names = {host_of(a) for a in allowed}
        self._any = "*" in names
        self._allowed = frozenset(names)
        self._memo: dict[str, bool] = {}

    def __call__(self, header: str) -> bool:
        verdict = self._memo.get(header)
        if verdict is None:
            host = host_of(header)
            verdict = self._any or host in self._allowed or is_loopback(host)
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[header] = verdict
        return verdict


def _origin_allowed(origin: str, allowed: frozenset[str]) -> bool:
    origin = origin.strip().lower().rstrip("/")
    if "*" in allowed or origin in allowed:
        return True
    scheme, sep, authority = origin.partition("://")
    return bool(sep) and scheme in ("http", "https") and is_loopback(host_of(authority))


@dataclass(frozen=True)
class Policy:
    """The rules one server applies: built from its bind address and the widening flags."""

    check_host: bool  # bound to loopback: refuse foreign Host headers
    hosts: HostCheck
    origins: frozenset[str]

    @classmethod
    def build(cls, bind: str, allow_hosts: Iterable[str] = (), allow_origins: Iterable[str] = ()) -> Policy:
        return cls(
            check_host=is_loopback(bind),
            hosts=HostCheck(allow_hosts),
            origins=normalised_origins(allow_origins),
        )


def forbidden(rule: str, message: str) -> web.Response:
    """A 403 whose JSON body names the ``rule`` that refused the request and why."""
    body = {"status": 403, "error": "Forbidden", "rule": rule, "message": message}
    return web.Response(status=403, body=orjson.dumps(body), content_type="application/json")


def _host_refusal(host: str) -> web.Response:
    return forbidden(
        "host",
        f"Host {host!r} is not a loopback name: this server listens on loopback and refuses "
        "other names (a DNS-rebinding page sends its own). Start it with --allow-host NAME "
        "to accept that name",
    )


def cross_site_refusal(
    request: web.Request, origins: frozenset[str], what: str = "the control API"
) -> web.Response | None:
    """The origin rule: a 403 for a foreign ``Origin``, or for ``Sec-Fetch-Site: cross-site``
    without one; None when the request may go on. ``origins``: the ``--allow-origin`` values,
    normalised as ``Policy.build`` does; ``what`` names the guarded thing in the message."""
    origin = request.headers.get("Origin")
    if origin is not None:
        if _origin_allowed(origin, origins):
            return None
        return forbidden(
            "origin",
            f"Origin {origin!r} may not use {what}: only loopback origins may. "
            "Start it with --allow-origin ORIGIN to accept that origin",
        )
    site = request.headers.get("Sec-Fetch-Site", "").strip().lower()
    if site == "cross-site":
        return forbidden(
            "origin",
            f"Sec-Fetch-Site: cross-site: a page of another site sent this request to {what} "
            "(a link, an <img> or a no-cors fetch carries no Origin). Open it from this machine "
            "(curl, a test) or from an --allow-origin page",
        )
    return None


def normalised_origins(allow_origins: Iterable[str]) -> frozenset[str]:
    """``--allow-origin`` values as the origin rule compares them."""
    return frozenset(o.strip().lower().rstrip("/") for o in allow_origins)


def _control_refusal(request: web.Request, policy: Policy) -> web.Response | None:
    refusal = cross_site_refusal(request, policy.origins)
    if refusal is not None:
        return refusal
    if request.method not in _READS:
        media_type = request.headers.get("Content-Type", "").partition(";")[0].strip().lower()
        if media_type != "application/json":
            shown = media_type or "none"
            return forbidden(
                "content-type",
                f"{request.method} {request.path} needs Content-Type: application/json (got "
                f"{shown}): a web page's form cannot send it, so the control API requires it "
                "for every change (curl: -H 'Content-Type: application/json')",
            )
    return None


# Puma 5.6's parser limits (ext/puma_http11/http11_parser_common.rl, puma_http11.c): a longer
# path, query or target is refused before Rails sees it. aiohttp is told to read request lines
# up to MAX_REQUEST_LINE so that these, not aiohttp's 8,190 bytes, decide.
MAX_PATH_LENGTH = 8 * 1024
MAX_QUERY_LENGTH = 10 * 1024
MAX_URI_LENGTH = 12 * 1024
MAX_REQUEST_LINE = 16 * 1024  # past Puma's URI limit, so that limit answers (longer: aiohttp's own 400)


def puma_refuses(target: str) -> bool:
    """Whether Puma's parser refuses this raw request target as too long."""
    path, _, query = target.partition("?")
    return len(target) > MAX_URI_LENGTH or len(path) > MAX_PATH_LENGTH or len(query) > MAX_QUERY_LENGTH


def _puma_bad_request(request: web.Request) -> web.StreamResponse:
    """Puma's own answer to a target it cannot parse: a bare status line, then the close."""
    transport = request.transport
    if transport is not None:
        transport.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        transport.close()
    return web.Response(status=400)  # never sent: the connection is gone


def guard_middleware(
    policy: Policy, not_found: Callable[[web.Request], web.StreamResponse] | None = None
) -> Middleware:
    """The mock's middleware: every rule in this module, before the route's handler runs.

    ``not_found`` answers a target no route matches (aiohttp's 404/405), so the app needs
    one middleware in all: each is a coroutine layer per request.
    """
    check_host, hosts = policy.check_host, policy.hosts

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if len(request.raw_path) > MAX_PATH_LENGTH and puma_refuses(request.raw_path):
            return _puma_bad_request(request)
        # the API's path: a known Host costs one dict lookup and one prefix test
        if check_host:
            host = request.headers.get("Host")
            if host is not None and not hosts(host):
                return _host_refusal(host)
        if request.path.startswith(CONTROL_PREFIX):
            answer = _control_refusal(request, policy)
            if answer is not None:
                return answer
        if not_found is None:
            return await handler(request)
        try:
            return await handler(request)
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
            return not_found(request)

    return guard


def host_middleware(bind: str, allow_hosts: Iterable[str] = ()) -> Middleware:
    """The Host rule alone, for another server on loopback (``mockserver proxy``)."""
    policy = Policy.build(bind, allow_hosts)
    check_host, hosts = policy.check_host, policy.hosts

    @web.middleware
    async def host_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if check_host:
            host = request.headers.get("Host")
            if host is not None and not hosts(host):
                return _host_refusal(host)
        return await handler(request)

    return host_guard


def origin_middleware(allow_origins: Iterable[str] = (), what: str = "this server") -> Middleware:
    """The origin rule on every route, for another server a web page must not drive
    (``mockserver proxy``, which adds a token); ``what`` names it in refusals."""
    origins = normalised_origins(allow_origins)

    @web.middleware
    async def origin_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        refusal = cross_site_refusal(request, origins, what)
        if refusal is not None:
            return refusal
        return await handler(request)

    return origin_guard
