"""The suite's only way to reach an endpoint: a polite, read-only HTTP client.

Safe against a live API by construction: it can only send GET and HEAD, every request is
counted against a budget, requests are spaced by a rate limit, 429/503 answers are retried
after ``Retry-After`` (never reported as contract failures, but counted), and every response
carries a ready-to-paste ``curl`` that reproduces it with the token replaced by
``$MOCKSERVER_API_TOKEN``. A paginated index (RFC 8288 ``Link`` with ``rel="next"``, as the
api-pagination gem sends) is read to its last page: an index answer is every page's rows.
Queries are sent byte for byte as built (see ``Query``): the point is to test the server's
parser, so nothing here may normalise them.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import re
import shlex
import time
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

TOKEN_VARIABLE = "$MOCKSERVER_API_TOKEN"
NEXT_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?')
MAX_PAGES = 1000  # a Link loop must not spend the whole budget
RETRY_STATUSES = frozenset({429, 503})
_DEFAULT_AUTH = object()  # sentinel: send the standard header with the configured token


class BudgetExhaustedError(Exception):
    """The run has sent ``--max-requests`` requests; the tests that still need one are skipped."""


class EndpointUnavailableError(Exception):
    """The endpoint kept answering 429/503 or could not be reached: not a contract failure."""


class DuplicateKeyError(ValueError):
    """A JSON object in a response repeats a key (json.loads would silently keep the last)."""


def encode(value: str) -> str:
    """Percent-encode every byte that is not unreserved, so the server sees exactly ``value``."""
    return quote(value, safe="")


def encode_key(key: str) -> str:
    """Like ``encode`` but keeps ``[]`` readable (Rack decodes keys before splitting them)."""
    return quote(key, safe="[]")


@dataclass(frozen=True)
class Query:
    """An ordered list of query pairs; a value of None is a bare key (``k`` with no ``=``)."""

    pairs: tuple[tuple[str, str | None], ...] = ()
    separator: str = "&"
    plus_for_space: bool = False  # encode spaces as '+' (Rack decodes both the same)

    @classmethod
    def of(cls, *pairs: tuple[str, str | None], **options: Any) -> Query:
        return cls(tuple(pairs), **options)

    def __add__(self, other: Query) -> Query:
        return Query(self.pairs + other.pairs, self.separator, self.plus_for_space)

    def raw(self) -> str:
        parts = []
        for key, value in self.pairs:
            if value is None:
                parts.append(encode_key(key))
                continue
            text = encode(value)
            if self.plus_for_space:
                text = text.replace("%20", "+")
            parts.append(f"{encode_key(key)}={text}")
        return self.separator.join(parts)

    def __str__(self) -> str:
        """The decoded pairs, for failure messages (the raw form is in the curl line)."""
        return self.separator.join(k if v is None else f"{k}={v!r}" for k, v in self.pairs) or "(none)"


def loads_strict(body: bytes) -> Any:
    """Parse JSON as UTF-8, rejecting duplicate keys; keeps key order."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise DuplicateKeyError(f"duplicate key {key!r} in a JSON object")
            out[key] = value
        return out

    return json.loads(body.decode("utf-8"), object_pairs_hook=pairs)


@dataclass
class Response:
    """One answer, with what is needed to reproduce the request that got it."""

    method: str
    url: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    curl: str
    pages: list[Response] = field(default_factory=list, repr=False)  # every page, when paginated
    _json: Any = field(default=None, repr=False)
    _parsed: bool = field(default=False, repr=False)

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    def header_all(self, name: str) -> list[str]:
        lowered = name.lower()
        return [v for k, v in self.headers if k.lower() == lowered]

    def json(self) -> Any:
        """The body as JSON (raises ValueError/DuplicateKeyError when it is not)."""
        if not self._parsed:
            self._json = loads_strict(self.body)
            self._parsed = True
        return self._json

    def describe(self) -> str:
        """Status line, content type and the start of the body, for failure messages."""
        body = self.body[:300].decode("utf-8", "replace")
        more = "..." if len(self.body) > 300 else ""
        return (
            f"{self.method} {self.url} -> {self.status} {self.reason}, "
            f"Content-Type {self.header('Content-Type')!r}, body {body!r}{more}"
        )


@dataclass
class Stats:
    """What this process sent; reported at the end of the run."""

    sent: int = 0
    cache_hits: int = 0
    retries: Counter[int] = field(default_factory=Counter)  # status -> retries
    waited: float = 0.0  # seconds slept for Retry-After / backoff


class Budget:
    """A hard cap on requests sent by this process."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.used = 0

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.used)

    def take(self) -> None:
        if self.used >= self.total:
            raise BudgetExhaustedError(
                f"request budget exhausted ({self.total} requests; raise --max-requests)"
            )
        self.used += 1


class RateLimiter:
    """At most ``rate`` requests per second (None: unlimited)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._next = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if now < self._next:
            time.sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def index_url(url: str) -> str:
    """The index URL for what the user gave, normalised as ``mockserver.tools.upstream.index_url``
    does (``mockserver contract`` passes the suite the URL it already normalised)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL")
    path = parts.path.rstrip("/").removesuffix(".json")
    if path.endswith("/api"):
        path += "/train_sessions"
    elif not path.endswith("/train_sessions"):
        path += "/api/train_sessions"
    return f"{parts.scheme}://{parts.netloc}{path}"


def retry_delay(value: str | None, attempt: int) -> float:
    """Seconds to wait before retry ``attempt``: Retry-After (seconds or date), else backoff."""
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        with_date = email.utils.parsedate_to_datetime(value) if "," in value else None
        if with_date is not None:
            return max(0.0, float(with_date.timestamp()) - time.time())
    return float(min(30.0, 0.5 * 2**attempt))


def _curl_quote_header(header: str, token: str) -> str:
    """A shell-quoted ``-H`` argument; the token becomes ``$MOCKSERVER_API_TOKEN``."""
    if token and token in header:
        escaped = header.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`")
        return '"' + escaped.replace(token, TOKEN_VARIABLE) + '"'
    return shlex.quote(header)


class Client:
    """GET/HEAD against one endpoint with budget, rate limit, retries, cache and curl lines."""

    MAX_RETRIES = 5
    CACHE_SIZE = 256

    def __init__(
        self, url: str, token: str, *, max_requests: int, rate: float | None, timeout: float
    ) -> None:
        self.url = index_url(url)
        parts = urlsplit(self.url)
        self.scheme = parts.scheme
        self.netloc = parts.netloc
        self.host = parts.hostname or ""
        self.port = parts.port
        self.base_path = parts.path
        self.token = token
        self.timeout = timeout
        self.budget = Budget(max_requests)
        self.limiter = RateLimiter(rate)
        self.stats = Stats()
        self._connection: http.client.HTTPConnection | None = None
        self._cache: OrderedDict[tuple[str, str, str | None, tuple[tuple[str, str], ...]], Response] = (
            OrderedDict()
        )
        self.before_send: Any = None  # called before every request that is not a cache hit

    @property
    def auth_header(self) -> str:
        return f'Token token="{self.token}"'

    # --- targets -------------------------------------------------------------------------------

    def index(
        self,
        query: Query | str = "",
        *,
        suffix: str = "",
        method: str = "GET",
        authorization: Any = _DEFAULT_AUTH,
        fresh: bool = False,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """``GET /api/train_sessions{suffix}?{query}``, every page of it when it is paginated."""
        raw = query.raw() if isinstance(query, Query) else query
        target = self.base_path + suffix + (f"?{raw}" if raw else "")
        first = self.request(method, target, authorization=authorization, fresh=fresh, headers=headers)
        if method != "GET" or first.status != 200 or not NEXT_LINK.search(first.header("Link") or ""):
            return first
        return self._all_pages(first, authorization, fresh, headers)

    def _all_pages(
        self, first: Response, authorization: Any, fresh: bool, headers: dict[str, str] | None
    ) -> Response:
        """``first`` with its body replaced by the rows of every page, following ``rel="next"``;
        a page that is not a 200 JSON array is returned as is (the checks report it)."""
        pages = [first]
        rows: list[Any] = []
        page = first
        while True:
            try:
                body = page.json()
            except ValueError:
                return page
            if page.status != 200 or not isinstance(body, list):
                return page
            rows += body
            found = NEXT_LINK.search(page.header("Link") or "")
            if found is None or len(pages) >= MAX_PAGES:
                break
            parts = urlsplit(found.group(1))
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            page = self.request("GET", target, authorization=authorization, fresh=fresh, headers=headers)
            pages.append(page)
        combined = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()
        return Response(
            first.method, first.url, 200, first.reason, first.headers, combined, first.curl, pages
        )

    def show(
        self,
        segment: str,
        *,
        method: str = "GET",
        authorization: Any = _DEFAULT_AUTH,
        fresh: bool = False,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """``GET /api/train_sessions/{segment}``; ``segment`` is sent as given (pre-encoded)."""
        target = f"{self.base_path}/{segment}"
        return self.request(method, target, authorization=authorization, fresh=fresh, headers=headers)

    # --- transport -----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        target: str,
        *,
        authorization: Any = _DEFAULT_AUTH,
        fresh: bool = False,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """Send one request (GET or HEAD only), retrying 429/503; cached unless ``fresh``.

        ``headers`` are sent besides (or instead of) the default ``Accept: application/json``.
        """
        if method not in ("GET", "HEAD"):
            raise ValueError(f"the contract suite never sends {method}: GET and HEAD only")
        header = self.auth_header if authorization is _DEFAULT_AUTH else authorization
        extra = tuple(sorted((headers or {}).items()))
        key = (method, target, header, extra)
        if not fresh and key in self._cache:
            self._cache.move_to_end(key)
            self.stats.cache_hits += 1
            return self._cache[key]
        if self.before_send is not None:
            self.before_send()
        sent = {"Accept": "application/json", **dict(extra)}
        if header is not None:
            sent["Authorization"] = header
        for attempt in range(self.MAX_RETRIES + 1):
            self.budget.take()
            self.limiter.wait()
            response = self._send(method, target, sent)
            if response.status not in RETRY_STATUSES:
                break
            if attempt == self.MAX_RETRIES:
                raise EndpointUnavailableError(
                    f"not a contract failure: the endpoint answered {response.status} "
                    f"{self.MAX_RETRIES + 1} times in a row\n  {response.curl}"
                )
            self.stats.retries[response.status] += 1
            delay = retry_delay(response.header("Retry-After"), attempt)
            self.stats.waited += delay
            time.sleep(delay)
        self._cache[key] = response
        if len(self._cache) > self.CACHE_SIZE:
            self._cache.popitem(last=False)
        return response

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
            self._connection = cls(self.host, self.port, timeout=self.timeout)
        return self._connection

    def _send(self, method: str, target: str, headers: dict[str, str]) -> Response:
        url = f"{self.scheme}://{self.netloc}{target}"
        curl = self.curl(method, url, headers)
        for reconnect in (False, True):
            connection = self._connect()
            try:
                started = time.monotonic()
                connection.request(method, target, headers=headers)
                raw = connection.getresponse()
                body = raw.read()
                self.stats.sent += 1
                if raw.will_close:
                    self.close()
                return Response(method, url, raw.status, raw.reason, list(raw.getheaders()), body, curl)
            except TimeoutError:
                self.close()
                elapsed = time.monotonic() - started
                raise EndpointUnavailableError(
                    f"no answer within {elapsed:.1f}s (--api-timeout {self.timeout})\n  {curl}"
                ) from None
            except (ConnectionError, http.client.HTTPException, OSError) as exc:
                self.close()
                if reconnect:  # a kept-alive connection may have been closed: retry once
                    raise EndpointUnavailableError(f"cannot reach the endpoint: {exc}\n  {curl}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def curl(self, method: str, url: str, headers: dict[str, str]) -> str:
        """A shell line reproducing the request; the token is never printed."""
        words = ["curl", "-sS", "-i", "-g", "--path-as-is"]
        if method == "HEAD":
            words.append("--head")
        line = " ".join(words)
        for name, value in headers.items():
            if name == "Accept":
                continue
            line += " -H " + _curl_quote_header(f"{name}: {value}", self.token)
        return f"{line} {shlex.quote(url)}"

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def ids_of(records: Iterable[dict[str, Any]]) -> list[Any]:
    return [r.get("id") if isinstance(r, dict) else r for r in records]


def short(values: Sequence[Any], limit: int = 12) -> str:
    """A list for a message, truncated with a count."""
    shown = ", ".join(repr(v) for v in values[:limit])
    return f"[{shown}{', ...' if len(values) > limit else ''}] ({len(values)})"
