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

__all__ = ["LikeEscapeError", "like_match", "like_matcher", "like_work", "literal_pieces"]

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


Segment = str | re.Pattern[str]  # a run between % signs: literal text, or a regex when it has _


def _segments(pattern: str) -> tuple[list[Segment], list[int]] | None:
    """The runs between ``%`` signs and their lengths in characters: a string, or (with
    ``_``) a regex without any repetition; None when the pattern ends in a lone backslash
    (``like_match`` then raises where PostgreSQL does)."""
    runs: list[list[str]] = [[]]
    wild = [False]
    chars = iter(pattern)
    for char in chars:
        if char == "%":
            runs.append([])
            wild.append(False)
            continue
        if char == "_" and not wild[-1]:  # from here on this run is a regex
            wild[-1] = True
        if char == "\\":
            escaped = next(chars, None)
            if escaped is None:
                return None
            char = escaped
        elif char == "_":
            runs[-1].append("")  # "" stands for any one character
            continue
        runs[-1].append(char)
    segments: list[Segment] = [
        re.compile("".join(re.escape(c) if c else "." for c in run), re.S) if w else "".join(run)
        for run, w in zip(runs, wild, strict=True)
    ]
    return segments, [len(run) for run in runs]


def like_matcher(pattern: str) -> Callable[[str], bool]:
    """A test of ``text LIKE pattern``, compiled once per pattern: string operations and
    fixed-length regexes where the pattern cannot raise, else ``like_match``."""
    parsed = _segments(pattern)
    if parsed is None:
        return lambda text: like_work(text, pattern)[0]
    segments, lengths = parsed
    if len(segments) == 1:  # no %: the whole text
        only = segments[0]
        if isinstance(only, str):
            return only.__eq__
        return lambda text: only.fullmatch(text) is not None
    if len(segments) == 3 and segments[0] == "" and segments[2] == "" and isinstance(segments[1], str):
        inner = segments[1]
        return lambda text: inner in text
    head, *middle, tail = segments
    least = sum(lengths)
    if not middle and isinstance(head, str) and isinstance(tail, str):  # head%tail
        return lambda text: len(text) >= least and text.startswith(head) and text.endswith(tail)
    regex = _atomic(head, middle, tail)
    return lambda text: len(text) >= least and regex.match(text) is not None


def _source(segment: Segment) -> str:
    return re.escape(segment) if isinstance(segment, str) else segment.pattern


def _atomic(head: Segment, middle: list[Segment], tail: Segment) -> re.Pattern[str]:
    """head%m1%…%tail as one regex that cannot backtrack into a run it placed: each middle
    run at its first fit, ``(?>.*?run)`` (an atomic group commits to it), which is the best
    place, as it leaves the most text to the rest; then the tail at the very end. The work is
    at most about len(text) * len(pattern), in C."""
    body = "".join(f"(?>.*?{_source(run)})" for run in middle)
    return re.compile(f"{_source(head)}{body}.*{_source(tail)}\\Z", re.S)


def literal_pieces(pattern: str) -> tuple[str, ...]:
    """The literal texts between wildcards that any text matching ``pattern`` contains,
    longest first (an index narrows a LIKE search to the rows holding one of them)."""
    pieces: list[str] = []
    current: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char in "%_":
            pieces.append("".join(current))
            current = []
        elif char == "\\":
            current.append(next(chars, ""))
        else:
            current.append(char)
    pieces.append("".join(current))
    return tuple(sorted({p for p in pieces if p}, key=len, reverse=True))
