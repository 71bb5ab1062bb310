"""Injected faults: rules that answer an error status, misbehave on the socket, and/or delay.

Set through the control API (``POST /__mockserver/faults``) or the pytest plugin
(``fail_next``, ``delay``); applied by the API route's wrapper in ``app.py``. The kinds follow
WireMock's faults, so a client's error handling can be tested against each way a connection
really fails:

- ``reset``: the connection is reset (TCP RST) without an answer;
- ``empty``: the connection is closed after the request was read, no bytes sent;
- ``malformed``: a 200 whose body is not JSON;
- ``truncated``: the real answer, its body cut off before its ``Content-Length``.

``retry_after`` (seconds) is sent as ``Retry-After`` on an injected 429 or 503.
"""

from __future__ import annotations

import fnmatch
import re
import socket
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import web

__all__ = ["KINDS", "NO_ANSWER", "RETRY_STATUSES", "FaultRule", "Faults", "misbehave"]

_KNOWN_STATUSES = frozenset(s.value for s in HTTPStatus)
KINDS = ("reset", "empty", "malformed", "truncated")
NO_ANSWER = frozenset({"reset", "empty"})  # journaled with status 0: nothing was answered
RETRY_STATUSES = (429, 503)
MALFORMED_BODY = b"<html><body><h1>502 Bad Gateway</h1></body></html>\n"  # what a proxy might send


@dataclass
class FaultRule:
    """Answer ``status`` (or misbehave as ``kind``) and/or wait ``delay_ms`` for requests whose
    path matches ``path``.

    ``times`` counts the matching requests still to affect; None means until cleared. ``path``
    is a glob (``fnmatch``: ``*`` also crosses ``/``) on the raw path, None matches every path.
    """

    status: int | None = None
    delay_ms: int = 0
    times: int | None = 1
    path: str | None = None
    retry_after: int | None = None
    kind: str | None = None
    _regex: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems = []
        if self.status is not None and (not 400 <= self.status <= 599 or self.status not in _KNOWN_STATUSES):
            problems.append(
                f"status {self.status!r}: expected a standard HTTP error status (400..599, e.g. 500, 503)"
            )
        if self.delay_ms < 0:
            problems.append(f"delay_ms {self.delay_ms!r}: expected milliseconds >= 0")
        if self.times is not None and self.times < 1:
            problems.append(f"times {self.times!r}: expected >= 1, or null for every request")
        if self.kind is not None and self.kind not in KINDS:
            problems.append(f"kind {self.kind!r}: expected one of {', '.join(KINDS)}")
        if self.kind is not None and self.status is not None:
            problems.append(
                f"kind {self.kind!r} and status {self.status}: give one (a kind sends no error status)"
            )
        if self.retry_after is not None and (self.retry_after < 0 or self.status not in RETRY_STATUSES):
            problems.append(
                f"retry_after {self.retry_after!r}: expected seconds >= 0 with status 429 or 503 "
                f"(the statuses Retry-After goes with), got status {self.status}"
            )
        if self.status is None and self.kind is None and not self.delay_ms:
            problems.append("a fault needs a status, a kind, a delay_ms, or a delay with one of the others")
        if problems:
            raise ValueError("; ".join(problems))
        if self.path is not None:
            self._regex = re.compile(fnmatch.translate(self.path))

    @property
    def answers(self) -> bool:
        """It replaces the answer (a status or a kind), rather than only delaying it."""
        return self.status is not None or self.kind is not None

    def matches(self, path: str) -> bool:
        return self._regex is None or self._regex.match(path) is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "delay_ms": self.delay_ms,
            "times": self.times,
            "path": self.path,
            "retry_after": self.retry_after,
            "kind": self.kind,
        }


class Faults:
    """The injected faults, in the order they were added.

    For each request the first matching rule that answers (a status or a kind) and the first
    matching rule with a delay apply (they may be the same rule), so a standing ``delay`` does
    not hide a later ``fail_next``. Each applied rule uses up one of its ``times``.
    """

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def __bool__(self) -> bool:
        return bool(self.rules)

    def add(self, rule: FaultRule) -> None:
        self.rules.append(rule)

    def clear(self) -> None:
        self.rules.clear()

    def take(self, path: str) -> tuple[int, FaultRule | None]:
        """(delay in ms, the rule that answers or None) for a request to ``path``; uses up the
        rules applied."""
        delay_rule = answer_rule = None
        for rule in self.rules:
            if not rule.matches(path):
                continue
            if delay_rule is None and rule.delay_ms:
                delay_rule = rule
            if answer_rule is None and rule.answers:
                answer_rule = rule
            if delay_rule is not None and answer_rule is not None:
                break
        for rule in {id(r): r for r in (delay_rule, answer_rule) if r is not None}.values():
            if rule.times is not None:
                rule.times -= 1
                if rule.times == 0:
                    self.rules.remove(rule)
        return (delay_rule.delay_ms if delay_rule else 0, answer_rule)


async def misbehave(
    request: web.Request, kind: str, answer: Callable[[], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Misbehave as ``kind`` on ``request``'s connection; ``answer`` gives the real answer.

    For ``reset`` and ``empty`` the returned response is never sent: the connection is gone.
    """
    transport = request.transport
    if kind in NO_ANSWER:
        if transport is not None:
            if kind == "reset":
                sock = transport.get_extra_info("socket")
                if sock is not None:  # linger 0: close() sends RST instead of FIN
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                transport.abort()
            else:
                transport.close()
        return web.Response(status=200)
    if kind == "malformed":
        return web.Response(body=MALFORMED_BODY, headers={"Content-Type": "application/json; charset=utf-8"})
    real = await answer()  # truncated
    body = real.body if isinstance(real, web.Response) and isinstance(real.body, bytes) else b""
    cut = web.StreamResponse(status=real.status, headers=real.headers)
    cut.content_length = len(body) + (0 if body else 1)  # always more than is sent
    await cut.prepare(request)
    await cut.write(body[: len(body) // 2])
    if transport is not None:
        transport.close()
    return cut
