"""What PostgreSQL does with the values: lower(), ILIKE patterns, collation, decimal(10,1).

Pure and stdlib only. ``lower()`` is per code point (no final-sigma rule), which differs from
Python's ``str.lower()`` on whole strings; ORDER BY on text follows glibc's en_US collation.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from mockserver.engine.collation_table import IGNORABLE


def date_key(year: int, month: int, day: int) -> int:
    """An integer that orders like the date, for any year (0, negative, > 9999)."""
    return year * 10000 + month * 100 + day


def pg_lower(text: str) -> str:
    """PostgreSQL ``lower()``: per code point, no final-sigma rule, U+0130 becomes plain i."""
    if text.isascii() or ("\u03a3" not in text and "\u0130" not in text):
        return text.lower()  # only final sigma and U+0130 make str.lower() differ
    return "".join("i" if c == "\u0130" else c.lower() for c in text)


_SPECIAL_PRIMARY = {"ß": "ss", "ẞ": "ss", "ı": "i", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe"}
_IGNORABLE_FIRSTS = tuple(first for first, _ in IGNORABLE)


def _ignorable(char: str) -> bool:
    """glibc gives ``char`` no first-level weight (spaces, punctuation, most symbols, unknowns)."""
    code = ord(char)
    at = bisect.bisect_right(_IGNORABLE_FIRSTS, code) - 1
    return at >= 0 and code <= IGNORABLE[at][1]


@functools.lru_cache(maxsize=4096)
def _latin_base(char: str) -> str | None:
    """The base letter of a Latin letter with no decomposition (U+2C6F TURNED A sorts as a)."""
    words = unicodedata.name(char, "").split()
    if words[:1] != ["LATIN"] or "LETTER" not in words:
        return None
    letters = [w for w in words[words.index("LETTER") + 1 :] if len(w) == 1 and w.isalpha()]
    return letters[0].lower() if letters else None


def _ascii_tables() -> tuple[dict[int, str | None], dict[int, str | None]]:
    """``str.translate`` tables giving an ASCII text's level 1 and level 3 weights."""
    primary: dict[int, str | None] = {}
    case: dict[int, str | None] = {}
    for code in range(128):
        weights = _weights(chr(code))
        primary[code] = None if weights is None else weights[0]
        case[code] = None if weights is None else weights[2]
    return primary, case


def _name(char: str) -> str:
    return unicodedata.name(char, "")


def collation_key(text: str) -> tuple[Any, ...]:
    """An approximation of glibc 2.36's en_US.UTF-8 collation, which ORDER BY and text
    comparisons use.

    Level 1 compares base characters: what glibc ignores (``collation_table``: spaces,
    punctuation, most symbols, characters its tables lack) is skipped, the remaining symbols
    (currency) sort before digits (any script's digits by value) and digits before letters
    (compatibility-decomposed, case and accents ignored); then level 2 compares the accents,
    level 3 the case (lower first), and the text itself breaks ties as PostgreSQL's strcmp
    does. That reproduces ``fp`` < ``FP``, ``SÉC`` < ``SFA``, ``CAFE`` < ``Café``, ``strasse`` <
    ``straße`` and, checked against glibc's strcoll, the seed-7 comparisons.
    """
    if text.isascii():  # the common case, by translation tables: no accents
        case = text.translate(_ASCII_CASE)
        return (text.translate(_ASCII_PRIMARY), (0,) * len(case), case, text)
    primary: list[str] = []
    accents: list[int] = []
    cases: list[str] = []
    for char in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(char):
            if accents:
                accents[-1] = accents[-1] * 0x10000 + ord(char)
            continue
        weights = _weights(char)
        if weights is not None:
            primary.append(weights[0])
            accents.append(weights[1])
            cases.append(weights[2])
    return ("".join(primary), tuple(accents), "".join(cases), text)


@functools.lru_cache(maxsize=1 << 14)
def _weights(char: str) -> tuple[str, int, str] | None:
    """One (decomposed, non-combining) character's level 1, 2 and 3 weights; None if ignored."""
    if _ignorable(char):
        return None
    case = "1" if char.isupper() else "0"
    category = unicodedata.category(char)
    special = _SPECIAL_PRIMARY.get(char)
    if special is not None:  # after any combining accent; case is level 3
        return special, 0x110000 + ord(char.lower()), case
    if category == "Nd":
        return "\x02" + str(unicodedata.digit(char)), 0 if char.isascii() else ord(char), case
    if category == "Sc":  # currency signs; the other symbols glibc weighs are script signs
        return "\x01" + char, 0, case
    base = _latin_base(char) if category[0] == "L" else None
    if base is not None and base != char.casefold():
        if ord(char) < 0x180 and "WITH" in _name(char):
            return base, 0x110000 + ord(char.lower()), case  # ø, đ, ł: the base letter with a mark
        return base + "\U0010ffff", 0, case  # Ɐ, ȿ: a letter of its own, right after the base
    return char.casefold(), 0, case


def tenths(value: Decimal) -> int:
    """decimal(10,1): PostgreSQL rounds half away from zero to one decimal place."""
    return int((value * 10).to_integral_value(rounding=ROUND_HALF_UP))


def escape_like(text: str) -> str:
    """Ransack 4 escape_wildcards on PostgreSQL: backslash before \\ % _ and ."""
    return re.sub(r"([\\%_.])", r"\\\1", text)


def escape_like_17(text: str) -> str:
    """Ransack <= 1.7.0 escape_wildcards on PostgreSQL: a backslash before backslash, ``|``,
    ``%`` and ``.``, but ``_`` stays a wildcard (escaped from v1.8.0, ransack@9c2bbfb7)."""
    return re.sub(r"([\\|%.])", r"\\\1", text)


_ASCII_PRIMARY, _ASCII_CASE = _ascii_tables()
