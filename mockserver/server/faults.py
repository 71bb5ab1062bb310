"""Injected faults: rules that answer an error status and/or delay the API's answers.

Set through the control API (``POST /__mockserver/faults``) or the pytest plugin
(``fail_next``, ``delay``); applied by the API route's wrapper in ``app.py``.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

__all__ = ["FaultRule", "Faults"]

_KNOWN_STATUSES = frozenset(s.value for s in HTTPStatus)


@dataclass
class FaultRule:
    """Answer ``status`` and/or wait ``delay_ms`` for requests whose path matches ``path``.

    ``times`` counts the matching requests still to affect; None means until cleared. ``path``
    is a glob (``fnmatch``: ``*`` also crosses ``/``) on the raw path, None matches every path.
    """

    status: int | None = None
    delay_ms: int = 0
    times: int | None = 1
    path: str | None = None
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
        if self.status is None and not self.delay_ms:
            problems.append("a fault needs a status, a delay_ms, or both")
        if problems:
            raise ValueError("; ".join(problems))
        if self.path is not None:
            self._regex = re.compile(fnmatch.translate(self.path))

    def matches(self, path: str) -> bool:
        return self._regex is None or self._regex.match(path) is not None

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "delay_ms": self.delay_ms, "times": self.times, "path": self.path}


class Faults:
    """The injected faults, in the order they were added.

    For each request the first matching rule with a status and the first matching rule with a
    delay apply (they may be the same rule), so a standing ``delay`` does not hide a later
    ``fail_next``. Each applied rule uses up one of its ``times``.
    """

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def __bool__(self) -> bool:
        return bool(self.rules)

    def add(self, rule: FaultRule) -> None:
        self.rules.append(rule)

    def clear(self) -> None:
        self.rules.clear()

    def take(self, path: str) -> tuple[int, int | None]:
        """(delay in ms, status or None) for a request to ``path``; uses up the rules applied."""
        delay_rule = status_rule = None
        for rule in self.rules:
            if not rule.matches(path):
                continue
            if delay_rule is None and rule.delay_ms:
                delay_rule = rule
            if status_rule is None and rule.status is not None:
                status_rule = rule
            if delay_rule is not None and status_rule is not None:
                break
        for rule in {id(r): r for r in (delay_rule, status_rule) if r is not None}.values():
            if rule.times is not None:
                rule.times -= 1
                if rule.times == 0:
                    self.rules.remove(rule)
        return (delay_rule.delay_ms if delay_rule else 0, status_rule.status if status_rule else None)
