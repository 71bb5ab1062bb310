"""A polite async HTTP client for a live (upstream) train-sessions API: record, proxy and diff.

Polite because the upstream is a production API that QA does not own: requests are capped
(``concurrency``), paced (``rate`` per second), time-limited, and 429/503 answers are retried
after the ``Retry-After`` the server asks for (capped, so a typo upstream cannot stall a run
for an hour). The API token is a secret: it goes only into the ``Authorization`` header, and
``scrub`` replaces it with ``$MOCKSERVER_API_TOKEN`` in any text meant for a human.

    UpstreamError                  the upstream could not be read (carries a one-line reason)
    ├── UpstreamTimeoutError       ... because it did not answer in time
    └── BudgetExhaustedError       ... because --max-requests is spent
    TargetError                    a request target that must not be forwarded (proxy: 400)

This module is the one place that turns a user's URL into the index URL (``index_url``) or the
origin (``origin_url``), builds the token header (``token_header``), builds a forwarded URL
(``forward_url``) and opens HTTP sessions (``Upstream`` for reads, ``passthrough_session`` for
the proxy), so every tool agrees on them.
"""

from __future__ import annotations

import argparse
import asyncio
import email.utils
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from mockserver.engine.auth import token_header
from mockserver.errors import UsageError

__all__ = [
    "CLIENT_DEFAULTS",
    "RETRY_STATUSES",
    "TOKEN_VARIABLE",
    "BudgetExhaustedError",
    "Exchange",
    "RateLimiter",
    "TargetError",
    "Upstream",
    "UpstreamAnswer",
    "UpstreamError",
    "UpstreamTimeoutError",
    "add_client_options",
    "client_error_reason",
    "excerpt",
    "forward_url",
    "index_url",
    "origin_url",
    "passthrough_session",
    "retry_delay",
    "scrub",
    "target_problem",
    "token_header",
]

TOKEN_VARIABLE = "$MOCKSERVER_API_TOKEN"
RETRY_STATUSES = frozenset({429, 503})
MAX_RETRY_AFTER = 60.0  # seconds; a longer Retry-After is an outage, reported rather than waited out
CLIENT_DEFAULTS: dict[str, float | int] = {"concurrency": 4, "rate": 10.0, "timeout": 30.0, "retries": 3}
"""The upstream client's defaults, one table for every command (``add_client_options``)."""
_CLIENT_HELP = {
    "concurrency": ("N", int, "requests in flight at once (default {})"),
    "rate": ("R", float, "at most R requests per second (default {:g}; 0: unlimited)"),
    "timeout": ("SECONDS", float, "per-request timeout in seconds (default {:g})"),
    "retries": ("N", int, "retries after 429/503 (honouring Retry-After) or a timeout (default {})"),
}


def add_client_options(
    parser: argparse.ArgumentParser,
    *names: str,
    upstream: bool | None = None,
    token_default: str | None = None,
    token_use: str = "",
    defaults: Mapping[str, float | int] | None = None,
) -> None:
    """Add the upstream client's options to a command, one definition for all of them:
    ``--upstream`` (``upstream``: True required, False optional, None absent), ``--api-token``
    and each of ``names`` (concurrency, rate, timeout, retries). ``defaults`` overrides a
    default where a command has a reason to (diff paces more gently than record)."""
    if upstream is not None:
        parser.add_argument(
            "--upstream",
            required=upstream,
            metavar="URL",
            help="the API: its origin, e.g. https://learninglogin.com (/api/train_sessions is "
            "added), or its index URL",
        )
    fallback = f", else {token_default!r}" if token_default else ""
    parser.add_argument(
        "--api-token",
        metavar="TOKEN",
        help=f"API token{token_use} (default: {TOKEN_VARIABLE}{fallback}; the variable is safer: "
        "ps shows flags)",
    )
    chosen = {**CLIENT_DEFAULTS, **(defaults or {})}
    for name in names:
        metavar, kind, text = _CLIENT_HELP[name]
        parser.add_argument(
            f"--{name}", type=kind, default=chosen[name], metavar=metavar, help=text.format(chosen[name])
        )


class UpstreamError(Exception):
    """The upstream could not be read: refused, reset, DNS, TLS ... (``reason`` is one line)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UpstreamTimeoutError(UpstreamError):
    """The upstream did not answer within the timeout."""


class BudgetExhaustedError(UpstreamError):
    """``--max-requests`` is spent: no more requests may be sent."""


def scrub(text: str, token: str | None, name: str = TOKEN_VARIABLE) -> str:
    """``text`` with the token replaced by ``name``, for messages and logs: as sent, and as a
    JSON string or ``repr()`` would escape it (an upstream may reflect it in a JSON body)."""
    if not token:
        return text
    for form in {
        token,
        json.dumps(token)[1:-1],
        json.dumps(token, ensure_ascii=False)[1:-1],
        repr(token)[1:-1],
    }:
        text = text.replace(form, name)
    return text


def excerpt(body: bytes, size: int, hide: Callable[[str], str] | None = None) -> str:
    """The start of ``body`` for a message, ``size`` characters decoded leniently, ``hide``
    (a scrubber) applied *before* the cut: a token cut in two would escape it."""
    text = body[: 4 * size + 4096].decode("utf-8", "replace")  # a token of up to 1,024 characters
    return (hide(text) if hide is not None else text)[:size]


def index_url(url: str, option: str = "--upstream") -> URL:
    """The index URL for what the user gave: ``.../api/train_sessions`` (``.json`` and a trailing
    slash dropped) as is, ``.../api`` gets ``/train_sessions``, and a bare origin (or a gateway's
    path prefix) gets ``/api/train_sessions``.

    Credentials in the URL are refused: they would end up in logs and error messages.
    ``option`` names the argument in those messages.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"{option} {url!r}: expected an http(s) URL such as "
            "https://learninglogin.com or http://127.0.0.1:3000/api/train_sessions"
        )
    if parts.username or parts.password:
        raise UsageError(f"{option}: put no credentials in the URL; use --api-token or {TOKEN_VARIABLE}")
    path = parts.path.rstrip("/").removesuffix(".json")
    if path.endswith("/api"):  # the API's root: only the resource is missing
        path += "/train_sessions"
    elif not path.endswith("/train_sessions"):  # a bare origin, or a gateway's path prefix
        path += "/api/train_sessions"
    return URL(urlunsplit((parts.scheme, parts.netloc, path, "", "")), encoded=True)


def origin_url(url: str, option: str = "--upstream") -> URL:
    """The origin (plus any path prefix) in front of ``/api/train_sessions``: what the proxy
    forwards to, the client's path appended."""
    index = index_url(url, option)
    prefix = index.raw_path.removesuffix("/train_sessions").removesuffix("/api")
    return index.with_path(prefix, encoded=True) if prefix else index.origin()


class TargetError(ValueError):
    """A request target that is not origin-form (``/path?query``): never forwarded."""


def target_problem(target: str) -> str | None:
    """Why ``target`` may not be forwarded (not origin-form), or None."""
    if not target.startswith("/"):
        return f"request target {target[:80]!r} is not a path starting with '/'"
    return None


def forward_url(base: URL, target: str) -> URL:
    """``base`` with the origin-form ``target`` (raw path and query) appended.

    Only the path and query of ``target`` are used, and the scheme and authority are always
    ``base``'s: an absolute-form (``munity://x/...``), authority-form (``host:443``) or
    asterisk-form target raises ``TargetError``, so no client can steer the request, and the
    token it carries, to another host.
    """
    problem = target_problem(target)
    if problem:
        raise TargetError(problem)
    path, _, query = target.partition("?")
    return URL.build(
        scheme=base.scheme,
        authority=base.raw_authority,
        path=base.raw_path.rstrip("/") + path,
        query_string=query,
        encoded=True,
    )


def passthrough_session(timeout: float) -> aiohttp.ClientSession:
    """A session that passes bytes through unchanged (no decompression, no added headers, no
    cookies): the proxy's, so that what the client sends is what the upstream gets."""
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=timeout),
        auto_decompress=False,
        skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent", "Content-Type"),
        cookie_jar=aiohttp.DummyCookieJar(),
    )


def retry_delay(value: str | None, attempt: int, backoff: float = 0.5) -> float:
    """Seconds to wait before retry ``attempt`` (0-based): ``Retry-After`` (seconds or an HTTP
    date) when given, else exponential backoff from ``backoff``."""
    if value:
        value = value.strip()
        if value.isascii() and value.isdigit():  # '²'.isdigit() is True, float('²') raises
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(0.0, when.timestamp() - time.time())
    return min(30.0, backoff * 2.0**attempt)


class RateLimiter:
    """At most ``rate`` request starts per second across all tasks (None or 0: unlimited)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self._lock:
            now = time.monotonic()
            if now < self._next:
                await asyncio.sleep(self._next - now)
                now = self._next
            self._next = now + self.interval


@dataclass(frozen=True)
class UpstreamAnswer:
    """One response, body read in full."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    target: str  # path and query, for messages (never carries the token)


@dataclass(frozen=True)
class Answer:
    """An answer as probe and the fingerprint read it: header names lower-cased, the body whole."""

    status: int
    headers: dict[str, str]
    body: bytes

    @classmethod
    def of(cls, answer: UpstreamAnswer) -> Answer:
        return cls(answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def ids(self) -> list[Any] | None:
        """The ids of a 200 JSON list, or None for any other answer."""
        data = self.json()
        if self.status != 200 or not isinstance(data, list):
            return None
        return [r.get("id") for r in data if isinstance(r, dict)]


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, for observers such as ``record --har`` (headers as sent:
    the observer must redact them)."""

    url: URL
    request_headers: dict[str, str]
    answer: UpstreamAnswer
    started: float  # epoch seconds
    elapsed_ms: float
    http_version: str


class Upstream:
    """GETs against one upstream index URL with the token, pacing, a concurrency cap and retries.

    Use as ``async with Upstream(...) as upstream``; ``sent`` counts requests actually sent
    (retries included), which is what ``--max-requests`` budgets.
    """

    def __init__(
        self,
        url: str | URL,
        token: str | None,
        *,
        rate: float | None = None,
        concurrency: int = 4,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_requests: int | None = None,
        on_exchange: Callable[[Exchange], None] | None = None,
    ) -> None:
        self.url = url if isinstance(url, URL) else index_url(url)
        self.on_exchange = on_exchange
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_requests = max_requests
        self.sent = 0
        self.retried = 0
        self._limiter = RateLimiter(rate)
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Upstream:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            headers={"Accept": "application/json", "User-Agent": "mockserver"},
            auto_decompress=True,
            raise_for_status=False,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    @property
    def exhausted(self) -> bool:
        return self.max_requests is not None and self.sent >= self.max_requests

    async def get(
        self,
        target: str = "",
        query: str = "",
        *,
        authorization: str | bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> UpstreamAnswer:
        """GET ``index_url + target`` with raw (already encoded) ``query``; retries 429/503 and
        timeouts. Raises ``UpstreamError`` when it cannot get an answer.

        ``authorization``: True sends the token header, False none, a string that exact value
        (probe asks how the endpoint treats other header forms); ``headers`` are sent besides
        (probe's fingerprint varies Accept).
        """
        assert self._session is not None, "use 'async with Upstream(...)'"
        raw = self.url.raw_path + target + (f"?{query}" if query else "")
        url = self.url.with_path(self.url.raw_path + target, encoded=True)
        if query:
            url = URL(f"{url}?{query}", encoded=True)
        if isinstance(authorization, str):
            request_headers = {"Authorization": authorization}
        else:
            request_headers = (
                {"Authorization": token_header(self.token)} if self.token and authorization else {}
            )
        request_headers.update(headers or {})
        attempt = 0
        while True:
            async with self._slots:
                if self.exhausted:
                    raise BudgetExhaustedError(
                        f"request budget spent ({self.max_requests} requests; raise --max-requests)"
                    )
                await self._limiter.wait()
                self.sent += 1
                started, clock = time.time(), time.perf_counter()
                try:
                    async with self._session.get(
                        url, headers=request_headers, allow_redirects=False
                    ) as response:
                        answer = UpstreamAnswer(response.status, response.headers, await response.read(), raw)
                        if self.on_exchange is not None:
                            sent = dict(response.request_info.headers)
                            v = response.version
                            version = f"HTTP/{v.major}.{v.minor}" if v is not None else "HTTP/1.1"
                            elapsed = (time.perf_counter() - clock) * 1000
                            self.on_exchange(Exchange(url, sent, answer, started, elapsed, version))
                except TimeoutError:
                    if attempt >= self.retries:
                        raise UpstreamTimeoutError(f"GET {raw}: no answer within {self.timeout:g}s") from None
                    delay = retry_delay(None, attempt, self.backoff)
                except aiohttp.ClientError as exc:  # refused, reset, DNS: retrying rarely helps
                    raise UpstreamError(scrub(f"GET {raw}: {client_error_reason(exc)}", self.token)) from None
                else:
                    if answer.status not in RETRY_STATUSES or attempt >= self.retries:
                        return answer
                    delay = retry_delay(answer.headers.get("Retry-After"), attempt, self.backoff)
                    if delay > MAX_RETRY_AFTER:
                        return answer  # an outage, not a hiccup: the caller reports it as is
            attempt += 1
            self.retried += 1
            await asyncio.sleep(delay)


def client_error_reason(exc: BaseException) -> str:
    """A short, token-free description of a client error (aiohttp's messages hold no headers)."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect to {exc.host}:{exc.port} ({_os_reason(exc.os_error)})"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the server closed the connection without answering"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return f"broken response body ({exc})"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"invalid HTTP answer ({exc.message})"
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]


def _os_reason(error: OSError) -> str:
    """'Connection refused' rather than asyncio's 'Connect call failed (...)'."""
    if error.errno:
        return os.strerror(error.errno)
    return error.strerror or str(error)
