"""What PostgreSQL does with the values: lower(), ILIKE patterns, collation, decimal(10,1).

Pure and stdlib only. ``lower()`` is per code point (no final-sigma rule), which differs from
Python's ``str.lower()`` on whole strings; ORDER BY on text follows glibc's en_US collation.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


def date_key(year: int, month: int, day: int) -> int:
    """An integer that orders like the date, for any year (0, negative, > 9999)."""
    return year * 10000 + month * 100 + day


def pg_lower(text: str) -> str:
    """PostgreSQL ``lower()``: per code point, no final-sigma rule, U+0130 becomes plain i."""
    if text.isascii() or ("\u03a3" not in text and "\u0130" not in text):
        return text.lower()  # only final sigma and U+0130 make str.lower() differ
    return "".join("i" if c == "\u0130" else c.lower() for c in text)


_SPECIAL_PRIMARY = {"ß": "ss", "ẞ": "ss", "ı": "i"}


def collation_key(text: str) -> tuple[Any, ...]:
    """An approximation of glibc 2.36's en_US.UTF-8 collation, which ORDER BY uses.

    Spaces and punctuation are ignored, symbols sort before digits and letters; then level 1
    compares base letters (compatibility-decomposed, case and accents ignored), level 2 the
    accents, level 3 the case, lower case first. That reproduces the observed ``fp`` < ``FP``,
    ``SÉC`` < ``SFA``, ``CAFE`` < ``Café`` and ``strasse`` < ``straße``.
    """
    primary: list[str] = []
    accents: list[int] = []
    case: list[int] = []
    for char in unicodedata.normalize("NFKD", text):
        category = unicodedata.category(char)
        if unicodedata.combining(char):
            if accents:
                accents[-1] = accents[-1] * 0x10000 + ord(char)
            continue
        if category[0] in "PZC":
            continue  # ignorable at the first three levels
        special = _SPECIAL_PRIMARY.get(char)
        if special is not None:
            primary.append(special)
            accents.append(0x110000 + ord(char))  # after any combining accent
        elif category[0] == "S":
            primary.append("\x01" + char)
            accents.append(0)
        else:
            primary.append(char.casefold())
            accents.append(0)
        case.append(1 if char.isupper() else 0)
    return ("".join(primary), tuple(accents), tuple(case), text)


def tenths(value: Decimal) -> int:
    """decimal(10,1): PostgreSQL rounds half away from zero to one decimal place."""
    return int((value * 10).to_integral_value(rounding=ROUND_HALF_UP))


def escape_like(text: str) -> str:
    """Ransack 4 escape_wildcards on PostgreSQL: backslash before \\ % _ and ."""
    return re.sub(r"([\\%_.])", r"\\\1", text)


def like_regex(pattern: str) -> re.Pattern[str]:
    """Compile an (already lower-cased) ILIKE pattern with backslash escapes to a regex."""
    out = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            nxt = next(chars, None)
            out.append(re.escape(nxt) if nxt is not None else "")
        elif char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), re.S)
