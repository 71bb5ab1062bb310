"""PostgreSQL's LIKE matcher (``like_match.c``'s ``MatchText``), ported without backtracking.

A pattern is matched with the escape character ``\\``: ``%`` any run, ``_`` one character,
``\\x`` the character x. PostgreSQL's matcher needs no backtracking: after a ``%`` it looks
for the first text position where the literal run up to the next ``%`` matches, and once that
run reaches the next ``%`` the answer is final (true, or "abort": no later position can do
better). So the work is at most about ``len(text) * len(pattern)`` comparisons, where a
regex's ``.*`` on ``%_%_%_%…#`` backtracks exponentially.

A pattern ending in a lone backslash raises only when the matcher reaches that backslash
with text left (``'abc' LIKE 'abc\\'`` is false, ``'abcd' LIKE 'abc\\'`` an error), as
measured on PostgreSQL 15; ``LikeEscapeError`` is that error. Patterns that cannot raise are
compiled to ``str`` operations (``in``, ``startswith``, ``find``). Pure and stdlib only.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["LikeEscapeError", "like_match", "like_matcher", "like_work"]

_TRUE, _FALSE, _ABORT, _PERCENT = 1, 0, -1, 2
_WILDCARDS = re.compile(r"[%_\\]")


class LikeEscapeError(ValueError):
    """PostgreSQL's ``LIKE pattern must not end with escape character``."""

    def __init__(self) -> None:
        super().__init__("LIKE pattern must not end with escape character")


def _run(text: str, pattern: str, t: int, p: int) -> tuple[int, int, int, int]:
    """MatchText's loop from text ``t`` and pattern ``p`` up to the next ``%``:
    (outcome, t, p, comparisons), the outcome ``_PERCENT`` when a ``%`` was reached."""
    n, m = len(text), len(pattern)
    work = 0
    while t < n and p < m:
        work += 1
        char = pattern[p]
        if char == "\\":
            p += 1
            if p >= m:
                raise LikeEscapeError
            if pattern[p] != text[t]:
                return _FALSE, t, p, work
        elif char == "%":
            return _PERCENT, t, p, work
        elif char != "_" and char != text[t]:
            return _FALSE, t, p, work
        t += 1
        p += 1
    if t < n:
        return _FALSE, t, p, work  # end of pattern, not of text
    while p < m and pattern[p] == "%":
        p += 1
    return (_TRUE if p >= m else _ABORT), t, p, work


def like_work(text: str, pattern: str) -> tuple[bool, int]:
    """Whether ``text LIKE pattern``, and the characters compared to find out (the work
    is bounded by about ``(len(text) + 1) * (len(pattern) + 1)``); raises LikeEscapeError."""
    if pattern == "%":
        return True, 0
    outcome, t, p, work = _run(text, pattern, 0, 0)
    n, m = len(text), len(pattern)
    while outcome == _PERCENT:
        p += 1  # a run of % and _ is "at least that many characters, then anything"
        while p < m and pattern[p] in "%_":
            if pattern[p] == "_":
                if t >= n:
                    return False, work
                t += 1
            p += 1
            work += 1
        if p >= m:
            return True, work
        if pattern[p] == "\\" and m - p < 2:
            raise LikeEscapeError
        first = pattern[p + 1] if pattern[p] == "\\" else pattern[p]
        while True:
            t = text.find(first, t)  # the positions MatchText tries, at C speed
            if t < 0:
                return False, work
            outcome, t_next, p_next, spent = _run(text, pattern, t, p)
            work += spent
            if outcome != _FALSE:
                break
            t += 1
        if outcome != _PERCENT:
            return outcome == _TRUE, work
        t, p = t_next, p_next
    return outcome == _TRUE, work


def like_match(text: str, pattern: str) -> bool:
    """``text LIKE pattern`` with PostgreSQL's semantics; raises LikeEscapeError."""
    return like_work(text, pattern)[0]


def _segments(pattern: str) -> list[str] | None:
    """The literal runs between ``%`` signs, or None when the pattern has a ``_`` wildcard or
    ends in a lone backslash (those go through ``like_match``)."""
    runs: list[str] = []
    current: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            escaped = next(chars, None)
            if escaped is None:
                return None
            current.append(escaped)
        elif char == "%":
            runs.append("".join(current))
            current = []
        elif char == "_":
            return None
        else:
            current.append(char)
    runs.append("".join(current))
    return runs


def like_matcher(pattern: str) -> Callable[[str], bool]:
    """A test of ``text LIKE pattern``, compiled once per pattern: string operations where the
    pattern has no ``_`` and cannot raise, else ``like_match``."""
    if not _WILDCARDS.search(pattern):
        return pattern.__eq__
    runs = _segments(pattern)
    if runs is None:
        return lambda text: like_work(text, pattern)[0]
    if len(runs) == 1:  # escapes only
        return runs[0].__eq__
    if len(runs) == 3 and not runs[0] and not runs[2]:
        inner = runs[1]
        return lambda text: inner in text
    head, *middle, tail = runs
    if not middle:  # head%tail
        least = len(head) + len(tail)
        return lambda text: len(text) >= least and text.startswith(head) and text.endswith(tail)
    return lambda text: _segments_match(text, head, middle, tail)


def _segments_match(text: str, head: str, middle: list[str], tail: str) -> bool:
    """head%m1%m2…%tail: the first fit of each middle run, left to right, is the best one."""
    if not text.startswith(head):
        return False
    at = len(head)
    end = len(text) - len(tail)
    if end < at or not text.endswith(tail):
        return False
    for run in middle:
        found = text.find(run, at, end)
        if found < 0:
            return False
        at = found + len(run)
    return True
