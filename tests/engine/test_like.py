"""PostgreSQL's LIKE matcher: measured truth table, a regex reference, and its bounded work."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from mockserver.engine.like import LikeEscapeError, like_match, like_matcher, like_work

# Measured on the stand-in's PostgreSQL 15 (SELECT text ILIKE pattern): None is the error
# "LIKE pattern must not end with escape character".
MEASURED = [
    ("abc", "abc\\", False),
    ("abcd", "abc\\", None),
    ("", "%\\", False),
    ("a", "%\\", None),
    ("a", "%_\\", None),
    ("ab", "b%\\", False),
    ("xab", "%b\\", False),
    ("xabq", "%b\\", None),
    ("ba", "%b\\", None),
    ("ab", "a_\\", False),
    ("abc", "a_\\", None),
    ("a%b", "a\\%b", True),
    ("axb", "a\\%b", False),
    ("a_b", "%\\_%", True),
    ("ab", "%\\_%", False),
    ("a\\b", "a\\\\b", True),
    ("", "%", True),
    ("", "_", False),
    ("", "", True),
]


@pytest.mark.parametrize(("text", "pattern", "expected"), MEASURED)
def test_measured(text: str, pattern: str, expected: bool | None) -> None:
    """Check that the matcher and its compiled form answer as PostgreSQL 15 did."""
    for match in (lambda t: like_match(t, pattern), like_matcher(pattern)):
        if expected is None:
            with pytest.raises(LikeEscapeError):
                match(text)
        else:
            assert match(text) is expected


def reference(text: str, pattern: str) -> bool:
    """LIKE through a backtracking regex (fine on small inputs): the definition of a match."""
    out, chars = [], iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(re.escape(next(chars)))
        else:
            out.append({"%": ".*", "_": "."}.get(char) or re.escape(char))
    return re.fullmatch("".join(out), text, re.S) is not None


ALPHABET = "ab%_\\"


@given(st.text("ab", max_size=8), st.text(ALPHABET, max_size=8))
def test_agrees_with_the_reference(text: str, pattern: str) -> None:
    """Check that like_match and like_matcher answer as the regex definition, and raise alike."""
    note(f"{text!r} LIKE {pattern!r}")
    try:
        found = like_match(text, pattern)
    except LikeEscapeError:
        with pytest.raises(LikeEscapeError):
            like_matcher(pattern)(text)
        assert re.search(r"(?<!\\)(?:\\\\)*\\\Z", pattern)  # only a lone trailing backslash raises
        return
    assert like_matcher(pattern)(text) is found
    if not re.search(r"(?<!\\)(?:\\\\)*\\\Z", pattern):
        assert found is reference(text, pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        "%_%_%_%_%_%_%_%#",  # the 91-byte request that took 83 s through a regex
        "%a%a%a%a%a%a%a%a%b",
        "%_a%_a%_a%_a%_a%_a%_b",
        "%" + "a_" * 20 + "b%",
    ],
)
def test_work_is_bounded_by_text_times_pattern(pattern: str) -> None:
    """Check that a pattern made to backtrack costs at most about len(text) * len(pattern)."""
    text = "a" * 3000
    found, work = like_work(text, pattern)
    assert found is False
    assert work <= (len(text) + 1) * (len(pattern) + 1)
